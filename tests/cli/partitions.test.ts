// Partitions through the real CLI (DESIGN §5, §8, §9): every kind of definition, ctx.partition,
// hive-style storage, `dagx query` views with partition columns, and `materialize --partition(s)`
// with its range grammar and its errors (exit 2 naming the bad part).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type CliResult, runDagx, makeProject, removeProject, ok, type StepJson } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

function project(files: Record<string, string>): string {
  const dir = makeProject(files, "dagx-parts-");
  dirs.push(dir);
  return dir;
}

interface RunJson {
  runId: string | null;
  status: string;
  steps: StepJson[];
}
interface StatusJson {
  key: string;
  status: string;
  causes: string[];
  partitions?: { total: number; materialized: number; missing: number; failed: number; stale: number; ranges: Record<string, string> };
}

const stepsOf = (r: CliResult) => ok(r).json<RunJson>().steps.map((s) => `${s.key}[${s.partition}]`);
const partitionsOf = (r: CliResult, key: string) => ok(r).json<RunJson>().steps.filter((s) => s.key === key).map((s) => s.partition);
async function query<T = Record<string, unknown>>(dir: string, sql: string): Promise<T[]> {
  return ok(await runDagx(dir, ["query", sql, "--json"])).json<T[]>();
}
async function status(dir: string): Promise<Map<string, StatusJson>> {
  return new Map(ok(await runDagx(dir, ["status", "--json"])).json<StatusJson[]>().map((s) => [s.key, s]));
}
/** Data files under .dagx/data/<key>, relative, sorted. */
function dataFiles(dir: string, key: string): string[] {
  const root = join(dir, ".dagx/data", key);
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith(".parquet") || f.endsWith(".json")).sort();
}

const utcDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

// ctx.partition as a row: key, keys, window, dimensions
const INFO = `const info = (ctx: any) => [{
  k: ctx.partition.key,
  ks: JSON.stringify(ctx.partition.keys),
  s: ctx.partition.start ? ctx.partition.start.toISOString() : null,
  e: ctx.partition.end ? ctx.partition.end.toISOString() : null,
  dims: JSON.stringify(ctx.partition.dimensions ?? null),
}];`;

describe("definitions, ctx.partition and hive storage", () => {
  let dir = "";
  beforeAll(() => {
    dir = project({
      "defs.asset.ts": [
        `import { asset, daily, dynamicPartitions, hourly, monthly, multiPartitions, staticPartitions, weekly } from "dagx";`,
        INFO,
        // 5 local hours of the spring-forward night in Berlin: 02:00 does not exist, so 4 partitions
        `export const hours = asset({ partitions: hourly({ start: "2024-03-31 00:00", end: "2024-03-31 05:00", timezone: "Europe/Berlin" }) }, info);`,
        `export const days = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-05", fmt: "yyyyMMdd" }) }, info);`,
        `export const weeks = asset({ partitions: weekly({ start: "2024-01-01", end: "2024-02-01" }) }, info);`,
        `export const sundays = asset({ partitions: weekly({ start: "2024-01-01", end: "2024-01-22", weekStartsOn: 0 }) }, info);`,
        `export const months = asset({ partitions: monthly({ start: "2024-01", end: "2024-04", timezone: "America/New_York" }) }, info);`,
        `export const regions = asset({ partitions: staticPartitions(["eu", "us", "north america"]) }, info);`,
        `export const customers = asset({ partitions: dynamicPartitions("customers") }, info);`,
        `export const cube = asset({ partitions: multiPartitions({`,
        `  date: daily({ start: "2024-01-01", end: "2024-01-03" }),`,
        `  region: staticPartitions(["eu", "us"]),`,
        `  channel: staticPartitions(["web", "app"]),`,
        `}) }, info);`,
        `export const by_customer_day = asset({ partitions: multiPartitions({ customer: dynamicPartitions("customers"), day: daily({ start: "2024-01-01", end: "2024-01-03" }) }) }, info);`,
        ``,
      ].join("\n"),
      "current.asset.ts": [
        `import { asset, daily } from "dagx";`,
        INFO,
        `export const done_days = asset({ partitions: daily({ start: "${utcDay(-3)}" }) }, info);`,
        `export const with_today = asset({ partitions: daily({ start: "${utcDay(-3)}", endOffset: 1 }) }, info);`,
        ``,
      ].join("\n"),
    });
  });

  test("hourly across a DST change: local keys, UTC windows, one folder per hour", async () => {
    expect(partitionsOf(await runDagx(dir, ["materialize", "hours", "--partitions", "*", "--json"]), "hours")).toEqual([
      "2024-03-31-00:00",
      "2024-03-31-01:00",
      "2024-03-31-03:00",
      "2024-03-31-04:00",
    ]);
    const rows = await query<{ k: string; ks: string; s: string; e: string; date: string }>(dir, "select k, ks, s, e, date from hours order by s");
    expect(rows).toEqual([
      { k: "2024-03-31-00:00", ks: '["2024-03-31-00:00"]', s: "2024-03-30T23:00:00.000Z", e: "2024-03-31T00:00:00.000Z", date: "2024-03-31-00:00" },
      { k: "2024-03-31-01:00", ks: '["2024-03-31-01:00"]', s: "2024-03-31T00:00:00.000Z", e: "2024-03-31T01:00:00.000Z", date: "2024-03-31-01:00" },
      { k: "2024-03-31-03:00", ks: '["2024-03-31-03:00"]', s: "2024-03-31T01:00:00.000Z", e: "2024-03-31T02:00:00.000Z", date: "2024-03-31-03:00" },
      { k: "2024-03-31-04:00", ks: '["2024-03-31-04:00"]', s: "2024-03-31T02:00:00.000Z", e: "2024-03-31T03:00:00.000Z", date: "2024-03-31-04:00" },
    ]);
    // ":" is percent-encoded in the folder name and decoded back by the hive reader
    expect(dataFiles(dir, "hours")[0]).toBe("date=2024-03-31-00%3A00/data.parquet");
  });

  test("daily with fmt, weekly (Monday and Sunday weeks), monthly in a time zone: keys, windows, exclusive end", async () => {
    expect(partitionsOf(await runDagx(dir, ["materialize", "days", "--partitions", "*", "--json"]), "days")).toEqual(["20240101", "20240102", "20240103", "20240104"]);
    expect(dataFiles(dir, "days")).toEqual(["date=20240101/data.parquet", "date=20240102/data.parquet", "date=20240103/data.parquet", "date=20240104/data.parquet"]);
    const d = await query<{ k: string; s: string; e: string }>(dir, "select k, s, e from days where k = '20240103'");
    expect(d).toEqual([{ k: "20240103", s: "2024-01-03T00:00:00.000Z", e: "2024-01-04T00:00:00.000Z" }]);

    // the week of 2024-01-29 ends after the exclusive end 2024-02-01: not a partition
    expect(partitionsOf(await runDagx(dir, ["materialize", "weeks", "--partitions", "*", "--json"]), "weeks")).toEqual(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"]);
    const w = await query<{ s: string; e: string }>(dir, "select s, e from weeks where k = '2024-01-08'");
    expect(w).toEqual([{ s: "2024-01-08T00:00:00.000Z", e: "2024-01-15T00:00:00.000Z" }]);
    // weeks starting on Sunday: the first Sunday at or after 2024-01-01 is 2024-01-07
    expect(partitionsOf(await runDagx(dir, ["materialize", "sundays", "--partitions", "*", "--json"]), "sundays")).toEqual(["2024-01-07", "2024-01-14"]);

    expect(partitionsOf(await runDagx(dir, ["materialize", "months", "--partitions", "*", "--json"]), "months")).toEqual(["2024-01", "2024-02", "2024-03"]);
    const m = await query<{ k: string; s: string; e: string; date: string }>(dir, "select k, s, e, date from months order by k");
    // New York midnight: UTC-5 in winter, UTC-4 after the March change
    expect(m).toEqual([
      { k: "2024-01", s: "2024-01-01T05:00:00.000Z", e: "2024-02-01T05:00:00.000Z", date: "2024-01" },
      { k: "2024-02", s: "2024-02-01T05:00:00.000Z", e: "2024-03-01T05:00:00.000Z", date: "2024-02" },
      { k: "2024-03", s: "2024-03-01T05:00:00.000Z", e: "2024-04-01T04:00:00.000Z", date: "2024-03" },
    ]);
    expect(dataFiles(dir, "months")).toEqual(["date=2024-01/data.parquet", "date=2024-02/data.parquet", "date=2024-03/data.parquet"]);
  });

  test("no end: windows up to the last complete one; endOffset: 1 adds the current, unfinished one", async () => {
    const st = await status(dir);
    expect(st.get("done_days")!.partitions!.total).toBe(3);
    expect(st.get("with_today")!.partitions!.total).toBe(4);
    expect(partitionsOf(await runDagx(dir, ["materialize", "done_days", "--partitions", "latest", "--json"]), "done_days")).toEqual([utcDay(-1)]);
    expect(partitionsOf(await runDagx(dir, ["materialize", "with_today", "--partitions", "latest", "--json"]), "with_today")).toEqual([utcDay(0)]);
    const r = await runDagx(dir, ["materialize", "done_days", "--partition", utcDay(0)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`"${utcDay(0)}" is after the last partition "${utcDay(-1)}"`);
  });

  test("staticPartitions: ctx.partition.key, partition=<key> folders (encoded), the view decodes them", async () => {
    expect(partitionsOf(await runDagx(dir, ["materialize", "regions", "--partitions", "*", "--json"]), "regions")).toEqual(["eu", "us", "north america"]);
    expect(dataFiles(dir, "regions")).toEqual(["partition=eu/data.parquet", "partition=north%20america/data.parquet", "partition=us/data.parquet"]);
    const rows = await query<{ k: string; partition: string; s: string | null }>(dir, "select k, partition, s from regions order by k");
    expect(rows).toEqual([
      { k: "eu", partition: "eu", s: null },
      { k: "north america", partition: "north america", s: null },
      { k: "us", partition: "us", s: null },
    ]);
    // a key with a space, given to --partition
    expect(partitionsOf(await runDagx(dir, ["materialize", "regions", "--partition", "north america", "--json"]), "regions")).toEqual(["north america"]);
    const bad = await runDagx(dir, ["materialize", "regions", "--partition", "ue"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown partition "ue" of staticPartitions(eu, us, north america) — did you mean');
    expect(bad.stderr).toContain('"eu"');
  });

  test("dynamicPartitions: keys come from `dagx partitions add|remove`; bad keys are refused (exit 2)", async () => {
    const none = await runDagx(dir, ["materialize", "customers", "--partition", "acme"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('"acme"');
    ok(await runDagx(dir, ["partitions", "add", "customers", "acme", "globex", "initech"]));
    expect(partitionsOf(await runDagx(dir, ["materialize", "customers", "--partitions", "*", "--json"]), "customers")).toEqual(["acme", "globex", "initech"]);
    expect(dataFiles(dir, "customers")).toEqual(["partition=acme/data.parquet", "partition=globex/data.parquet", "partition=initech/data.parquet"]);
    expect((await status(dir)).get("customers")!.partitions).toMatchObject({ total: 3, materialized: 3, missing: 0 });

    ok(await runDagx(dir, ["partitions", "remove", "customers", "globex"]));
    expect(ok(await runDagx(dir, ["partitions", "list", "customers", "--json"])).json()).toEqual(["acme", "initech"]);
    expect((await status(dir)).get("customers")!.partitions).toMatchObject({ total: 2, materialized: 2 });
    const gone = await runDagx(dir, ["materialize", "customers", "--partition", "globex"]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('Unknown partition "globex" of dynamicPartitions(customers)');

    for (const [key, why] of [["a/b", '"/"'], ["..", '".."'], ["x\ty", "control character"], ["new\nline", "control character"], ["a\\b", '"\\"']] as const) {
      const r = await runDagx(dir, ["partitions", "add", "customers", "fine", key]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Invalid partition key ${JSON.stringify(key)} for dynamic partitions "customers"`);
      expect(r.stderr).toContain(why);
    }
    expect(ok(await runDagx(dir, ["partitions", "list", "customers", "--json"])).json()).toEqual(["acme", "initech"]);

    // the same dynamic set as one dimension of a multi-partition
    const multi = partitionsOf(await runDagx(dir, ["materialize", "by_customer_day", "--partitions", "customer=initech,day=2024-01-02", "--json"]), "by_customer_day");
    expect(multi).toEqual(["initech|2024-01-02"]);
    expect(dataFiles(dir, "by_customer_day")).toEqual(["customer=initech/day=2024-01-02/data.parquet"]);
  });

  test("multiPartitions with three dimensions: ctx.partition.dimensions, nested folders, one view column per dimension", async () => {
    const all = partitionsOf(await runDagx(dir, ["materialize", "cube", "--partitions", "*", "--json"]), "cube");
    expect(all.length).toBe(8);
    expect(all).toContain("2024-01-02|us|app");
    expect(dataFiles(dir, "cube")).toEqual(
      ["2024-01-01", "2024-01-02"].flatMap((d) => ["eu", "us"].flatMap((r) => ["app", "web"].map((c) => `date=${d}/region=${r}/channel=${c}/data.parquet`))),
    );
    const rows = await query<{ k: string; dims: string; s: string; e: string; date: string; region: string; channel: string }>(
      dir,
      "select k, dims, s, e, date, region, channel from cube where region = 'us' and channel = 'app' order by k",
    );
    expect(rows).toEqual([
      { k: "2024-01-01|us|app", dims: '{"date":"2024-01-01","region":"us","channel":"app"}', s: "2024-01-01T00:00:00.000Z", e: "2024-01-02T00:00:00.000Z", date: "2024-01-01", region: "us", channel: "app" },
      { k: "2024-01-02|us|app", dims: '{"date":"2024-01-02","region":"us","channel":"app"}', s: "2024-01-02T00:00:00.000Z", e: "2024-01-03T00:00:00.000Z", date: "2024-01-02", region: "us", channel: "app" },
    ]);
    expect(await query(dir, "select count(*)::INT as n, count(distinct region)::INT as r, count(distinct channel)::INT as c from cube")).toEqual([{ n: 8, r: 2, c: 2 }]);

    // per-dimension selections, a full key, a time range on the only time dimension
    const dry = (sel: string) => runDagx(dir, ["materialize", "cube", "--partitions", sel, "--dry-run", "--json"]);
    expect(partitionsOf(await dry("date=2024-01-01..2024-01-02,region=eu"), "cube")).toEqual(["2024-01-01|eu|web", "2024-01-01|eu|app", "2024-01-02|eu|web", "2024-01-02|eu|app"]);
    expect(partitionsOf(await dry("date=2024-01-02,region=us,channel=web"), "cube")).toEqual(["2024-01-02|us|web"]);
    expect(partitionsOf(await dry("channel=app"), "cube").length).toBe(4);
    expect(partitionsOf(await dry("2024-01-01|eu|web"), "cube")).toEqual(["2024-01-01|eu|web"]);
    expect(partitionsOf(await dry("2024-01-02"), "cube").length).toBe(4);
    const badDim = await dry("date=2024-01-01,regoin=eu");
    expect(badDim.code).toBe(2);
    expect(badDim.stderr).toContain('Unknown dimension "regoin"');
    expect(badDim.stderr).toContain('did you mean "region"');
    const badValue = await dry("date=2024-01-01,region=asia");
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('Unknown partition "asia"');
    const short = await runDagx(dir, ["materialize", "cube", "--partition", "2024-01-01|eu"]);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("a key names one value per dimension: date|region|channel");
  });
});

describe("bad static keys are definition errors", () => {
  for (const [label, literal, why] of [
    ["a slash", `"a/b"`, '"/"'],
    ["a backslash", `"a\\\\b"`, '"\\"'],
    ["..", `".."`, '".."'],
    ["a control character", `"x\\u0001y"`, "control character"],
    ["a newline", `"a\\nb"`, "control character"],
  ] as const) {
    test(`${label}: exit 2 naming the file:line and the reason; other assets still load`, async () => {
      const dir = project({
        "ok.asset.ts": `import { asset } from "dagx";\nexport const fine = asset(() => [{ a: 1 }]);\n`,
        "bad.asset.ts": `import { asset, staticPartitions } from "dagx";\n\nexport const bad = asset({ partitions: staticPartitions(["eu", ${literal}]) }, (ctx) => [{ k: ctx.partition.key }]);\n`,
      });
      const r = await runDagx(dir, ["materialize", "bad", "--partition", "eu"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("Error in bad.asset.ts:3");
      expect(r.stderr).toContain("Invalid staticPartitions(): key");
      expect(r.stderr).toContain(why);
      expect(r.stderr).not.toContain("key-sets.ts");
      expect(r.stderr).not.toContain("    at ");
      expect(existsSync(join(dir, ".dagx/data/bad"))).toBe(false);
      const all = await runDagx(dir, ["materialize"]);
      expect(all.code).toBe(2);
      expect(all.stderr).toContain("load error");
      ok(await runDagx(dir, ["materialize", "fine"]));
    });
  }
  test("a multi-partition dimension key with '|' is refused too", async () => {
    const dir = project({
      "bad.asset.ts": `import { asset, daily, multiPartitions, staticPartitions } from "dagx";\nexport const bad = asset({ partitions: multiPartitions({ d: daily({ start: "2024-01-01" }), r: staticPartitions(["eu|us"]) }) }, () => [{ a: 1 }]);\n`,
    });
    const r = await runDagx(dir, ["list"]);
    expect(r.stderr).toContain("Error in bad.asset.ts:2");
    expect(r.stderr).toContain('"|"');
  });
});

describe("materialize --partition / --partitions", () => {
  let dir = "";
  beforeAll(() => {
    dir = project({
      "sales.asset.ts": [
        `import { asset, daily, monthly, staticPartitions } from "dagx";`,
        `export const orders = asset({ partitions: daily({ start: "2024-01-01", end: "2024-07-01" }) }, (ctx) => ctx.sql\`select \${ctx.partition.key} as day, 1 as n\`);`,
        `export const invoices = asset({ partitions: monthly({ start: "2024-01", end: "2025-01" }) }, (ctx) => ctx.sql\`select \${ctx.partition.key} as month\`);`,
        `export const shops = asset({ partitions: staticPartitions(["eu", "us"]) }, (ctx) => [{ shop: ctx.partition.key }]);`,
        `export const flaky = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-11" }) }, (ctx) => {`,
        `  if ((process.env.FAIL_ON ?? "").split(",").includes(ctx.partition.key)) throw new Error("boom on " + ctx.partition.key);`,
        `  return [{ day: ctx.partition.key }];`,
        `});`,
        `export const plain = asset(() => [{ x: 1 }]);`,
        ``,
      ].join("\n"),
    });
  });
  const dry = (args: string[]) => runDagx(dir, ["materialize", ...args, "--dry-run", "--json"]);

  // every range form, by each asset's granularity: tests/io/run/materialize.test.ts
  test("one range applies to each asset by its own granularity: 2024-01..2024-03 is 91 days and 3 months", async () => {
    const r = await dry(["orders", "invoices", "--partitions", "2024-01..2024-03"]);
    expect([partitionsOf(r, "orders").length, partitionsOf(r, "invoices").length]).toEqual([91, 3]);
    // and really run: 94 steps, 91 + 3 hive folders
    const run = ok(await runDagx(dir, ["materialize", "orders", "invoices", "--partitions", "2024-01..2024-03", "--json"])).json<RunJson>();
    expect(run.status).toBe("success");
    expect(run.steps.length).toBe(94);
    expect(dataFiles(dir, "orders").length).toBe(91);
    expect(dataFiles(dir, "invoices")).toEqual(["date=2024-01/data.parquet", "date=2024-02/data.parquet", "date=2024-03/data.parquet"]);
    expect(await query(dir, "select count(*)::INT as n, min(day) as lo, max(day) as hi from orders")).toEqual([{ n: 91, lo: "2024-01-01", hi: "2024-03-31" }]);
  });

  test("missing and failed select by state; status shows counts and compact ranges", async () => {
    const first = await runDagx(dir, ["materialize", "flaky", "--partitions", "2024-01-01..2024-01-05", "--json"], { env: { FAIL_ON: "2024-01-03" } });
    expect(first.code).toBe(1);
    const out = first.json<RunJson>();
    expect(out.status).toBe("failed");
    expect(out.steps.filter((s) => s.status === "failed").map((s) => s.partition)).toEqual(["2024-01-03"]);
    expect(out.steps.filter((s) => s.status === "success").length).toBe(4);

    const st = (await status(dir)).get("flaky")!;
    expect(st.status).toBe("failed");
    expect(st.partitions).toMatchObject({ total: 10, materialized: 4, missing: 5, failed: 1, stale: 0 });
    expect(st.partitions!.ranges).toMatchObject({ materialized: "2024-01-01..2024-01-02, 2024-01-04..2024-01-05", failed: "2024-01-03" });
    // the status table: one line per asset, ranges compacted
    const line = ok(await runDagx(dir, ["status"])).stdout.split("\n").find((l) => l.startsWith("flaky "))!;
    expect(line).toMatch(/^flaky\s+failed\s/);
    expect(line).toContain("4/10 parts");
    expect(line).toContain("2024-01-01..2024-01-02, 2024-01-04..2024-01-05 materialized, 2024-01-03 failed");

    expect(partitionsOf(await dry(["flaky", "--partitions", "failed"]), "flaky")).toEqual(["2024-01-03"]);
    expect(partitionsOf(await dry(["flaky", "--partitions", "missing"]), "flaky")).toEqual(["2024-01-06", "2024-01-07", "2024-01-08", "2024-01-09", "2024-01-10"]);
    expect(partitionsOf(await dry(["flaky", "--partitions", "failed,2024-01-10"]), "flaky")).toEqual(["2024-01-03", "2024-01-10"]);

    expect(stepsOf(await runDagx(dir, ["materialize", "flaky", "--partitions", "failed", "--json"]))).toEqual(["flaky[2024-01-03]"]);
    const after = (await status(dir)).get("flaky")!;
    expect(after.partitions).toMatchObject({ materialized: 5, failed: 0, missing: 5 });
    expect(after.status).toBe("missing");
    expect(partitionsOf(await runDagx(dir, ["materialize", "flaky", "--partitions", "missing", "--json"]), "flaky").length).toBe(5);
    const done = (await status(dir)).get("flaky")!;
    expect([done.status, done.partitions!.ranges.materialized]).toEqual(["fresh", "2024-01-01..2024-01-10"]);
    // nothing failed or missing left: a plan with no steps, exit 0
    expect(ok(await runDagx(dir, ["materialize", "flaky", "--partitions", "missing", "--json"])).json<RunJson>().steps).toEqual([]);
  });

  test("bad ranges and keys exit 2 naming the bad part, and run nothing", async () => {
    const runsBefore = ok(await runDagx(dir, ["runs", "--json"])).json<unknown[]>().length;
    const cases: [string[], string[]][] = [
      [["orders", "--partitions", "2023-12-31"], ['"2023-12-31" is before the start "2024-01-01"']],
      [["orders", "--partitions", "2024-06-30..2024-07-01"], ['"2024-07-01" is after the last partition "2024-06-30"']],
      [["orders", "--partitions", "2024-03..2024-01"], ['"2024-03..2024-01": the start is after the end']],
      [["orders", "--partitions", "2024-01-05..2024-01-04"], ['"2024-01-05..2024-01-04": the start is after the end']],
      [["orders", "--partitions", "2024-13-01"], ['"2024-13-01" is not a valid date']],
      [["orders", "--partitions", "2024-02-30"], ['"2024-02-30"']],
      [["orders", "--partitions", "banana"], ['"banana" is not a partition key of daily(start=2024-01-01, end=2024-07-01)']],
      [["orders", "--partitions", "2024-01-01,,2024-01-02"], ['Empty item in partition selection "2024-01-01,,2024-01-02"']],
      [["orders", "--partitions", "2024-01..2024-02..2024-03"], ['A range has one ".."']],
      [["orders", "--partitions", ""], ["Empty partition selection"]],
      [["orders", "--partitions", "region=eu"], ['Unknown dimension "region"']],
      [["shops", "--partitions", "eu,asia"], ['Unknown partition "asia" of staticPartitions(eu, us)']],
      [["orders", "--partition", "2024-01"], ['--partition "2024-01" names 31 partitions of "orders"']],
      [["orders", "--partition", "2024-01-01", "--partitions", "2024-01"], ["either --partition KEY or --partitions RANGE"]],
      // fits none of the selected definitions
      [["orders", "invoices", "--partitions", "2031-01"], ['"2031-01" is after the last partition']],
    ];
    for (const [args, parts] of cases) {
      const r = await runDagx(dir, ["materialize", ...args]);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
      for (const p of parts) expect(r.stderr).toContain(p);
      expect(r.stderr).not.toContain("    at ");
    }
    // the caret points at the bad part of the selection
    const caret = await runDagx(dir, ["materialize", "orders", "--partitions", "2024-01-01,2024-13-01"]);
    expect(caret.code).toBe(2);
    const lines = caret.stderr.split("\n");
    const at = lines.findIndex((l) => l.trim() === "2024-01-01,2024-13-01");
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]!.indexOf("^")).toBe(lines[at]!.indexOf("2024-13-01"));
    expect(lines[at + 1]!.trim()).toBe("^".repeat("2024-13-01".length));
    expect(ok(await runDagx(dir, ["runs", "--json"])).json<unknown[]>().length).toBe(runsBefore);
  });

  test("a partitioned asset without --partition(s) exits 2 with the fix; with --partition an unpartitioned one in the selection runs once", async () => {
    const r = await runDagx(dir, ["materialize", "orders"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Asset "orders" is partitioned (daily(start=2024-01-01, end=2024-07-01)): pass --partition KEY or --partitions RANGE');
    expect(r.stderr).toContain("dagx materialize orders --partitions latest");
    const both = await runDagx(dir, ["materialize", "plain", "orders"]);
    expect(both.code).toBe(2);
    expect(existsSync(join(dir, ".dagx/data/plain"))).toBe(false);
    // an unpartitioned asset selected with a partitioned one runs once
    expect(stepsOf(await runDagx(dir, ["materialize", "plain", "shops", "--partition", "eu", "--json"]))).toEqual(["plain[null]", "shops[eu]"]);
  });
});
