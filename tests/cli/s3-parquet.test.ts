// s3Parquet end to end against a real S3-compatible server (moto, signatures checked):
// examples/shop runs unchanged with one config line (credentials from the project's .env under the
// AWS names); `dagx query`, staleness and early cutoff work as for local Parquet; a failed run keeps
// the previous objects readable; no output channel shows a credential; gc and wipe --data delete
// only objects state recorded, never one dagx did not write.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { collectS3Garbage } from "../../io/iomanagers/index.ts";
import { createDuckDBStateStore } from "../../io/state/index.ts";
import { type S3Server, s3Unavailable, startS3 } from "../support/s3.ts";
import { type CliResult, dagx, REPO, removeProject, runDagx } from "./helpers.ts";
import { dagxCommand } from "../support/dagx-command.ts";

const skip = s3Unavailable();
let s3: S3Server;
const dirs: string[] = [];
beforeAll(async () => {
  if (!skip) s3 = await startS3({ buckets: ["lake"] });
}, 120_000);
afterAll(async () => {
  for (const d of dirs) removeProject(d);
  await s3?.stop();
});

/** Every key under `prefix` in the bucket. */
async function keys(prefix: string): Promise<string[]> {
  return ((await s3.client("lake").list({ prefix })).contents ?? []).map((c) => c.key).sort();
}

/** Every value of every table of the state file, as text (what a leaked secret would be found in). */
async function stateText(dir: string): Promise<string> {
  const db = await DuckDBInstance.create(join(dir, ".dagx/state.duckdb"), { access_mode: "READ_ONLY" });
  const c = await db.connect();
  try {
    const tables = (await c.runAndReadAll("select table_name from duckdb_tables()")).getRowObjectsJS().map((r) => String(r.table_name));
    let text = "";
    for (const t of tables) text += JSON.stringify((await c.runAndReadAll(`select * from "${t}"`)).getRowsJson());
    return text;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe.skipIf(Boolean(skip))("examples/shop with io: s3Parquet", () => {
  let dir: string;
  const outputs: CliResult[] = [];
  const run = async (args: string[], env?: Record<string, string>) => {
    const r = await runDagx(dir, args, { env });
    outputs.push(r);
    return r;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "dagx-shop-s3-"));
    dirs.push(dir);
    cpSync(join(REPO, "examples/shop"), dir, { recursive: true, filter: (src) => !src.includes(".dagx") });
    const config = readFileSync(join(dir, "dagx.config.ts"), "utf8");
    // the one line: the project default IO manager of table outputs
    writeFileSync(
      join(dir, "dagx.config.ts"),
      config.replace('import { defineConfig } from "dagx";', 'import { defineConfig, s3Parquet } from "dagx";').replace("concurrency: 4,", `concurrency: 4,\n  io: s3Parquet({ bucket: "lake", prefix: "teams/shop", endpoint: "${s3.endpoint}" }),`),
    );
    // credentials where a team keeps them: the project's .env (or the environment), under the AWS names
    writeFileSync(join(dir, ".env"), `AWS_ACCESS_KEY_ID=${s3.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${s3.secretAccessKey}\n`);
  });

  test("materializes every asset: Parquet objects under the prefix, JSON values as before", async () => {
    const r = await run(["materialize", "--json"]);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.json<{ status: string }>().status).toBe("success");
    expect(existsSync(join(dir, ".dagx/data/orders/data.parquet"))).toBe(false);
    expect(existsSync(join(dir, ".dagx/data/settings/value.json"))).toBe(true);
    const stored = (await keys("teams/shop/")).map((k) => k.replace(/data-[0-9a-f-]+\.parquet$/, "data-<run>.parquet"));
    expect(stored).toEqual([
      "teams/shop/analytics/revenue_by_customer/data-<run>.parquet",
      "teams/shop/customers/data-<run>.parquet",
      "teams/shop/daily_revenue/data-<run>.parquet",
      "teams/shop/orders/data-<run>.parquet",
      "teams/shop/top_customers/data-<run>.parquet",
    ]);
  });

  test("dagx query reads the objects by asset key, and status says fresh", async () => {
    const q = await run(["query", "select count(*)::int as n from top_customers", "--json"]);
    expect(q.code).toBe(0);
    expect(q.json()).toEqual([{ n: 3 }]);
    const v = await run(["query", "select currency from top_customers limit 1", "--json", "-v"]);
    expect(v.stderr).toContain("view top_customers ← top_customers (s3");
    const s = await run(["status", "--json"]);
    expect(s.json<{ status: string }[]>().every((x) => x.status === "fresh")).toBe(true);
    expect((await run(["materialize", "--stale", "--json"])).json<{ status: string }>().status).toBe("nothing");
  });

  test("identical content gives the same data version: a forced rerun of orders cuts off downstream", async () => {
    const before = (await run(["query", "select count(*)::int as n from daily_revenue", "--json"])).json();
    const r = await run(["materialize", "orders", "--json"]);
    expect(r.code).toBe(0);
    // a second object for orders; the first stays until gc (a reader may still be reading it)
    expect((await keys("teams/shop/orders/")).length).toBe(2);
    const s = await run(["status", "--json"]);
    expect(s.json<{ status: string }[]>().every((x) => x.status === "fresh")).toBe(true);
    expect((await run(["query", "select count(*)::int as n from daily_revenue", "--json"])).json()).toEqual(before);
  });

  test("a run that cannot upload fails with S3's reason, no credential, and the previous objects stay readable", async () => {
    const before = (await run(["query", "select * from top_customers order by rank", "--json"])).json();
    // the process environment wins over .env: a wrong secret for this run only
    const r = await run(["materialize", "top_customers", "--json"], { AWS_SECRET_ACCESS_KEY: "not-the-secret-0123456789" });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("SignatureDoesNotMatch");
    expect(r.stdout + r.stderr).not.toContain("not-the-secret-0123456789");
    expect((await run(["query", "select * from top_customers order by rank", "--json"])).json()).toEqual(before);
  });

  test("no credential appears in stdout, stderr, --json output or the state file", async () => {
    outputs.push(await run(["runs", "--json"]), await run(["logs", "--json"]), await run(["status", "-v"]));
    for (const secret of [s3.secretAccessKey, s3.accessKeyId]) {
      for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(secret);
      expect(await stateText(dir)).not.toContain(secret);
    }
    // the locations name the variables, not their values
    expect(await stateText(dir)).toContain("AWS_SECRET_ACCESS_KEY");
  });

  test("gc deletes superseded objects only (after the grace period), never current or foreign ones", async () => {
    await s3.client("lake").write("teams/shop/orders/notes.txt", "someone else's");
    await s3.client("lake").write("teams/shop/orders/data-0000.parquet", "someone else's");
    const dry = await run(["gc", "--dry-run", "--json"]);
    expect(dry.json<{ s3Objects: number }>().s3Objects).toBe(0); // replaced seconds ago: within the grace hour
    // an hour later (the clock moved forward, through the function gc calls)
    const store = createDuckDBStateStore(join(dir, ".dagx/state.duckdb"));
    try {
      expect((await collectS3Garbage(dir, store, { now: Date.now(), graceMs: 0, dryRun: true })).objects).toBe(1);
      expect((await collectS3Garbage(dir, store, { now: Date.now(), graceMs: 0, dryRun: false })).objects).toBe(1);
      expect((await collectS3Garbage(dir, store, { now: Date.now(), graceMs: 0, dryRun: false })).objects).toBe(0);
    } finally {
      await store.close();
    }
    const left = await keys("teams/shop/orders/");
    expect(left.filter((k) => /data-[0-9a-f]{8}-/.test(k)).length).toBe(1);
    expect(left).toContain("teams/shop/orders/notes.txt");
    expect(left).toContain("teams/shop/orders/data-0000.parquet");
    expect((await run(["query", "select count(*)::int as n from orders", "--json"])).code).toBe(0);
  });

  test("wipe --data deletes the asset's recorded objects and leaves others' objects", async () => {
    expect((await run(["materialize", "orders", "--json"])).code).toBe(0); // a superseded object again
    expect((await keys("teams/shop/orders/")).filter((k) => /data-[0-9a-f]{8}-/.test(k)).length).toBe(2);
    const r = await run(["wipe", "orders", "--data", "--json"]);
    expect(r.code).toBe(0);
    expect(await keys("teams/shop/orders/")).toEqual(["teams/shop/orders/data-0000.parquet", "teams/shop/orders/notes.txt"]);
    expect((await keys("teams/shop/customers/")).length).toBe(1);
  });
});

describe.skipIf(Boolean(skip))("s3Parquet partitions and killed runs", () => {
  test("checks read the objects; a killed run leaves the previous object current; partitions are views with their key column", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dagx-s3-kill-"));
    dirs.push(dir);
    writeFileSync(join(dir, ".env"), `S3_KEY=${s3.accessKeyId}\nS3_SECRET=${s3.secretAccessKey}\n`);
    writeFileSync(
      join(dir, "dagx.config.ts"),
      `import { defineConfig, env, s3Parquet } from "dagx";\nexport default defineConfig({ ioManagers: { lake: s3Parquet({ bucket: "lake", prefix: "kill", endpoint: "${s3.endpoint}", accessKeyId: env("S3_KEY"), secretAccessKey: env("S3_SECRET") }) } });\n`,
    );
    writeFileSync(
      join(dir, "a.asset.ts"),
      `import { asset, daily, notNull, rowCount } from "dagx";
export const events = asset({ io: "lake", partitions: daily({ start: "2024-01-01", end: "2024-01-03" }), checks: [notNull("n"), rowCount({ max: 1 })] }, async (ctx) => {
  if (process.env.SLOW === "1") await Bun.sleep(60_000);
  return [{ n: process.env.SLOW === "1" ? 2 : 1, day: ctx.partition.key }];
});
`,
    );
    const first = await dagx(dir, ["materialize", "events", "--partitions", "*"]);
    expect(first.code === 0 ? "" : first.stderr).toBe("");
    // built-in checks read the stored objects through the manager, as a downstream step does
    const checked = await dagx(dir, ["check", "events", "--partitions", "*", "--json"]);
    expect(checked.code).toBe(0);
    const verdicts = checked.json<{ passed: boolean }[]>();
    expect(verdicts.length).toBe(4); // 2 checks × 2 partitions
    expect(verdicts.every((v) => v.passed)).toBe(true);
    const proc = Bun.spawn([...(await dagxCommand()), "materialize", "events", "--partitions", "2024-01-01"], { cwd: dir, env: { ...process.env, SLOW: "1" }, stdout: "ignore", stderr: "ignore" });
    await Bun.sleep(1500);
    proc.kill("SIGKILL");
    await proc.exited;
    const q = await dagx(dir, ["query", "select date, n from events order by date", "--json"]);
    expect(q.stderr).toBe("");
    expect(q.json()).toEqual([
      { date: "2024-01-01", n: 1 },
      { date: "2024-01-02", n: 1 },
    ]);
  }, 60_000);
});
