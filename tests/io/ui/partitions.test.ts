/**
 * The partition health bar from ranges: an asset with 1,000,000 hourly partitions (latest
 * materializations written straight into a real state file, as bench/partition-status.bench.ts does)
 * answers in buckets whose counts add up, fast; a small one has one bucket per partition.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { makeProject, removeProject } from "../../cli/helpers.ts";
import type { ApiAssets, ApiPartitionHealth } from "../../../core/ui-api.ts";
import { IndexSet } from "../../../core/partitions/index.ts";
import { createDuckDBStateStore } from "../../../io/state/index.ts";
import type { UiServer } from "../../../io/ui/index.ts";
import { countPerBucket } from "../../../io/ui/api/assets.ts";
import { apiGet, startTestServer } from "./_server.ts";

const N = 1_000_000;
/** Hours since the epoch of 2000-01-01T00:00Z: the ordinal of the first hourly partition. */
const FIRST = 946_684_800_000 / 3_600_000;
let dir: string;
let server: UiServer;

beforeAll(async () => {
  dir = makeProject({
    "a.asset.ts": `import { asset, daily, hourly } from "dagx";
export const big = asset({ partitions: hourly({ start: "2000-01-01-00:00", end: "2114-01-29-16:00", endOffset: 1_000_000, timezone: "UTC" }) }, (ctx) => [{ k: ctx.partition.key }]);
export const small = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-06" }) }, (ctx) => [{ k: ctx.partition.key }]);
`,
  }, "dagx-ui-parts-");
  const file = join(dir, ".dagx/state.duckdb");
  const store = createDuckDBStateStore(file);
  await store.listRuns();
  await store.close();
  const db = await DuckDBInstance.create(file);
  const conn = await db.connect();
  const key = `strftime(TIMESTAMP '2000-01-01' + to_hours(i::BIGINT), '%Y-%m-%d-%H:%M')`;
  // materialized: every hour but the second half of each 100,000 block
  await conn.run(`INSERT INTO latest_materializations BY NAME
    SELECT 'big' AS asset_key, ${key} AS partition_key, 'run-1' AS run_id, 1700000000000 + i AS ts, 'dv' AS data_version, 'v' AS code_version,
      '{}' AS input_versions, 'p' AS path, 'parquet' AS format, 1 AS row_count, 1 AS byte_count, ${FIRST} + i AS ordinal
    FROM range(${N}) t(i) WHERE i % 100000 < 50000`);
  conn.closeSync();
  db.closeSync();
  server = await startTestServer(dir);
}, 120_000);
afterAll(async () => {
  await server?.close();
  removeProject(dir);
});

test("1,000,000 partitions: 200 buckets from ranges, counts that add up, in well under the status budget", async () => {
  const t0 = performance.now();
  const res = await apiGet(server, "/api/assets/big/partitions");
  const ms = performance.now() - t0;
  const h = (await res.json()) as ApiPartitionHealth;
  expect(res.status).toBe(200);
  expect(h.total).toBe(N);
  expect(h.buckets.length).toBe(200);
  expect(h.counts.materialized).toBe(N / 2);
  expect(h.buckets.reduce((n, b) => n + b.size, 0)).toBe(N);
  expect(h.buckets.reduce((n, b) => n + b.materialized, 0)).toBe(N / 2);
  for (const b of h.buckets) expect(b.materialized + b.missing + b.failed).toBeLessThanOrEqual(b.size + b.stale);
  // bucket 0 covers hours 0…4,999: all materialized; bucket 10 (50,000…54,999): none
  expect(h.buckets[0]).toMatchObject({ first: "2000-01-01-00:00", size: 5000, materialized: 5000 });
  expect(h.buckets[10]!.materialized).toBe(0);
  expect(h.buckets.at(-1)!.last).toBe("2114-01-29-15:00");
  // 2 cores shared with other test runs: generous; the status engine's own target is 500 ms
  expect(ms).toBeLessThan(5000);
  const { assets } = (await (await apiGet(server, "/api/assets")).json()) as ApiAssets;
  expect(assets.find((a) => a.key === "big")!.partitions).toMatchObject({ total: N, materialized: N / 2 });
}, 60_000);

test("a few partitions: one bucket per partition, its key for the hover", async () => {
  const h = (await (await apiGet(server, "/api/assets/small/partitions")).json()) as ApiPartitionHealth;
  expect(h.total).toBe(5);
  expect(h.buckets.map((b) => [b.first, b.last, b.size, b.missing])).toEqual(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"].map((k) => [k, k, 1, 1]));
  const fewer = (await (await apiGet(server, "/api/assets/small/partitions?buckets=2")).json()) as ApiPartitionHealth;
  expect(fewer.buckets.map((b) => b.size)).toEqual([3, 2]);
});

test("countPerBucket: one pass over ranges, clipped at bucket edges", () => {
  const set = IndexSet.fromRanges([[0, 3], [5, 12], [19, 20]]);
  expect(countPerBucket(set, 5, 4)).toEqual([3, 5, 2, 1]);
  expect(countPerBucket(IndexSet.EMPTY, 5, 4)).toEqual([0, 0, 0, 0]);
});
