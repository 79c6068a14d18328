/**
 * What the Postgres state store adds to the contract (postgres-store.test.ts runs that): two processes
 * writing at once lose nothing and create each run key and incident once, concurrent first opens
 * migrate once, a newer schema is refused, and a wrong password or an unreachable server fails with a
 * message that never holds the password.
 */
import { SQL } from "bun";
import { describe, expect, test } from "bun:test";
import path from "node:path";
import { StateStoreError } from "../../../core/errors.ts";
import { createPostgresStateStore } from "../../../io/state/index.ts";
import { CHANGE_CHANNEL, PG_MIGRATIONS, PG_SCHEMA_VERSION } from "../../../io/state/_pg-schema.ts";
import { CODE_VERSION_SCHEME } from "../../../core/state-store.ts";
import type { MaterializationRecord } from "../../../core/types.ts";
import { postgresPerFile } from "./fresh-stores.ts";

const pg = postgresPerFile();
const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as Error);

describe("createPostgresStateStore()", () => {
  test("two processes writing at once: nothing lost, the newest latest row wins, run keys and open incidents once", async () => {
    const url = pg.url();
    const script = path.join(import.meta.dir, "fixtures", "pg-writer.ts");
    const children = ["a", "b"].map((who) => Bun.spawn([process.execPath, script, url, who], { stdout: "pipe", stderr: "pipe" }));
    const outputs = await Promise.all(children.map(async (c) => ({ code: await c.exited, out: await new Response(c.stdout).text(), err: await new Response(c.stderr).text() })));
    for (const o of outputs) expect(o).toMatchObject({ code: 0, out: "done\n" });
    const store = createPostgresStateStore(url);
    try {
      const latest = await store.latestMaterializations(["x"]);
      expect(latest.length).toBe(40);
      expect(new Set(latest.map((m) => `${m.runId}@${m.at}`))).toEqual(new Set(["run-b@10195"]));
      expect((await store.getEvents("run-a")).length).toBe(20);
      expect((await store.getEvents("run-b")).length).toBe(20);
      const requests = await store.listRunRequests();
      expect(requests.length).toBe(20);
      expect(new Set(requests.map((r) => r.runKey)).size).toBe(20);
      expect((await store.listTicks()).length).toBe(40);
      expect((await store.listIncidents({ open: true })).map((i) => i.key).sort()).toEqual(["k-0", "k-1", "k-2", "k-3", "k-4"]);
      expect((await store.listDynamicPartitions("dyn")).length).toBe(60);
      const summary = await store.partitionSummary("x", "cv1");
      expect(summary.materialized).toEqual([[0, 39]]);
    } finally {
      await store.close();
    }
    const admin = new SQL(pg.server().url, { max: 1 });
    const schema = new URL(url).searchParams.get("schema");
    const [{ n }] = (await admin.unsafe(`SELECT count(*)::int AS n FROM ${schema}.materializations`)) as [{ n: number }];
    await admin.close();
    expect(n).toBe(2 * 20 * 40);
  }, 60_000);

  test("stores opening a new database at once migrate it once", async () => {
    const url = pg.url();
    const stores = Array.from({ length: 4 }, () => createPostgresStateStore(url));
    await Promise.all(stores.map((s) => s.listRuns()));
    await Promise.all(stores.map((s) => s.close()));
    const admin = new SQL(pg.server().url, { max: 1 });
    const schema = new URL(url).searchParams.get("schema");
    const rows = (await admin.unsafe(`SELECT version FROM ${schema}.schema_version`)) as { version: number }[];
    await admin.close();
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1)); // once each
  });

  test("a state of schema 1 is migrated to the current version with its rows kept, and then notifies its changes", async () => {
    const admin = new SQL(pg.server().url, { max: 1 });
    const schema = `old${Date.now() % 100000}`;
    await admin.begin(async (tx) => {
      await tx.unsafe(`CREATE SCHEMA ${schema}; SET LOCAL search_path = ${schema}`);
      await tx.unsafe(`CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL);\n${PG_MIGRATIONS[0]!.join(";\n")}`);
      await tx.unsafe(`INSERT INTO schema_version VALUES (1, 0); INSERT INTO code_version_scheme VALUES (${CODE_VERSION_SCHEME}, 0)`);
      await tx.unsafe("INSERT INTO runs (run_id, status, selection, trigger, pid, host, started_at, heartbeat_at) VALUES ('r-old', 'success', '*', 'cli', 1, 'h', 5, 5)");
      await tx.unsafe(`INSERT INTO latest_materializations (asset_key, partition_key, run_id, ts, data_version, code_version, input_versions, path, format, ordinal)
        SELECT 'h', 'k' || i, 'r-old', 5, 'd', 'v1', '{}', 'p', 'parquet', i FROM generate_series(0, 2999) AS i WHERE i <> 1234`);
    });
    const heard: string[] = [];
    const sub = await admin.listen(CHANGE_CHANNEL, (payload) => heard.push(payload));
    const store = createPostgresStateStore(`${pg.server().url}?schema=${schema}`);
    try {
      expect((await store.listRuns()).map((r) => r.runId)).toEqual(["r-old"]);
      expect(await store.partitionSummary("h", "v1")).toMatchObject({ materialized: [[0, 1233], [1235, 2999]], materializedCount: 2999 });
      const rows = (await admin.unsafe(`SELECT version FROM ${schema}.schema_version ORDER BY version`)) as { version: number }[];
      expect(rows.map((r) => r.version)).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
      await store.updateRun("r-old", { status: "failed" });
      for (let i = 0; i < 50 && !heard.includes(schema); i++) await Bun.sleep(20);
      expect(heard).toContain(schema);
    } finally {
      await store.close();
      await sub.unlisten();
      await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    }
  });

  test("partition aggregates kept by the writes: two stores writing one bucket at once, re-materializations with new code, a wipe — the summary and fingerprint equal a recomputation from the rows", async () => {
    const url = pg.url();
    const [one, two] = [createPostgresStateStore(url), createPostgresStateStore(url)];
    const m = (ordinal: number, patch: Partial<MaterializationRecord> = {}): MaterializationRecord => ({
      assetKey: "h", partitionKey: `k${ordinal}`, runId: "r", at: 1000 + ordinal, dataVersion: `d${ordinal}`, codeVersion: "v1", inputVersions: {},
      path: `h/${ordinal}`, format: "parquet", rows: 1, bytes: 1, schema: null, metadata: null, ordinal, ...patch,
    });
    try {
      // 0…2047 (two buckets), even ordinals by one store and odd by the other, 64 small transactions each, interleaved
      const writer = (store: typeof one, parity: number, patch: Partial<MaterializationRecord> = {}) => (async () => {
        for (let t = 0; t < 64; t++) {
          const batch = Array.from({ length: 16 }, (_, i) => m(t * 32 + i * 2 + parity, patch));
          await store.write({ materializations: batch });
        }
      })();
      await Promise.all([writer(one, 0), writer(two, 1)]);
      expect(await one.partitionSummary("h", "v1")).toMatchObject({ materialized: [[0, 2047]], codeChanged: [], materializedCount: 2048 });
      // both stores move their partitions to new code at once: every one of those writes recomputes a shared bucket
      await Promise.all([writer(one, 0, { codeVersion: "v0", at: 5000 }), writer(two, 1, { codeVersion: "v0", at: 5000 })]);
      expect(await one.partitionSummary("h", "v1")).toMatchObject({ materialized: [[0, 2047]], codeChanged: [[0, 2047]], materializedCount: 2048 });
      await Promise.all([writer(one, 0, { at: 6000 }), writer(two, 1, { at: 6000 })]);
      // new code for a scattered few, a newer write of one with the same code, a wipe of a run in the middle
      await two.write({ materializations: [m(5, { codeVersion: "v2", at: 9000 }), m(1500, { codeVersion: "v2", at: 9000 }), m(7, { dataVersion: "other", at: 9000 })] });
      await one.wipe(["h"], Array.from({ length: 10 }, (_, i) => `k${1000 + i}`));
      const s = await two.partitionSummary("h", "v1");
      expect(s).toMatchObject({ materialized: [[0, 999], [1010, 2047]], codeChanged: [[5, 5], [1500, 1500]], materializedCount: 2038 });
      // the fingerprint is the one a full recomputation gives
      const admin = new SQL(pg.server().url, { max: 1 });
      const schema = new URL(url).searchParams.get("schema");
      const [r] = (await admin.unsafe(`SELECT count(*)::text || ':' || coalesce(bit_xor(hashtextextended(partition_key || '=' || data_version, 0)), 0)::text AS fp FROM ${schema}.latest_materializations WHERE asset_key = 'h' AND partition_key <> ''`)) as { fp: string }[];
      await admin.close();
      expect(s.fingerprint).toBe(r!.fp);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  }, 60_000);

  test("a state written by a newer dagx (higher schema version) is refused with a clear message", async () => {
    const url = pg.url();
    const first = createPostgresStateStore(url);
    await first.listRuns();
    await first.close();
    const admin = new SQL(pg.server().url, { max: 1 });
    await admin.unsafe(`INSERT INTO ${new URL(url).searchParams.get("schema")}.schema_version VALUES (99, 0)`);
    await admin.close();
    const store = createPostgresStateStore(url);
    const error = await errorOf(store.listRuns());
    await store.close();
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error!.message).toContain(`has schema version 99, newer than this dagx's ${PG_SCHEMA_VERSION}: upgrade dagx`);
  });

  test("a wrong password fails with a message naming the database, never the password", async () => {
    const server = pg.server();
    const secret = "Wr0ngSecret-xyz";
    const url = server.url.replace(`:${server.password}@`, `:${secret}@`);
    const store = createPostgresStateStore(url);
    const error = await errorOf(store.listRuns());
    await store.close();
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error!.message).toContain(`in Postgres state dagx@127.0.0.1:${server.port}/postgres`);
    expect(error!.message).toContain("password authentication failed");
    for (const text of [error!.message, JSON.stringify(error), String(error!.stack)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(server.password);
    }
  });

  test("an unreachable server fails with a hint, never the password", async () => {
    const store = createPostgresStateStore("postgres://someone:S3cretPassw0rd@127.0.0.1:1/db", { connectTimeoutSeconds: 2 });
    const error = await errorOf(store.listRuns());
    await store.close();
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error!.message).toContain("is the Postgres server up and reachable?");
    expect(error!.message).not.toContain("S3cretPassw0rd");
  });
});
