// Runs that go wrong, through the real CLI against real DuckDB and Parquet: failing user code,
// unsupported return values, retries, usage errors, dry runs, the §8 JSON shape.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FLAKY_RETRY } from "../support/projects.ts";
import { dagx, runDagx, makeProject, removeProject } from "./helpers.ts";

const dirs: string[] = [];
const project = (files: Record<string, string>) => {
  const d = makeProject(files, "dagx-runfail-");
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

interface Step {
  key: string;
  partition: string | null;
  status: string;
  rows: number | null;
  durationMs: number;
  error?: string;
  reason?: string;
}
interface RunJson {
  runId: string | null;
  status: string;
  steps: Step[];
}
interface StatusJson {
  key: string;
  status: string;
  causes: string[];
  lastMaterialization: { runId: string; rows: number | null } | null;
  lastFailure?: { runId: string; error: string } | null;
}
interface LogsJson {
  run: { runId: string; status: string };
  events: { seq: number; type: string; assetKey: string | null; payload: Record<string, unknown> }[];
}

const IMPORT = `import { asset } from "dagx";\n`;
const step = (out: RunJson, key: string) => out.steps.find((s) => s.key === key)!;

describe("an asset that throws", () => {
  const files = (body: string) => ({
    "pipeline.asset.ts": [
      `import { asset } from "dagx";`,
      `export const src = asset(() => [{ id: 1 }, { id: 2 }, { id: 3 }]);`,
      `export const boom = asset({ ins: { src } }, async (ctx, { src }) => {`,
      `  const rows = await src.rows();`,
      `  ${body}`,
      `});`,
      `export const after_boom = asset({ ins: { boom } }, (ctx, { boom }) => ctx.sql\`select count(*) as n from \${boom}\`);`,
      `export const sibling = asset({ ins: { src } }, (ctx, { src }) => ctx.sql\`select sum(id) as total from \${src}\`);`,
      ``,
    ].join("\n"),
  });

  test("exit 1, user file:line, downstream skipped, sibling materialized, earlier output kept", async () => {
    // spawned: the asset file is edited between runs (a process keeps the module it imported)
    const dir = project(files("return rows.map((r) => ({ id: r.id, double: r.id * 2 }));"));
    const first = await dagx(dir, ["materialize", "--json"]);
    expect(first.code).toBe(0);
    expect(first.json<RunJson>().steps.every((s) => s.status === "success")).toBe(true);
    const boomFile = join(dir, ".dagx/data/boom/data.parquet");
    const before = readFileSync(boomFile);
    const firstRunId = first.json<RunJson>().runId;

    writeFileSync(join(dir, "pipeline.asset.ts"), files(`if (rows.length > 2) throw new Error("too many rows: " + rows.length);`)["pipeline.asset.ts"]);
    const r = await dagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(1);
    const out = r.json<RunJson>();
    expect(out.status).toBe("failed");
    expect(step(out, "src").status).toBe("success");
    expect(step(out, "boom")).toMatchObject({ status: "failed", rows: null });
    expect(step(out, "boom").error).toContain("too many rows: 3");
    expect(step(out, "boom").error).toContain("pipeline.asset.ts:5"); // the user's throw, line 5
    expect(step(out, "after_boom")).toMatchObject({ status: "skipped" });
    expect(step(out, "after_boom").reason).toContain('upstream "boom" failed');
    expect(step(out, "sibling")).toMatchObject({ status: "success", rows: 1 });
    // human output names the failure with its location, no stack trace
    expect(r.stderr).toMatch(/boom.*too many rows: 3 \(at pipeline\.asset\.ts:5:\d+\)/);
    expect(r.stderr).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);

    // the earlier output of the failing asset is untouched, byte for byte, and no temp file is left
    expect(readFileSync(boomFile).equals(before)).toBe(true);
    expect(readdirSync(join(dir, ".dagx/data/boom"))).toEqual(["data.parquet"]);

    const st = await dagx(dir, ["status", "--json"]);
    expect(st.code).toBe(0);
    const boom = st.json<StatusJson[]>().find((s) => s.key === "boom")!;
    expect(boom.status).toBe("failed");
    expect(boom.causes.join(" ")).toContain("too many rows: 3");
    expect(boom.lastMaterialization?.runId).toBe(firstRunId as string); // the kept output is still the latest
    const after = st.json<StatusJson[]>().find((s) => s.key === "after_boom")!;
    expect(after.status).toBe("stale");

    const logs = await dagx(dir, ["logs", "latest", "--json"]);
    expect(logs.code).toBe(0);
    const l = logs.json<LogsJson>();
    expect(l.run.runId).toBe(out.runId!);
    expect(l.run.status).toBe("failed");
    const failed = l.events.filter((e) => e.type === "step_failed");
    expect(failed.map((e) => e.assetKey)).toEqual(["boom"]);
    expect(String(failed[0]!.payload.error)).toContain("too many rows: 3");
    expect(l.events.some((e) => e.type === "step_skipped" && e.assetKey === "after_boom")).toBe(true);
    expect(l.events.at(-1)!.type).toBe("run_finished");
    // seq numbers are complete and ordered: nothing lost
    expect(l.events.map((e) => e.seq)).toEqual(l.events.map((_e, i) => i + 1));
  });
});

describe("a failing ctx.sql", () => {
  const FILES = {
    "sql.asset.ts": [
      `import { asset } from "dagx";`,
      `export const src = asset(() => [{ id: 1, name: "a", amount: 5 }, { id: 2, name: "b", amount: 7 }]);`,
      `export const returned = asset({ ins: { src } }, (ctx, { src }) =>`,
      `  ctx.sql\`select nme from \${src} where id = \${1}\`);`,
      `export const loaded = asset({ ins: { src } }, async (ctx, { src }) => {`,
      `  const rows = await ctx.sql\`select * from \${src} where id = \${"one"}\`.rows();`,
      `  return rows;`,
      `});`,
      `export const by_value = asset({ ins: { src } }, (ctx, { src }) => {`,
      `  const col = "amount";`,
      `  return ctx.sql\`select id from \${src} order by \${col}\`;`,
      `});`,
      `export const picked = asset({ ins: { src } }, (ctx, { src }) => ctx.sql\`select \${"name"} from \${src}\`);`,
      `export const by_id = asset({ ins: { src } }, (ctx, { src }) => {`,
      `  const col = "amount";`,
      `  return ctx.sql\`select \${ctx.sql.id(col)}, \${"eur"} as currency from \${src} order by \${ctx.sql.id(col)} desc\`;`,
      `});`,
      `export const bad_id = asset({ ins: { src } }, (ctx, { src }) => ctx.sql\`select \${ctx.sql.id(7 as any)} from \${src}\`);`,
      ``,
    ].join("\n"),
  };

  test("names the asset's file:line and DuckDB's message; -v adds the compiled SQL with its parameters", async () => {
    const dir = makeProject(FILES, "dagx-sql-[a=*]-");
    dirs.push(dir);
    const r = await runDagx(dir, ["materialize", "src", "returned", "loaded", "--json"]);
    expect(r.code).toBe(1);
    const out = r.json<RunJson>();
    // a returned query in tail position has no frame of its own: the asset's line; a query awaited in the body: its own line
    expect(step(out, "returned").error).toStartWith(`ctx.sql failed at sql.asset.ts:3: Binder Error: Referenced column "nme" not found`);
    expect(step(out, "loaded").error).toStartWith("ctx.sql failed at sql.asset.ts:6:");
    expect(step(out, "loaded").error).toContain(`Conversion Error: Could not convert string 'one'`);
    // the query had parameters and the error looks like a name problem: the hint names ctx.sql.id
    for (const k of ["returned", "loaded"]) expect(step(out, k).error).toContain("for a name, write ${ctx.sql.id(name)}");
    // the SQL text and the values only with -v (and never in the stored events)
    expect(step(out, "returned").error).not.toContain("$1 = ");
    const v = await runDagx(dir, ["materialize", "returned", "-v"]);
    expect(v.code).toBe(1);
    const all = v.stdout + v.stderr;
    expect(all).toContain("compiled SQL:");
    expect(all).toMatch(/select nme from read_parquet\(\[.*src\/data\.parquet'\].*\) where id = \$1/);
    expect(all).toContain("$1 = 1");
    const logs = await runDagx(dir, ["logs", "latest", "--json"]);
    expect(logs.stdout).not.toContain("compiled SQL");
  });

  test("a value where SQL needs a column name is refused with ctx.sql.id as the fix; ctx.sql.id quotes the name", async () => {
    const dir = makeProject(FILES, "dagx-sql-[a=*]-");
    dirs.push(dir);
    const r = await runDagx(dir, ["materialize", "src", "by_value", "picked", "by_id", "bad_id", "--json"]);
    expect(r.code).toBe(1);
    const out = r.json<RunJson>();
    expect(step(out, "by_value").error).toBe(
      "ctx.sql failed at sql.asset.ts:9: the value 'amount' ($1) stands as an item of ORDER BY, where SQL needs a column: a bound value is a constant there, and ordering by a constant sorts nothing: write ${ctx.sql.id(name)} to insert a quoted column name",
    );
    expect(step(out, "picked").error).toStartWith("ctx.sql failed at sql.asset.ts:13: the value 'name' ($1) is a whole select item without a name");
    expect(step(out, "bad_id").error).toStartWith("Cannot make an identifier with ctx.sql.id(): argument 1 is not a name: it is the number 7");
    expect(step(out, "bad_id").error).toContain("(at sql.asset.ts:18:");
    expect(step(out, "by_id").status).toBe("success");
    const rows = await runDagx(dir, ["query", "select * from by_id", "--json"]);
    expect(rows.json()).toEqual([{ amount: 7, currency: "eur" }, { amount: 5, currency: "eur" }]);
  });
});

describe("unsupported return values", () => {
  const cases: [string, string, RegExp][] = [
    ["ret_function", "() => () => 1", /a function/],
    ["ret_map", "() => new Map([[1, 2]])", /Map/],
    ["ret_symbol", `() => Symbol("s")`, /a symbol/],
    ["ret_bigint", "() => 10n", /a bigint/],
    ["ret_nan", "() => ({ ratio: NaN })", /value\.ratio is NaN/],
  ];

  test("each fails naming the asset and the type; nothing is written", async () => {
    const dir = project({
      "bad.asset.ts": IMPORT + cases.map(([k, fn]) => `export const ${k} = asset(${fn});`).join("\n") + "\nexport const fine = asset(() => ({ ok: true }));\n",
    });
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(1);
    const out = r.json<RunJson>();
    for (const [key, , type] of cases) {
      const s = step(out, key);
      expect(s.status).toBe("failed");
      expect(s.error).toContain(`Asset "${key}" returned an unsupported value`);
      expect(s.error).toMatch(type);
      expect(existsSync(join(dir, ".dagx/data", key))).toBe(false);
    }
    expect(step(out, "fine").status).toBe("success");
    expect(JSON.parse(readFileSync(join(dir, ".dagx/data/fine/value.json"), "utf8"))).toEqual({ ok: true });
  });
});

// retry events and attempts: tests/io/run/materialize.test.ts
test("retries: each retry is a progress line with the error; the run succeeds", async () => {
  const dir = project(FLAKY_RETRY);
  const r = await runDagx(dir, ["materialize"]);
  expect(r.code).toBe(0);
  // exponential backoff by default: 10ms, then 20ms; the error with the user's line
  expect(r.stderr).toContain("↻ flaky  retry 1 in 10ms: flaky attempt 1 (at flaky.asset.ts:7:");
  expect(r.stderr).toContain("↻ flaky  retry 2 in 20ms: flaky attempt 2 (at flaky.asset.ts:7:");
  expect(r.stderr).toMatch(/✓ flaky {2}1 row/);
});

describe("usage errors and planning", () => {
  const files = {
    "a.asset.ts": [
      IMPORT,
      `export const raw = asset(() => [{ id: 1 }, { id: 2 }]);`,
      `export const clean = asset({ ins: { raw } }, (ctx, { raw }) => ctx.sql\`select * from \${raw} where id > 1\`);`,
      `export const report = asset({ ins: { clean } }, async (ctx, { clean }) => ({ n: (await clean.rows()).length }));`,
      ``,
    ].join("\n"),
  };

  test("--concurrency must be a whole number ≥ 1 (exit 2, nothing runs)", async () => {
    const dir = project(files);
    for (const bad of ["0", "-1", "abc", "1.5"]) {
      const r = await runDagx(dir, ["materialize", "--concurrency", bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Invalid --concurrency "${bad}"`);
    }
    const runs = await runDagx(dir, ["runs", "--json"]);
    expect(runs.json<unknown[]>()).toEqual([]);
    expect(existsSync(join(dir, ".dagx/data/raw"))).toBe(false);
    const ok = await runDagx(dir, ["materialize", "-j", "1", "--json"]);
    expect(ok.code).toBe(0);
    expect(ok.json<RunJson>().steps.map((s) => s.key)).toEqual(["raw", "clean", "report"]);
  });

  test("--dry-run prints the plan and writes no run", async () => {
    const dir = project(files);
    const r = await runDagx(dir, ["materialize", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Plan: 3 step/);
    expect(r.stdout).toMatch(/1\. raw[\s\S]*2\. clean[\s\S]*3\. report/);
    // raw is not selected and never materialized: even a dry run refuses that plan
    const j = await runDagx(dir, ["materialize", "clean+", "--dry-run", "--json"]);
    expect(j.code).toBe(2);
    expect(j.stderr).toContain('upstream "raw" has never been materialized');
    const j2 = await runDagx(dir, ["materialize", "+clean", "--dry-run", "--json"]);
    expect(j2.code).toBe(0);
    expect(j2.json<RunJson>()).toMatchObject({ runId: null, status: "planned", steps: [{ key: "raw" }, { key: "clean" }] });
    expect((await runDagx(dir, ["runs", "--json"])).json<unknown[]>()).toEqual([]);
    expect(existsSync(join(dir, ".dagx/data/raw"))).toBe(false);
    expect((await runDagx(dir, ["status", "--json"])).json<StatusJson[]>().every((s) => s.status === "missing")).toBe(true);
  });

  test("a never-materialized upstream that is not selected is refused up front (exit 2, names it and the fix)", async () => {
    const dir = project(files);
    const r = await runDagx(dir, ["materialize", "report"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('upstream "clean" has never been materialized');
    expect(r.stderr).toContain("dagx materialize +report");
    expect(r.stderr).toContain("dagx materialize clean");
    expect((await runDagx(dir, ["runs", "--json"])).json<unknown[]>()).toEqual([]);
    expect(existsSync(join(dir, ".dagx/data"))).toBe(false);
  });

  test("--json of materialize has the DESIGN §8 shape", async () => {
    const dir = project({
      ...files,
      "b.asset.ts": `${IMPORT}import { raw } from "./a.asset";\nexport const bad = asset({ ins: { raw } }, () => { throw new TypeError("bad input"); });\nexport const after_bad = asset({ deps: ["bad"] }, () => undefined);\n`,
    });
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(1);
    const out = r.json<RunJson>();
    expect(out.runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/); // UUIDv7
    expect(out.status).toBe("failed");
    expect(out.steps.length).toBe(5);
    for (const s of out.steps) {
      expect(Object.keys(s)).toEqual(expect.arrayContaining(["key", "partition", "status", "rows", "durationMs"]));
      expect(s.partition).toBeNull();
      expect(["success", "failed", "skipped", "canceled"]).toContain(s.status);
      expect(Number.isInteger(s.durationMs)).toBe(true);
      expect(s.durationMs).toBeGreaterThanOrEqual(0);
      if (s.status === "failed") expect(typeof s.error).toBe("string");
      else expect(s).not.toHaveProperty("error");
    }
    expect(step(out, "raw")).toMatchObject({ status: "success", rows: 2 });
    expect(step(out, "clean")).toMatchObject({ status: "success", rows: 1 });
    expect(step(out, "report")).toMatchObject({ status: "success", rows: null });
    expect(step(out, "bad")).toMatchObject({ status: "failed", rows: null });
    expect(step(out, "bad").error).toMatch(/^TypeError: bad input \(at b\.asset\.ts:3:\d+\)$/);
    expect(step(out, "after_bad")).toMatchObject({ status: "skipped", rows: null, durationMs: 0 });
    // stdout is only the JSON document; the human progress went to stderr
    expect(r.stdout.trim().startsWith("{")).toBe(true);
    expect(r.stderr).toContain("bad");
  });
});
