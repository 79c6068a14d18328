// Per-partition staleness past 20,000 partitions (issue 12): `dagx status` compares every
// materialized partition with its upstream (the store's query, no cap). The state is made with SQL
// from the rows one real materialization wrote (as bench/status-1m.bench.ts does).
import { afterAll, expect, test } from "bun:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { join } from "node:path";
import { makeProject, ok, removeProject, runDagx } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const HOUR = 3_600_000;
const START = Date.UTC(2023, 0, 1) / HOUR; // ordinal of the first hour
const TOTAL = 26_304; // hours of 2023–2025

/** Replace the rows of `src` and `events` with TOTAL hours each; events read src's data versions, except at `changed` (src re-materialized since). */
async function fill(dir: string, changed: readonly number[]): Promise<void> {
  const instance = await DuckDBInstance.create(join(dir, ".dagx/state.duckdb"));
  const conn = await instance.connect();
  const code = async (asset: string) => String((await conn.runAndReadAll(`SELECT code_version FROM latest_materializations WHERE asset_key = '${asset}'`)).getRowsJS()[0]![0]);
  const [src, events] = [await code("src"), await code("events")];
  const key = `strftime(make_timestamp((${START} + i) * ${HOUR * 1000}), '%Y-%m-%d-%H:%M')`;
  // latest rows also carry input_map (schema 9), the same versions as a MAP, as dagx writes them
  const row = (asset: string, cv: string, dv: string, inputs: string, map: string | null) =>
    `SELECT '${asset}', ${key}, 'r', 1000 + i, ${dv}, '${cv}', ${inputs}, '${asset}/' || i, 'json', 1, 16, NULL, NULL, ${START} + i, NULL${map === null ? "" : `, ${map}`} FROM range(${TOTAL}) t(i)`;
  const bumped = `CASE WHEN i IN (${[-1, ...changed].join(", ")}) THEN 'new' ELSE 'dv' || i END`;
  for (const table of ["latest_materializations", "materializations"]) {
    await conn.run(`DELETE FROM ${table}`);
    const latest = table === "latest_materializations";
    await conn.run(`INSERT INTO ${table} ${row("src", src, bumped, "'{}'", latest ? "MAP([]::VARCHAR[], []::VARCHAR[])" : null)}`);
    await conn.run(`INSERT INTO ${table} ${row("events", events, "'e' || i", `'{"src":"dv' || i || '"}'`, latest ? "MAP(['src'], ['dv' || i])" : null)}`);
  }
  conn.closeSync();
  instance.closeSync();
}

test("status names a stale partition beyond the 20,000th (every partition compared with its upstream)", async () => {
  const dir = makeProject({
    "a.asset.ts": [
      `import { asset, hourly } from "dagx";`,
      `const HOURS = hourly({ start: "2023-01-01-00:00", end: "2026-01-01-00:00" });`,
      `export const src = asset({ partitions: HOURS }, (ctx) => [{ h: ctx.partition!.key }]);`,
      `export const events = asset({ ins: { src }, partitions: HOURS }, () => [{ n: 1 }]);`,
      ``,
    ].join("\n"),
  }, "dagx-pstale-");
  dirs.push(dir);
  ok(await runDagx(dir, ["materialize", "src", "events", "--partition", "2025-12-31-23:00"]));
  await fill(dir, []);
  const fresh = ok(await runDagx(dir, ["status", "events", "--json"])).json<{ status: string; causes: string[]; partitions: { stale: number; total: number } }[]>()[0]!;
  expect([fresh.status, fresh.causes, fresh.partitions.total, fresh.partitions.stale]).toEqual(["fresh", [], TOTAL, 0]);

  await fill(dir, [25_000, 25_001]); // 2025-11-07 16:00 and 17:00
  const st = ok(await runDagx(dir, ["status", "events", "--json"])).json<{ status: string; causes: string[]; partitions: { stale: number; ranges: { stale: string } } }[]>()[0]!;
  expect(st.status).toBe("stale");
  expect(st.causes).toEqual(['upstream "src" has newer data for 2025-11-07-16:00..2025-11-07-17:00']);
  expect([st.partitions.stale, st.partitions.ranges.stale]).toEqual([2, "2025-11-07-16:00..2025-11-07-17:00"]);
  const line = ok(await runDagx(dir, ["status"])).stdout.split("\n").find((l) => l.startsWith("events "))!;
  expect(line).toContain("2025-11-07-16:00..2025-11-07-17:00 stale");
});
