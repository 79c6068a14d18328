/**
 * What the Postgres state's change notifications cost and give (io/state/postgres-changes.ts), on a
 * real durable Postgres from tests/support/postgres.ts:
 *
 *   bun bench/postgres-changes.bench.ts [--writes 500] [--rounds 5]
 *
 * - write cost: `store.write` of one event + one materialization, `writes` times, with the statement
 *   triggers of migration 2 and with them dropped (two schemas, interleaved rounds);
 * - latency: a write committed by one store → the UI change feed over another store emits its
 *   change event (LISTEN → change marks → diff), median of 50.
 */
import { SQL } from "bun";
import { createPostgresStateStore } from "../io/state/index.ts";
import { createChangeFeed } from "../io/ui/change-feed.ts";
import { startPostgres } from "../tests/support/postgres.ts";
import { median } from "./_util.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const WRITES = arg("writes", 500);
const ROUNDS = arg("rounds", 5);

const mat = (i: number) => ({
  assetKey: "a", partitionKey: `p${i}`, runId: "r", at: 1_700_000_000_000 + i, dataVersion: `d${i}`, codeVersion: "c", inputVersions: {},
  path: `x/${i}`, format: "parquet", rows: 1, bytes: 10, schema: null, metadata: null, ordinal: null, configHash: null,
});
const event = (i: number) => ({ runId: "r", seq: i, at: 1_700_000_000_000 + i, type: "log", assetKey: "a", partitionKey: "", payload: {} });

const pg = await startPostgres({ durable: true });
try {
  const withTriggers = createPostgresStateStore(`${pg.url}?schema=trig`);
  const without = createPostgresStateStore(`${pg.url}?schema=plain`);
  await withTriggers.listRuns();
  await without.listRuns();
  const admin = new SQL(pg.url, { max: 1 });
  const triggers = (await admin.unsafe("SELECT tgname, tgrelid::regclass::text AS rel FROM pg_trigger WHERE tgname = 'notify_change' AND tgrelid::regclass::text LIKE 'plain.%'")) as { rel: string }[];
  for (const t of triggers) await admin.unsafe(`DROP TRIGGER notify_change ON ${t.rel}`);
  const times = { triggers: [] as number[], plain: [] as number[] };
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, store] of round % 2 ? ([["plain", without], ["triggers", withTriggers]] as const) : ([["triggers", withTriggers], ["plain", without]] as const)) {
      const t = performance.now();
      for (let i = 0; i < WRITES; i++, n++) await store.write({ events: [event(n) as never], materializations: [mat(n) as never] });
      times[name].push((performance.now() - t) / WRITES);
    }
  }
  console.log(`store.write (1 event + 1 materialization), ms per write, medians of ${ROUNDS} rounds of ${WRITES}: triggers ${median(times.triggers).toFixed(3)}, none ${median(times.plain).toFixed(3)}, ratio ${(median(times.triggers) / median(times.plain)).toFixed(3)}`);

  // latency: a commit in one store → a change event from the feed over another
  const reader = createPostgresStateStore(`${pg.url}?schema=trig`);
  const feed = createChangeFeed(reader, "/nonexistent", {});
  let resolve: (() => void) | null = null;
  const off = feed.subscribe(() => resolve?.());
  await Bun.sleep(500); // LISTEN acknowledged, baseline marks read
  const lat: number[] = [];
  for (let i = 0; i < 50; i++, n++) {
    const seen = new Promise<void>((r) => (resolve = r));
    const t = performance.now();
    await withTriggers.write({ materializations: [mat(n) as never] });
    await seen;
    lat.push(performance.now() - t);
  }
  console.log(`commit → feed change event: median ${median(lat).toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms (50)`);
  off();
  feed.close();
  await Promise.all([reader.close(), withTriggers.close(), without.close(), admin.close()]);
} finally {
  await pg.stop();
}
