// Asset checks through the real CLI against real DuckDB and Parquet: built-ins passing and failing,
// blocking vs warn, check() functions (throwing, timing out, JSON values), missing columns,
// partitions, `dagx check` exit codes and JSON, and what state keeps.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createDuckDBStateStore } from "../../io/state/duckdb-store.ts";
import { checkSummaries } from "../../io/run/check-results.ts";
import { BLOCKING_CHECK_PIPELINE, PARTITION_BLOCKING_PIPELINE } from "../support/projects.ts";
import { runDagx, makeProject, removeProject, writeFile } from "./helpers.ts";

const dirs: string[] = [];
const project = (files: Record<string, string>) => {
  const d = makeProject(files, "dagx-checks-");
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

interface CheckJson {
  key: string;
  check: string;
  partition: string | null;
  passed: boolean;
  severity: "error" | "warn";
  metadata: Record<string, unknown>;
  description: string | null;
  error: string | null;
  sample: Record<string, unknown>[] | null;
  blocking: boolean;
}
interface RunJson {
  runId: string;
  status: string;
  steps: { key: string; partition: string | null; status: string; reason?: string; checks?: CheckJson[]; blocked?: string }[];
}

const HEADER = `import { asset, check, notNull, unique, rowCount, acceptedValues, expr, staticPartitions } from "dagx";\n`;
const BUILTINS = `[notNull("id"), unique("id"), rowCount({ min: 1, max: 3 }), acceptedValues("status", ["open", "paid"]), expr("amount >= 0")]`;
const byName = (list: CheckJson[]) => Object.fromEntries(list.map((c) => [c.check, c]));

describe("built-in checks", () => {
  const dir = project({
    "data.asset.ts": [
      HEADER,
      `export const good = asset({ checks: ${BUILTINS} }, () => [`,
      `  { id: 1, amount: 10, status: "open" }, { id: 2, amount: 0, status: "paid" }, { id: 3, amount: 5, status: null },`,
      `]);`,
      `export const bad = asset({ checks: ${BUILTINS} }, () => [`,
      `  { id: 1, amount: 10, status: "open" }, { id: 1, amount: -1, status: "lost" }, { id: null, amount: 2, status: "paid" }, { id: 4, amount: null, status: "open" },`,
      `]);`,
      ``,
    ].join("\n"),
  });

  test("dagx materialize runs every built-in after the step and reports each one passing or failing", async () => {
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(0); // failing checks are not blocking by default: the run succeeds
    const out = r.json<RunJson>();
    const good = byName(out.steps.find((s) => s.key === "good")!.checks!);
    expect(Object.values(good).map((c) => [c.check, c.passed])).toEqual([
      ["notNull(id)", true], ["unique(id)", true], ["rowCount(min=1, max=3)", true], ["acceptedValues(status)", true], ["expr(amount >= 0)", true],
    ]);
    expect(good["notNull(id)"]!.metadata).toEqual({ rows: 3, failing: 0 });
    const bad = byName(out.steps.find((s) => s.key === "bad")!.checks!);
    expect(Object.values(bad).every((c) => !c.passed && c.error === null && c.severity === "error")).toBe(true);
    expect(bad["notNull(id)"]).toMatchObject({ metadata: { rows: 4, failing: 1 }, sample: [{ id: null, amount: 2, status: "paid" }] });
    expect(bad["unique(id)"]).toMatchObject({ metadata: { rows: 4, failing: 1, duplicateRows: 2 }, sample: [{ id: 1, count: 2 }] });
    expect(bad["rowCount(min=1, max=3)"]).toMatchObject({ metadata: { rows: 4, min: 1, max: 3 }, sample: null });
    expect(bad["acceptedValues(status)"]).toMatchObject({ metadata: { rows: 4, failing: 1, accepted: ["open", "paid"] }, sample: [{ id: 1, amount: -1, status: "lost" }] });
    expect(bad["expr(amount >= 0)"]).toMatchObject({ metadata: { rows: 4, failing: 1 }, sample: [{ id: 1, amount: -1, status: "lost" }] }); // NULL amount passes
    expect(r.stderr).toContain("✗ check notNull(id) of bad failed: 1 of 4 rows fail");
    expect(r.stderr).toContain("✗ check unique(id) of bad failed: 1 duplicated value(s) in 2 of 4 rows");
    expect(r.stderr).toContain("✗ check rowCount(min=1, max=3) of bad failed: 4 rows, expected at least 1 and at most 3");
    expect(r.stderr).toContain('sample: {"id":1,"count":2}');
    expect(r.stderr).toContain("5/5 checks passed");
    expect(r.stderr).toContain("5 check(s) failed");
  });

  test("dagx check re-runs them on the stored outputs: exit 1 on an error failure, §8 JSON, results and events in state", async () => {
    const r = await runDagx(dir, ["check", "--json"]);
    expect(r.code).toBe(1);
    const results = r.json<CheckJson[]>();
    expect(results.length).toBe(10);
    expect(Object.keys(results[0]!).slice(0, 6)).toEqual(["key", "check", "partition", "passed", "severity", "metadata"]);
    expect(results.filter((x) => !x.passed).map((x) => `${x.key}:${x.check}`)).toEqual([
      "bad:notNull(id)", "bad:unique(id)", "bad:rowCount(min=1, max=3)", "bad:acceptedValues(status)", "bad:expr(amount >= 0)",
    ]);
    expect(r.stderr).toContain("10 check result(s): 5 passed, 5 failed, 0 warned");
    expect((await runDagx(dir, ["check", "good"])).code).toBe(0);
    const logs = (await runDagx(dir, ["logs", "latest", "--json"])).json<{ run: { trigger: string; status: string }; events: { type: string; payload: Record<string, unknown> }[] }>();
    expect(logs.run).toMatchObject({ trigger: "check", status: "success" });
    expect(logs.events.filter((e) => e.type === "check_evaluation").map((e) => e.payload.check)).toEqual(["notNull(id)", "unique(id)", "rowCount(min=1, max=3)", "acceptedValues(status)", "expr(amount >= 0)"]);
    const store = createDuckDBStateStore(join(dir, ".dagx/state.duckdb"));
    try {
      const summaries = await checkSummaries(store, ["good", "bad"]);
      expect(summaries.get("good")).toMatchObject({ passed: 5, failed: 0, warned: 0 });
      expect(summaries.get("bad")).toMatchObject({ passed: 0, failed: 5, warned: 0 });
      expect(summaries.get("bad")!.latest.find((x) => x.checkName === "unique(id)")!.sample).toEqual([{ id: 1, count: 2 }]);
    } finally {
      await store.close();
    }
  });
});

describe("blocking and severity", () => {
  const files = (opts: string) => ({
    "pipeline.asset.ts": [
      HEADER,
      `export const orders = asset({ checks: [unique("id", ${opts})] }, () => [{ id: 1 }, { id: 1 }]);`,
      `export const revenue = asset({ ins: { orders } }, (ctx, { orders }) => ctx.sql\`select count(*) as n from \${orders}\`);`,
      `export const report = asset({ ins: { revenue } }, (ctx, { revenue }) => ctx.sql\`select * from \${revenue}\`);`,
      `export const other = asset(() => [{ x: 1 }]);`,
      ``,
    ].join("\n"),
  });

  test("a blocking check failing at error severity skips the downstream with the reason; the run fails", async () => {
    const dir = project(files(`{ blocking: true }`));
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(1);
    const out = r.json<RunJson>();
    expect(out.status).toBe("failed");
    const st = Object.fromEntries(out.steps.map((s) => [s.key, s]));
    expect(st.orders).toMatchObject({ status: "success", blocked: 'check "unique(id)" of "orders" failed' });
    expect(st.revenue).toMatchObject({ status: "skipped", reason: 'blocked: check "unique(id)" of "orders" failed' });
    expect(st.report).toMatchObject({ status: "skipped", reason: 'blocked: check "unique(id)" of "orders" failed' });
    expect(st.other!.status).toBe("success");
    expect(r.stderr).toContain("✗ check unique(id) of orders failed (blocking)");
    expect(r.stderr).toContain('- revenue  skipped: blocked: check "unique(id)" of "orders" failed');
  });

  test("a warn check never blocks, even when declared blocking; nor does a non-blocking error check", async () => {
    for (const opts of [`{ severity: "warn", blocking: true }`, `{}`]) {
      const dir = project(files(opts));
      const r = await runDagx(dir, ["materialize", "--json"]);
      expect(r.code).toBe(0);
      expect(r.json<RunJson>().steps.map((s) => s.status)).toEqual(["success", "success", "success", "success"]);
      expect(r.stderr).toContain(opts.includes("warn") ? "! check unique(id) of orders warned" : "✗ check unique(id) of orders failed: 1 duplicated value(s)");
      // dagx check: exit 1 only for an error-severity failure
      expect((await runDagx(dir, ["check"])).code).toBe(opts.includes("warn") ? 0 : 1);
    }
  });
});

describe("check() functions", () => {
  const dir = project({
    "pipeline.asset.ts": [
      HEADER,
      `export const orders = asset(() => [{ id: 1, amount: 5 }, { id: 2, amount: 7 }]);`,
      `export const settings = asset(() => ({ currency: "EUR" }));`,
      `export const total_positive = check(orders, { description: "money came in" }, async (ctx, orders) => {`,
      `  const [r] = await ctx.sql\`select sum(amount) as total, count(*) as n from \${orders}\`.rows();`,
      `  return { passed: Number(r?.total) > 0, metadata: { total: r?.total, n: r?.n, at: new Date(0) } };`,
      `});`,
      `export const eur = check(settings, { name: "currency is EUR" }, (ctx, s) => s.currency === "EUR");`,
      `export const explodes = check(orders, { blocking: true }, (ctx, orders) => {`,
      `  throw new Error("cannot reach the ledger");`,
      `});`,
      `export const slow = check(orders, { timeout: "100ms", severity: "warn" }, (ctx) => new Promise((r) => setTimeout(() => r(true), 5000)));`,
      `export const nonsense = check(settings, () => "yes" as never);`,
      `export const after = asset({ ins: { orders } }, () => [{ ok: 1 }]);`,
      ``,
    ].join("\n"),
  });

  test("get the input handle or the JSON value; a throw, a timeout or a bad return is a failed check, never a crash", async () => {
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(1); // "explodes" is blocking: after is skipped
    const out = r.json<RunJson>();
    const orders = byName(out.steps.find((s) => s.key === "orders")!.checks!);
    expect(orders.total_positive).toMatchObject({ passed: true, description: "money came in", metadata: { total: 12, n: 2, at: "1970-01-01T00:00:00.000Z" } });
    expect(orders.explodes).toMatchObject({ passed: false, blocking: true });
    expect(orders.explodes!.error).toBe("cannot reach the ledger (at pipeline.asset.ts:11:13)");
    expect(orders.slow).toMatchObject({ passed: false, severity: "warn" });
    expect(orders.slow!.error).toContain('check "slow" timed out after 100ms: make it faster or raise its timeout option');
    const settings = byName(out.steps.find((s) => s.key === "settings")!.checks!);
    expect(settings["currency is EUR"]!.passed).toBe(true);
    expect(settings.nonsense!.error).toBe('check "nonsense" returned a string: return true/false or { passed, metadata }');
    expect(out.steps.find((s) => s.key === "after")).toMatchObject({ status: "skipped", reason: 'blocked: check "explodes" of "orders" failed' });
    expect(r.stderr).toContain("✗ check explodes of orders failed (blocking): cannot reach the ledger (at pipeline.asset.ts:11:13)");
  });
});

describe("check errors", () => {
  test("a check naming a missing column says so and lists the real columns (built-ins and expr())", async () => {
    const dir = project({
      "a.asset.ts": `${HEADER}export const orders = asset({ checks: [notNull("idd"), acceptedValues("Status", ["x"]), expr("amt > 0")] }, () => [{ id: 1, status: "x", amount: 2 }]);\n`,
    });
    const r = await runDagx(dir, ["materialize", "--json"]);
    const checks = byName(r.json<RunJson>().steps[0]!.checks!);
    expect(checks["notNull(idd)"]!.error).toBe('column "idd" does not exist in "orders" — did you mean "id"? (its columns: id, status, amount) (check declared at a.asset.ts:2)');
    expect(checks["acceptedValues(Status)"]!.passed).toBe(true); // DuckDB matches identifiers case-insensitively
    expect(checks["expr(amt > 0)"]!.error).toContain('Referenced column "amt" not found');
    expect(checks["expr(amt > 0)"]!.error).toContain('(columns of "orders": id, status, amount)');
    expect(r.stderr).toContain('✗ check notNull(idd) of orders failed: column "idd" does not exist');
  });

  test("built-ins on an io: \"json\" asset are a definition error (exit 2); on a JSON value they fail with the fix", async () => {
    const dir = project({ "a.asset.ts": `${HEADER}export const settings = asset({ io: "json", checks: [notNull("id")] }, () => ({ id: 1 }));\n` });
    const r = await runDagx(dir, ["materialize"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('built-in checks run SQL over a table, but io: "json" stores this asset as JSON');
    const dir2 = project({ "a.asset.ts": `${HEADER}export const settings = asset({ checks: [notNull("id")] }, () => ({ id: 1 }));\n` });
    const r2 = await runDagx(dir2, ["materialize", "--json"]);
    expect(r2.json<RunJson>().steps[0]!.checks![0]!.error).toContain('built-in checks run SQL over a table, but "settings" is stored as JSON: check it with check(settings, (ctx, value) => …) instead');
  });

  test("a bad built-in argument is a load error at the user's line", async () => {
    const dir = project({ "a.asset.ts": `${HEADER}export const orders = asset({ checks: [rowCount({ min: 3, max: 1 })] }, () => [{ id: 1 }]);\n` });
    const r = await runDagx(dir, ["list"]);
    expect(r.stderr).toContain("Invalid check rowCount() at");
    expect(r.stderr).toContain("a.asset.ts:2: min (3) is greater than max (1)");
  });
});

describe("partitioned checks", () => {
  const dir = project({
    "events.asset.ts": [
      HEADER,
      `export const events = asset({ partitions: staticPartitions(["a", "b", "c"]), checks: [notNull("v")] }, (ctx) =>`,
      `  ctx.partition.key === "b" ? [{ v: null, k: ctx.partition.key }] : [{ v: 1, k: ctx.partition.key }]);`,
      `export const per_part = check(events, (ctx, events) => ({ passed: true, metadata: { partition: ctx.partition?.key, files: events.paths.length } }));`,
      ``,
    ].join("\n"),
  });

  test("run per partition on that partition's file, stored per partition, and dagx check takes --partition(s)", async () => {
    const r = await runDagx(dir, ["materialize", "events", "--partitions", "a..c", "--json"]);
    expect(r.code).toBe(0);
    const results = r.json<RunJson>().steps.flatMap((s) => s.checks!);
    expect(results.map((c) => [c.partition, c.check, c.passed])).toEqual([
      ["a", "notNull(v)", true], ["a", "per_part", true],
      ["b", "notNull(v)", false], ["b", "per_part", true],
      ["c", "notNull(v)", true], ["c", "per_part", true],
    ]);
    expect(results.find((c) => c.check === "per_part" && c.partition === "b")!.metadata).toEqual({ partition: "b", files: 1 });
    expect(r.stderr).toContain("✗ check notNull(v) of events [b] failed: 1 of 1 rows fail");

    const all = await runDagx(dir, ["check", "--json"]);
    expect(all.code).toBe(1);
    expect(all.json<CheckJson[]>().length).toBe(6);
    expect(all.stderr).toContain("check notNull(v) of events [b] failed");
    const one = await runDagx(dir, ["check", "events", "--partition", "a", "--json"]);
    expect(one.code).toBe(0);
    expect(one.json<CheckJson[]>().map((c) => [c.partition, c.check])).toEqual([["a", "notNull(v)"], ["a", "per_part"]]);
    expect(one.stderr).toContain("✓ check notNull(v) of events (1/1 partitions)");
    const range = await runDagx(dir, ["check", "--partitions", "b..c", "--json"]);
    expect(range.json<CheckJson[]>().map((c) => c.partition)).toEqual(["b", "b", "c", "c"]);
    const bad = await runDagx(dir, ["check", "--partitions", "zz"]);
    expect(bad.code).toBe(2);

    const store = createDuckDBStateStore(join(dir, ".dagx/state.duckdb"));
    try {
      const s = (await checkSummaries(store, ["events"])).get("events")!;
      expect({ passed: s.passed, failed: s.failed, warned: s.warned }).toEqual({ passed: 5, failed: 1, warned: 0 });
      expect(s.latest.map((x) => `${x.partitionKey}/${x.checkName}`)).toEqual(["a/notNull(v)", "a/per_part", "b/notNull(v)", "b/per_part", "c/notNull(v)", "c/per_part"]);
    } finally {
      await store.close();
    }
  });

  test("dagx check says what has nothing to check, and exits 0 when nothing failed", async () => {
    const d = project({ "a.asset.ts": `${HEADER}export const orders = asset({ checks: [notNull("id")] }, () => [{ id: 1 }]);\nexport const plain = asset(() => [{ id: 1 }]);\n` });
    const none = await runDagx(d, ["check", "--json"]);
    expect(none.code).toBe(0);
    expect(none.json()).toEqual([]);
    expect(none.stderr).toContain("orders  nothing to check: not materialized");
    const nothing = await runDagx(d, ["check", "plain"]);
    expect(nothing.stderr).toContain("No checks on the selected assets");
    writeFile(d, "b.asset.ts", `import { check } from "dagx";\nimport { plain } from "./a.asset";\nexport const plain_ok = check(plain, () => true);\n`);
    expect((await runDagx(d, ["materialize"])).code).toBe(0);
    const ok = await runDagx(d, ["check"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("2 check result(s): 2 passed, 0 failed, 0 warned");
  });
});

describe("blocking across runs", () => {
  interface StatusJson {
    key: string;
    status: string;
    blocked: { asset: string; check: string; partition: string | null; runId: string; reason: string }[] | null;
  }

  test("a failed blocking check keeps blocking its downstream in later runs until it passes: exit 1 and the reason printed; status shows it; --ignore-blocking overrides", async () => {
    const dir = project(BLOCKING_CHECK_PIPELINE);
    const first = await runDagx(dir, ["materialize", "orders", "--json"]);
    expect(first.code).toBe(1);
    const runId = first.json<RunJson>().runId;
    const reason = `blocked: check "unique(id)" of "orders" failed in run ${runId}`;

    // later runs that do not re-materialize orders: its downstream is skipped with the reason, the run fails
    const later = await runDagx(dir, ["materialize", "revenue+", "--json"]);
    expect(later.code).toBe(1);
    expect(later.json<RunJson>().steps.map((s) => [s.key, s.status, s.reason])).toEqual([["revenue", "skipped", reason], ["report", "skipped", reason]]);
    expect(later.stderr).toContain(`revenue  skipped: ${reason}`);
    const dry = await runDagx(dir, ["materialize", "revenue", "--dry-run", "--json"]);
    expect(dry.json<{ steps: { key: string; blocked?: string }[] }>().steps).toMatchObject([{ key: "revenue", blocked: reason }]);
    // --stale and what stays blocked until when: tests/io/run/checks.test.ts

    // status shows the block on the downstream
    const st = (await runDagx(dir, ["status", "--json"])).json<StatusJson[]>();
    expect(st.find((s) => s.key === "revenue")!.blocked).toEqual([{ asset: "orders", check: "unique(id)", partition: null, runId, reason }]);
    expect(st.find((s) => s.key === "orders")!.blocked).toBeNull();
    expect(st.find((s) => s.key === "report")!.blocked).toBeNull();
    const human = await runDagx(dir, ["status"]);
    expect(human.stdout + human.stderr).toContain(reason);
    const detail = await runDagx(dir, ["status", "revenue"]);
    expect(detail.stdout + detail.stderr).toContain(reason);

    // --ignore-blocking runs it anyway
    const forced = await runDagx(dir, ["materialize", "revenue", "--ignore-blocking", "--json"]);
    expect(forced.code).toBe(0);
    expect(forced.json<RunJson>().steps.map((s) => [s.key, s.status])).toEqual([["revenue", "success"]]);

    // the data is fixed: orders passes its check again, and the block is lifted
    rmSync(join(dir, "dup"));
    expect((await runDagx(dir, ["materialize", "orders"])).code).toBe(0);
    const after = await runDagx(dir, ["materialize", "revenue+", "--json"]);
    expect(after.code).toBe(0);
    expect(after.json<RunJson>().steps.map((s) => s.status)).toEqual(["success", "success"]);
    expect((await runDagx(dir, ["status", "--json"])).json<StatusJson[]>().every((s) => s.blocked === null)).toBe(true);
  });

  test("per partition: status shows the block with the failing partition", async () => {
    const dir = project(PARTITION_BLOCKING_PIPELINE);
    const first = await runDagx(dir, ["materialize", "orders", "--partitions", "eu,us", "--json"]);
    expect(first.code).toBe(1);
    const reason = `blocked: check "unique(id)" of "orders" failed for partition us in run ${first.json<RunJson>().runId}`;
    // which partitions and readers are blocked, in materialize and backfill: tests/io/run/checks.test.ts
    const st = (await runDagx(dir, ["status", "--json", "revenue"])).json<StatusJson[]>();
    expect(st[0]!.blocked).toEqual([{ asset: "orders", check: "unique(id)", partition: "us", runId: first.json<RunJson>().runId, reason }]);
  });
});
