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
import { postgresPerFile } from "./fresh-stores.ts";
import { PG_SCHEMA_VERSION } from "../../../io/state/_pg-schema.ts";

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
