/**
 * Fenced outputs (issue 17, docs/workers.md): a worker whose write stalls after its lease check,
 * for longer than a whole lease, loses the step to another worker; its late write must not replace
 * the output the new holder committed. Real parts: Postgres, `dagx worker` processes in their own
 * project copies, a shared data folder (default Parquet, DAGX_WORKERS_SHARED_STORAGE=1) and an
 * S3-compatible server (s3Parquet). The stall is DAGX_STALL_AT (io/platform/fault.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SQL } from "bun";
import { collectS3Garbage } from "../../io/iomanagers/index.ts";
import { createPostgresStateStore } from "../../io/state/index.ts";
import { hashFile, createStorage, runGc } from "../../io/storage/index.ts";
import { startPostgres, type PostgresServer } from "../support/postgres.ts";
import { until as waitUntil, workerFixtures } from "../support/workers.ts";
import { type S3Server, s3Unavailable, startS3 } from "../support/s3.ts";
import { ok, runDagx } from "./helpers.ts";

const skipS3 = s3Unavailable();
let pg: PostgresServer;
let s3: S3Server | undefined;
const fx = workerFixtures("dagx-fence-");
const { machine, temp } = fx;
const startWorker = (dir: string, env: Record<string, string>) => fx.startWorker(dir, env, { concurrency: 1 });
const until = (what: string, fn: () => boolean | Promise<boolean>, ms = 20_000) => waitUntil(what, fn, ms);
beforeAll(async () => {
  [pg, s3] = await Promise.all([startPostgres(), skipS3 ? undefined : startS3({ buckets: ["lake"] })]);
});
afterAll(async () => {
  await Promise.all([pg?.stop(), s3?.stop()]);
});

// every worker returns its own name: the stored output says which attempt wrote it
const ASSET = `import { asset } from "dagx";\nexport const who = asset({ retry: { maxRetries: 2, delay: "0s" } }, () => [{ who: process.env.WHO ?? "local" }]);\n`;

/**
 * The first worker stalls inside its IO manager's write (after its lease check) with a 300 ms lease
 * until the run has succeeded (a second worker took the step and committed), at most until 5 s
 * after the second worker started; the first then finishes its write and fails to commit. Returns what `dagx query` reads and the state store (the caller closes it).
 */
async function lateWrite(schema: string, files: Record<string, string>, data: string | null, extraEnv: Record<string, string>, point = "store-write") {
  const marks = temp("dagx-fence-marks-");
  const mark = join(marks, "stalled");
  const env = { DAGX_STATE_URL: `${pg.url}?schema=${schema}`, DAGX_LEASE_MS: "300", DAGX_STALL_AT: `${point}:30000:${mark}`, ...extraEnv };
  const submitter = machine(files, data);
  const first = startWorker(machine(files, data), { ...env, WHO: "first" });
  const run = ok(await runDagx(submitter, ["materialize", "who", "--queue", "--detach"], { env })).stdout.trim();
  await until("the first worker's stalled write", () => existsSync(mark)).catch((e: Error) => Promise.reject(new Error(`${e.message}; its log:\n${first.log()}`)));
  const second = startWorker(machine(files, data), { ...env, WHO: "second" });
  const release = () => writeFileSync(`${mark}.release`, "");
  // the frozen worker goes on once the run has succeeded (its write is then late), or 5 s after the
  // second worker started, as the fixed 5 s stall did: should the second wait on what the frozen one
  // holds (seen once under load 5, "another database"), it is not frozen for good
  const releaseBy = Date.now() + 5_000;
  const store = createPostgresStateStore(env.DAGX_STATE_URL);
  try {
    await until("the run's end", async () => {
      if (Date.now() > releaseBy) release();
      return (await store.getRun(run))?.status === "success";
    });
    release();
    await until("the first worker's late write and refused commit", () => first.log().includes("lease lost"));
    const rows = ok(await runDagx(submitter, ["query", "select who from who", "--json"], { env })).json<unknown>();
    const events = await store.getEvents(run);
    return { rows: JSON.stringify(rows), store, submitter, run, materializations: events.filter((e) => e.type === "materialization").length, firstLog: first.log() };
  } catch (e) {
    await store.close();
    throw e;
  } finally {
    release(); // never left frozen (a failed wait above)
    first.proc.kill("SIGTERM");
    second.proc.kill("SIGTERM");
    await Promise.all([first.proc.exited, second.proc.exited]);
  }
}

/** The second worker's attempt is what the table holds, and it is the one materialization recorded. */
function expectSecondWins(r: { rows: string; materializations: number }): void {
  expect(r.rows).toContain("second");
  expect(r.rows).not.toContain("first");
  expect(r.materializations).toBe(1);
}

describe("a lost lease cannot replace a committed output", () => {
  test("partitions workers wrote (attempt files) are read where their records say, by workers and by a local run on the same state", async () => {
    const data = temp("dagx-fence-data-");
    const files = {
      "events.asset.ts": `import { asset, daily } from "dagx";\nexport const events = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-04" }) }, (ctx) => [{ day: ctx.partition!.key }]);\n`,
      "total.asset.ts": `import { asset } from "dagx";\nimport { events } from "./events.asset";\nexport const total = asset({ ins: { events } }, (ctx, { events }) => ctx.sql\`select count(*)::int as n, min(day) as first from \${events}\`);\n`,
    };
    const env = { DAGX_STATE_URL: `${pg.url}?schema=fence_parts`, DAGX_WORKERS_SHARED_STORAGE: "1" };
    const submitter = machine(files, data);
    const w = startWorker(machine(files, data), env);
    try {
      ok(await runDagx(submitter, ["backfill", "events", "--partitions", "2024-01-01..2024-01-03", "--queue"], { env }));
      expect(readdirSync(join(data, "events", "date=2024-01-02")).some((f) => /^data-.+-a\d+\.parquet$/.test(f))).toBe(true);
      ok(await runDagx(submitter, ["materialize", "total", "--queue"], { env }));
      expect(ok(await runDagx(submitter, ["query", "select n, first from total", "--json"], { env })).json()).toEqual([{ n: 3, first: "2024-01-01" }]);
      // a local run (no queue) on the same Postgres state reads the same attempt files
      ok(await runDagx(submitter, ["materialize", "total"], { env }));
      expect(ok(await runDagx(submitter, ["query", "select n, first from total", "--json"], { env })).json()).toEqual([{ n: 3, first: "2024-01-01" }]);
      // wipe --data removes the worker's attempt file of total as well as the local run's file
      expect(readdirSync(join(data, "total")).sort()).toEqual(["data.parquet", expect.stringMatching(/^data-.+-a\d+\.parquet$/)].sort() as never);
      ok(await runDagx(submitter, ["wipe", "total", "--data"], { env }));
      expect(readdirSync(join(data, "total")).filter((f) => f.endsWith(".parquet"))).toEqual([]);
    } finally {
      w.proc.kill("SIGTERM");
      await w.proc.exited;
    }
  }, 90_000);

  test("default Parquet on shared storage: the file state names holds the committed attempt's data; gc removes the late one", async () => {
    const data = temp("dagx-fence-data-");
    const r = await lateWrite("fence_parquet", { "who.asset.ts": ASSET }, data, { DAGX_WORKERS_SHARED_STORAGE: "1" });
    try {
      expectSecondWins(r);
      const [m] = await r.store.latestMaterializations(["who"]);
      // the recorded data version is the hash of the very file it names
      expect(hashFile(join(data, m!.path)).hash).toBe(m!.dataVersion);
      // the late attempt's file is not referenced: gc (no grace) removes it and keeps the committed one
      const before = readdirSync(join(data, "who")).filter((f) => f.endsWith(".parquet"));
      expect(before.length).toBe(2);
      const gc = await runGc(createStorage(r.submitter), r.store, { keepMs: 365 * 86_400_000, now: Date.now() + 2 * 3_600_000, dryRun: false });
      expect(gc.orphanFiles).toBe(1);
      expect(readdirSync(join(data, "who")).filter((f) => f.endsWith(".parquet"))).toEqual([m!.path.split("/").pop()!]);
    } finally {
      await r.store.close();
    }
  }, 90_000);

  test("postgresTable in the state's database: the late swap is refused (its lease is checked in the swap's transaction)", async () => {
    const config = `import { defineConfig, env, postgresTable } from "dagx";\nexport default defineConfig({ io: postgresTable({ url: env("DATABASE_URL"), schema: "fence_out" }) });\n`;
    // frozen after the lease check before the swap passed: the swap's own check refuses it
    const r = await lateWrite("fence_pg", { "dagx.config.ts": config, "who.asset.ts": ASSET }, null, { DATABASE_URL: pg.url }, "store-swap");
    try {
      expectSecondWins(r);
    } finally {
      await r.store.close();
    }
  }, 90_000);

  test("postgresTable in another database: swaps go in claim order, the late swap of an older claim is refused", async () => {
    const admin = new SQL(pg.url);
    await admin.unsafe("CREATE DATABASE fence_other");
    await admin.close();
    const other = pg.url.replace(/\/[^/?]+$/, "/fence_other");
    const config = `import { defineConfig, env, postgresTable } from "dagx";\nexport default defineConfig({ io: postgresTable({ url: env("OUTPUT_URL"), schema: "fence_out" }) });\n`;
    // frozen after its lease check passed, right before the swap: only the claim order can refuse it
    const r = await lateWrite("fence_pg_other", { "dagx.config.ts": config, "who.asset.ts": ASSET }, null, { OUTPUT_URL: other }, "store-swap");
    try {
      expectSecondWins(r);
    } finally {
      await r.store.close();
    }
  }, 90_000);

  test("duckdbTable on shared storage: the lease is checked inside the swap's transaction, the late swap rolls back", async () => {
    const data = temp("dagx-fence-data-");
    // one warehouse file every machine reaches at the same path (a network filesystem's stand-in)
    const warehouse = join(temp("dagx-fence-warehouse-"), "warehouse.duckdb");
    const config = `import { defineConfig, duckdbTable } from "dagx";\nexport default defineConfig({ io: duckdbTable({ path: ${JSON.stringify(warehouse)} }) });\n`;
    const r = await lateWrite("fence_duckdb", { "dagx.config.ts": config, "who.asset.ts": ASSET }, data, { DAGX_WORKERS_SHARED_STORAGE: "1" });
    try {
      expectSecondWins(r);
    } finally {
      await r.store.close();
    }
  }, 90_000);

  test.skipIf(Boolean(skipS3))("s3Parquet: the object state names holds the committed attempt's data; gc removes the late one", async () => {
    const config = `import { defineConfig, env, s3Parquet } from "dagx";\nexport default defineConfig({ io: s3Parquet({ bucket: "lake", prefix: "fence", endpoint: "${s3!.endpoint}", accessKeyId: env("S3_KEY"), secretAccessKey: env("S3_SECRET") }) });\n`;
    // the credentials also in each copy's .env: `dagx gc` reads them there (it loads no config)
    const files = { "dagx.config.ts": config, "who.asset.ts": ASSET, ".env": `S3_KEY=${s3!.accessKeyId}\nS3_SECRET=${s3!.secretAccessKey}\n` };
    const r = await lateWrite("fence_s3", files, null, { S3_KEY: s3!.accessKeyId, S3_SECRET: s3!.secretAccessKey });
    try {
      expectSecondWins(r);
      const keys = async () => ((await s3!.client("lake").list({ prefix: "fence/who/" })).contents ?? []).map((c) => c.key);
      expect((await keys()).length).toBe(2);
      const gc = await collectS3Garbage(r.submitter, r.store, { now: Date.now() + 2 * 3_600_000, graceMs: 3_600_000, dryRun: false });
      expect(gc.objects).toBe(1);
      const [m] = await r.store.latestMaterializations(["who"]);
      expect((await keys()).map((k) => `s3://lake/${k}`)).toEqual([m!.path.split("?")[0]!]);
      // and the committed object still reads
      expect(ok(await runDagx(r.submitter, ["query", "select who from who", "--json"], { env: { DAGX_STATE_URL: `${pg.url}?schema=fence_s3` } })).stdout).toContain("second");
    } finally {
      await r.store.close();
    }
  }, 120_000);
});
