/**
 * Partition mappings in-process on the memory store (DESIGN §5, §7): each input reads exactly the
 * upstream partitions its mapping names (asserted on what the SQL reference covers and on the
 * paths it holds), and staleness is per partition: a changed upstream partition makes only the
 * mapped downstream partitions stale, identical data none, and a `--stale` run runs exactly
 * those. The CLI journey (tests/cli/partition-mappings.test.ts) keeps the status table and the
 * mapping errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunOutcome } from "../../../io/run/index.ts";
import { withEnv } from "../../support/env.ts";
import { type TestProject, testProjects } from "../../support/project.ts";

const projects = testProjects("dagx-mappings-io-");
afterAll(projects.cleanup);

const day = (d: number) => `2024-01-${String(d).padStart(2, "0")}`;
const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => day(from + i));

// orders: one row per day; its "v" column comes from versions/<day> (default v1), so a test can
// change one partition's data. Downstream assets report what their input covers.
const FILES = {
  "orders.asset.ts": [
    `import { existsSync, readFileSync } from "node:fs";`,
    `import { asset, daily } from "dagx";`,
    `export const DAYS = { start: "2024-01-01", end: "2024-03-01" };`,
    `const version = (ctx: any) => { const f = ctx.path("versions/" + ctx.partition.key); return existsSync(f) ? readFileSync(f, "utf8").trim() : "v1"; };`,
    `export const orders = asset({ partitions: daily(DAYS) }, (ctx) => ctx.sql\`select \${ctx.partition.key}::DATE as d, \${version(ctx)} as v, 10 as amount\`);`,
    ``,
  ].join("\n"),
  "readers.asset.ts": [
    `import { allPartitions, asset, daily, identity, lastPartition, monthly, staticPartitions, timeWindow } from "dagx";`,
    `import { DAYS, orders } from "./orders.asset";`,
    `const span = (ctx: any, t: any) => ctx.sql\`select count(distinct d)::INT as days, count(*)::INT as n, min(d)::VARCHAR as lo, max(d)::VARCHAR as hi from \${t}\`;`,
    `export const same_day = asset({ ins: { orders }, partitions: daily(DAYS) }, (ctx, { orders }) => {`,
    `  if (process.env.FAIL_DAY === ctx.partition.key) throw new Error("failing on purpose");`,
    `  return span(ctx, orders);`,
    `});`,
    `export const same_day_explicit = asset({ ins: { orders }, partitions: daily({ start: "2024-01-15", end: "2024-03-01" }), mappings: { orders: identity() } }, (ctx, { orders }) => span(ctx, orders));`,
    `export const rolling = asset({ ins: { orders }, partitions: daily(DAYS), mappings: { orders: timeWindow({ offset: [-6, 0] }) } }, (ctx, { orders }) => {`,
    `  ctx.log.info("paths " + JSON.stringify(orders.paths.map((p: string) => p.split("/.dagx/data/")[1])));`,
    `  return span(ctx, orders);`,
    `});`,
    `export const yesterday = asset({ ins: { orders }, partitions: daily(DAYS), mappings: { orders: timeWindow({ offset: -1 }) } }, (ctx, { orders }) => span(ctx, orders));`,
    `export const per_month = asset({ ins: { orders }, partitions: monthly({ start: "2024-01", end: "2024-03" }) }, (ctx, { orders }) => span(ctx, orders));`,
    `export const snapshots = asset({ ins: { orders }, partitions: staticPartitions(["a", "b"]), mappings: { orders: allPartitions() } }, (ctx, { orders }) => span(ctx, orders));`,
    `export const last_seen = asset({ ins: { orders }, partitions: staticPartitions(["x"]), mappings: { orders: lastPartition() } }, (ctx, { orders }) => span(ctx, orders));`,
    `export const newest = asset({ ins: { orders }, mappings: { orders: lastPartition() } }, (ctx, { orders }) => span(ctx, orders));`,
    `export const total = asset({ ins: { orders } }, (ctx, { orders }) => span(ctx, orders));`,
    ``,
  ].join("\n"),
  "regions.asset.ts": [
    `import { asset, daily, dimension, multiPartitions, staticMapping, staticPartitions } from "dagx";`,
    `import { DAYS, orders } from "./orders.asset";`,
    `export const region_rows = asset({ partitions: staticPartitions(["eu", "uk", "us"]) }, (ctx) => [{ region: ctx.partition.key }]);`,
    `export const areas = asset({ ins: { region_rows }, partitions: staticPartitions(["emea", "amer", "apac"]), mappings: { region_rows: staticMapping({ emea: ["eu", "uk"], amer: "us" }) } },`,
    `  async (ctx, { region_rows }) => [{ regions: (await region_rows.rows()).map((r: any) => r.region).sort().join(","), files: region_rows.paths.length }]);`,
    `export const region_copy = asset({ ins: { region_rows }, partitions: staticPartitions(["us", "eu"]) }, async (ctx, { region_rows }) => [{ regions: (await region_rows.rows()).map((r: any) => r.region).join(",") }]);`,
    `export const sales = asset({ ins: { orders }, partitions: multiPartitions({ date: daily(DAYS), region: staticPartitions(["eu", "us"]) }) },`,
    `  (ctx, { orders }) => ctx.sql\`select \${ctx.partition.dimensions.region} as r, count(distinct d)::INT as days, min(d)::VARCHAR as lo from \${orders}\`);`,
    `export const sales_by_day = asset({ ins: { sales }, partitions: daily(DAYS) }, (ctx, { sales }) => ctx.sql\`select count(*)::INT as n, string_agg(distinct r, ',' order by r) as regions, min(lo) as lo, max(lo) as hi from \${sales}\`);`,
    `export const sales_by_region = asset({ ins: { sales }, partitions: staticPartitions(["eu", "us"]), mappings: { sales: dimension("region") } },`,
    `  (ctx, { sales }) => ctx.sql\`select count(*)::INT as n, string_agg(distinct r, ',') as regions from \${sales}\`);`,
    `export const region_settings = asset({ partitions: staticPartitions(["eu", "us"]) }, (ctx) => ({ currency: ctx.partition.key === "eu" ? "EUR" : "USD" }));`,
    `export const currencies = asset({ ins: { region_settings } }, (ctx, { region_settings }) => region_settings);`,
    ``,
  ].join("\n"),
};


const PARTITIONED = ["same_day", "same_day_explicit", "rolling", "yesterday", "per_month", "snapshots", "last_seen", "sales", "sales_by_day", "sales_by_region"];

/** Steps of a run (or plan), grouped: key → partitions (null: unpartitioned). */
function byKey(o: RunOutcome): Record<string, (string | null)[]> {
  const out: Record<string, (string | null)[]> = {};
  const steps = o.runId === null ? o.plan.steps.map((s) => ({ key: s.key, partition: s.partitionKey })) : o.steps;
  for (const s of steps) (out[s.key] ??= []).push(s.partition || null);
  return out;
}

describe("mappings and per-partition staleness", () => {
  let p: TestProject;
  beforeAll(async () => {
    p = await projects.open(FILES);
    expect((await p.materialize("orders, region_rows, region_settings", { partitionSelection: "*" })).status).toBe("success");
    expect((await p.materialize([...PARTITIONED, "areas", "region_copy"].join(", "), { partitionSelection: "*" })).status).toBe("success");
    expect((await p.materialize("newest, total, currencies")).status).toBe("success");
  }, 60_000);
  /** `dagx materialize KEY --partition PARTITION`. */
  const materializeOne = async (key: string, partition: string) => expect((await p.materialize(key, { partitionSelection: `"${partition}"`, singlePartition: true })).status).toBe("success");
  /** key → stale partition ranges ("" when none) for partitioned assets, status for the others. */
  const staleMap = async () => Object.fromEntries([...(await p.status())].map(([k, s]) => [k, s.partitions ? s.partitions.ranges.stale : s.status]));

  test("everything is fresh after the first materialization (JSON and lastPartition() readers too)", async () => {
    const st = await p.status();
    expect([...st].filter(([, s]) => s.status !== "fresh").map(([k, s]) => [k, s.status, s.causes])).toEqual([]);
  });

  test("identity, time windows with offsets, month ← days, all, last, unpartitioned: each reads exactly its upstream partitions", async () => {
    const one = async (asset: string, partition: string) => {
      const where = partition ? ` where date = '${partition}'` : "";
      const rows = await p.query<{ days: number; n: number; lo: string | null; hi: string | null }>(`select days, n, lo, hi from ${asset}${where}`);
      expect(rows.length).toBe(1);
      return rows[0]!;
    };
    expect(await one("same_day", "2024-01-10")).toEqual({ days: 1, n: 1, lo: "2024-01-10", hi: "2024-01-10" });
    expect(await one("same_day_explicit", "2024-01-20")).toEqual({ days: 1, n: 1, lo: "2024-01-20", hi: "2024-01-20" });
    expect(await one("rolling", "2024-01-10")).toEqual({ days: 7, n: 7, lo: "2024-01-04", hi: "2024-01-10" });
    expect(await one("rolling", "2024-01-01")).toEqual({ days: 1, n: 1, lo: "2024-01-01", hi: "2024-01-01" }); // clipped at the start
    expect(await one("rolling", "2024-02-29")).toEqual({ days: 7, n: 7, lo: "2024-02-23", hi: "2024-02-29" });
    expect(await one("yesterday", "2024-02-01")).toEqual({ days: 1, n: 1, lo: "2024-01-31", hi: "2024-01-31" });
    // the day before the first partition does not exist: an empty input, not a failure
    expect(await one("yesterday", "2024-01-01")).toEqual({ days: 0, n: 0, lo: null, hi: null });
    expect(await one("per_month", "2024-01")).toEqual({ days: 31, n: 31, lo: "2024-01-01", hi: "2024-01-31" });
    expect(await one("per_month", "2024-02")).toEqual({ days: 29, n: 29, lo: "2024-02-01", hi: "2024-02-29" });
    for (const part of ["a", "b"]) expect(await p.query(`select days, lo, hi from snapshots where partition = '${part}'`)).toEqual([{ days: 60, lo: "2024-01-01", hi: "2024-02-29" }]);
    expect(await p.query("select days, lo, hi from last_seen")).toEqual([{ days: 1, lo: "2024-02-29", hi: "2024-02-29" }]);
    expect(await one("newest", "")).toEqual({ days: 1, n: 1, lo: "2024-02-29", hi: "2024-02-29" });
    expect(await one("total", "")).toEqual({ days: 60, n: 60, lo: "2024-01-01", hi: "2024-02-29" });

    // the handle holds exactly the 7 files of the window: orders.paths, logged by the step
    const run = (await p.store.listRuns()).find((r) => r.selection.includes("rolling"))!;
    const events = await p.store.getEvents(run.runId);
    const messages = events.filter((e) => e.type === "log" && e.assetKey === "rolling").map((e) => String(e.payload.message));
    const paths = messages.map((m) => JSON.parse(m.slice("paths ".length)) as string[]);
    expect(paths).toContainEqual(days(4, 10).map((d) => `orders/date=${d}/data.parquet`));
    expect(paths).toContainEqual([`orders/date=${day(1)}/data.parquet`]);
    expect(paths.length).toBe(60);
  });

  test("static mappings, identity between key lists, one dimension of a multi-partition", async () => {
    // apac is not in the mapping: it reads no partition (an empty input)
    expect(await p.query("select partition, regions, files from areas order by partition")).toEqual([
      { partition: "amer", regions: "us", files: 1 },
      { partition: "apac", regions: "", files: 0 },
      { partition: "emea", regions: "eu,uk", files: 2 },
    ]);
    expect(await p.query("select partition, regions from region_copy order by partition")).toEqual([
      { partition: "eu", regions: "eu" },
      { partition: "us", regions: "us" },
    ]);
    // a (date, region) partition reads its date of orders
    expect(await p.query("select r, days, lo from sales where date = '2024-01-10' order by r")).toEqual([
      { r: "eu", days: 1, lo: "2024-01-10" },
      { r: "us", days: 1, lo: "2024-01-10" },
    ]);
    // a day reads both regions of that day; a region reads all days of that region
    expect(await p.query("select n, regions, lo, hi from sales_by_day where date = '2024-01-10'")).toEqual([{ n: 2, regions: "eu,us", lo: "2024-01-10", hi: "2024-01-10" }]);
    expect(await p.query("select partition, n, regions from sales_by_region order by partition")).toEqual([
      { partition: "eu", n: 60, regions: "eu" },
      { partition: "us", n: 60, regions: "us" },
    ]);
    expect(await p.query("select * from currencies")).toEqual([{ eu: { currency: "EUR" }, us: { currency: "USD" } }]);
  });

  test("changed data in one upstream partition: only the mapped downstream partitions go stale", async () => {
    mkdirSync(join(p.dir, "versions"), { recursive: true });
    writeFileSync(join(p.dir, "versions", "2024-01-10"), "v2");
    await materializeOne("orders", "2024-01-10");
    expect(await staleMap()).toEqual({
      orders: "",
      same_day: "2024-01-10", // identity → 1
      same_day_explicit: "",
      rolling: "2024-01-10..2024-01-16", // 7-day window → the 7 days that read it
      yesterday: "2024-01-11",
      per_month: "2024-01", // its month
      snapshots: "a..b", // all partitions read everything
      last_seen: "",
      newest: "fresh",
      total: "stale", // the unpartitioned all-reader
      region_rows: "",
      areas: "",
      region_copy: "",
      sales: "2024-01-10|eu..2024-01-10|us",
      sales_by_day: "2024-01-10", // through a stale sales partition
      sales_by_region: "eu..us",
      region_settings: "",
      currencies: "fresh",
    });
    const st = await p.status();
    expect(st.get("rolling")!.partitions).toMatchObject({ total: 60, materialized: 60, stale: 7, missing: 0, failed: 0 });
    expect(st.get("rolling")!.causes).toEqual(['upstream "orders" has newer data for 2024-01-10..2024-01-16']);
    expect(st.get("total")!.causes).toEqual(['upstream "orders" has newer data']);
    expect(st.get("sales_by_day")!.causes).toEqual(['upstream "sales" is stale for 2024-01-10']);
    expect(st.get("rolling")!.partitions!.ranges).toMatchObject({ materialized: "2024-01-01..2024-02-29", stale: "2024-01-10..2024-01-16" });
  });

  test("identical data leaves the downstream partitions fresh (early cutoff per partition)", async () => {
    const before = await staleMap();
    expect((await p.materialize("orders", { partitionSelection: "2024-01-20,2024-02-29" })).status).toBe("success");
    await materializeOne("region_rows", "eu");
    expect(await staleMap()).toEqual(before);
  });

  test("materialize --stale runs exactly the stale (and missing, failed) partitions, then nothing", async () => {
    // on top of the stale ones: a failed partition, and a new asset whose partitions are missing
    writeFileSync(join(p.dir, "versions", "2024-02-05"), "v2");
    await materializeOne("orders", "2024-02-05");
    const failed = await withEnv({ FAIL_DAY: "2024-01-25" }, () => p.materialize("same_day", { partitionSelection: '"2024-01-25"', singlePartition: true }));
    expect(failed.status).toBe("failed");
    writeFileSync(
      join(p.dir, "late.asset.ts"),
      `import { asset, daily } from "dagx";\nimport { orders } from "./orders.asset";\nexport const late = asset({ ins: { orders }, partitions: daily({ start: "2024-02-27", end: "2024-03-01" }) }, (ctx, { orders }) => ctx.sql\`select count(*)::INT as n from \${orders}\`);\n`,
    );
    p = await p.reload();
    const st0 = await p.status();
    expect(st0.get("same_day")!.partitions).toMatchObject({ failed: 1, stale: 2 });
    expect(st0.get("late")!.partitions).toMatchObject({ total: 3, missing: 3 });
    const plan = byKey(await p.materialize("*", { stale: true, dryRun: true }));
    const expected = {
      same_day: ["2024-01-10", "2024-01-25", "2024-02-05"],
      late: ["2024-02-27", "2024-02-28", "2024-02-29"],
      rolling: [...days(10, 16), "2024-02-05", "2024-02-06", "2024-02-07", "2024-02-08", "2024-02-09", "2024-02-10", "2024-02-11"],
      yesterday: ["2024-01-11", "2024-02-06"],
      per_month: ["2024-01", "2024-02"],
      snapshots: ["a", "b"],
      total: [null],
      sales: ["2024-01-10|eu", "2024-01-10|us", "2024-02-05|eu", "2024-02-05|us"],
      sales_by_day: ["2024-01-10", "2024-02-05"],
      sales_by_region: ["eu", "us"],
      same_day_explicit: ["2024-02-05"],
    };
    const sorted = (o: Record<string, (string | null)[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [...v].sort()]).sort());
    expect(sorted(plan)).toEqual(sorted(expected));
    const run = await p.materialize("*", { stale: true });
    expect(run.status).toBe("success");
    expect(sorted(byKey(run))).toEqual(sorted(expected));
    const st = await p.status();
    expect([...st].filter(([, s]) => s.status !== "fresh").map(([k, s]) => [k, s.status, s.causes])).toEqual([]);
    // the re-run partitions read the new data
    expect(await p.query("select days, lo, hi from rolling where date = '2024-01-16'")).toEqual([{ days: 7, lo: "2024-01-10", hi: "2024-01-16" }]);
    const again = await p.materialize("*", { stale: true });
    expect([again.status, again.steps]).toEqual(["nothing", []]);
  });

  test("lastPartition(): only a change of the last upstream partition reaches its readers", async () => {
    writeFileSync(join(p.dir, "versions", "2024-02-28"), "v3");
    await materializeOne("orders", "2024-02-28");
    let st = await staleMap();
    expect([st.last_seen, st.newest]).toEqual(["", "fresh"]);
    writeFileSync(join(p.dir, "versions", "2024-02-29"), "v3");
    await materializeOne("orders", "2024-02-29");
    st = await staleMap();
    expect([st.last_seen, st.newest, st.same_day]).toEqual(["x", "stale", "2024-02-28..2024-02-29"]);
  });
});

