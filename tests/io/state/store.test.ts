import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { StateStoreError } from "../../../core/errors.ts";
import type { StateStore } from "../../../core/state-store.ts";
import { openFileLock } from "../../../io/storage/file-lock.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../../../io/state/_schema.ts";
import { whenStateIdle } from "../../../io/state/_session.ts";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { createMemoryStateStore } from "../../../io/state/memory-store.ts";
import { createStateWriter } from "../../../io/state/writer.ts";
import { makeBackfill, makeBackfillPartition } from "./backfills.contract.ts";
import { makeMaterialization } from "./materializations.contract.ts";
import { makeEvent, makeRun } from "./runs.contract.ts";
import { testStateStore } from "./store.contract.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-state-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => path.join(root, `p${++counter}`, ".dagx", "state.duckdb");
const BUN = process.execPath;

testStateStore("createMemoryStateStore()", () => createMemoryStateStore());
// Each contract test gets a copy of one file created and migrated here, not a file of its own to
// create and migrate (~50 ms of CPU a test); creating a file is tested below.
let template: Promise<string> | undefined;
async function migratedCopy(): Promise<StateStore> {
  template ??= (async () => {
    const file = freshPath();
    await createStateFile(file);
    return file;
  })();
  const source = await template;
  const file = freshPath();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  for (const suffix of ["", ".wal"]) if (fs.existsSync(source + suffix)) fs.copyFileSync(source + suffix, file + suffix);
  return createDuckDBStateStore(file);
}

testStateStore("createDuckDBStateStore()", migratedCopy);

/** Create (and migrate) a state file, then release it completely. */
async function createStateFile(file: string): Promise<void> {
  const store = createDuckDBStateStore(file);
  await store.listRuns();
  await store.close();
}

/** Start a child process that opens `file` with raw DuckDB and holds it until killed. */
async function holdFile(file: string): Promise<Bun.Subprocess<"ignore", "pipe", "pipe">> {
  const script = `import { DuckDBInstance } from "@duckdb/node-api"; const i = await DuckDBInstance.create(${JSON.stringify(file)}); globalThis.keep = [i, await i.connect()]; console.log("held"); setInterval(() => {}, 1000);`;
  // The handles must stay referenced: DuckDB closes (and unlocks) instances that get garbage collected.
  const child = Bun.spawn([BUN, "-e", script], { cwd: path.join(import.meta.dir, "../../.."), stdout: "pipe", stderr: "pipe" });
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  expect(new TextDecoder().decode(value)).toContain("held");
  return child;
}

describe("createDuckDBStateStore()", () => {
  test("a damaged file (random bytes, truncated) rejects with a StateStoreError naming the file and the recovery", async () => {
    const good = freshPath();
    await createStateFile(good);
    for (const bytes of [Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 256)), fs.readFileSync(good).subarray(0, 4096)]) {
      const file = freshPath();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, bytes);
      const store = createDuckDBStateStore(file);
      const error = await store.listRuns().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(StateStoreError);
      expect((error as Error).message).toStartWith(`State file "${file}" is damaged (`);
      expect((error as Error).message).toContain(`mv "${file}" "${file}.broken"`);
      await store.close();
    }
  });

  test("creates the folder 0700 and the file 0600, at the current schema version", async () => {
    const file = freshPath();
    const store = createDuckDBStateStore(file);
    await store.listRuns();
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    if (fs.existsSync(`${file}.lock`)) expect(fs.statSync(`${file}.lock`).mode & 0o777).toBe(0o600); // absent without flock
    await store.close();
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    const rows = (await conn.runAndReadAll("SELECT max(version) AS v, count(*) AS n FROM schema_version")).getRowObjectsJS();
    conn.closeSync();
    instance.closeSync();
    expect(rows).toEqual([{ v: SCHEMA_VERSION, n: BigInt(SCHEMA_VERSION) }]);
  });

  test("keeps state across store instances (the file is the only state)", async () => {
    const file = freshPath();
    const a = createDuckDBStateStore(file);
    await a.createRun(makeRun("r1"));
    await a.write({ events: [makeEvent("r1", 1)], materializations: [makeMaterialization("x")] });
    await a.close();
    const b = createDuckDBStateStore(file);
    expect((await b.getRun("r1"))?.runId).toBe("r1");
    expect(await b.getEvents("r1")).toEqual([makeEvent("r1", 1)]);
    expect(await b.latestMaterializations()).toEqual([makeMaterialization("x")]);
    await b.close();
  });

  test("releases the file between operations so another process can open it", async () => {
    const file = freshPath();
    const store = createDuckDBStateStore(file);
    await store.createRun(makeRun("r1"));
    await whenStateIdle(file); // the session detaches right after the call resolves
    const child = await holdFile(file); // would fail with "Conflicting lock" if we still held it
    child.kill("SIGKILL");
    await child.exited;
    expect((await store.getRun("r1"))?.runId).toBe("r1");
    await store.close();
  });

  test("serializes concurrent calls of one process (never two instances of one file)", async () => {
    const file = freshPath();
    const stores: StateStore[] = [createDuckDBStateStore(file), createDuckDBStateStore(file)];
    await stores[0]?.createRun(makeRun("r1"));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => stores[i % 2]?.write({ events: [makeEvent("r1", i + 1)] })),
    );
    expect((await stores[1]?.getEvents("r1"))?.length).toBe(40);
    await Promise.all(stores.map((s) => s.close()));
  });

  test("waits for a foreign lock holder, then fails with its pid and what to do", async () => {
    const file = freshPath();
    await createStateFile(file);
    const child = await holdFile(file);
    try {
      const store = createDuckDBStateStore(file, { lockTimeoutMs: 400 });
      const started = Date.now();
      const error = await store.listRuns().catch((e: unknown) => e);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(error).toBeInstanceOf(StateStoreError);
      expect((error as Error).message).toContain(`process ${child.pid} (`);
      expect((error as Error).message).toContain(`"kill ${child.pid}"`);
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
  });

  test("migrates a schema-1 file forward, keeping its rows (no ordinals yet)", async () => {
    const file = freshPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL)");
    for (const sql of MIGRATIONS[0] ?? []) await conn.run(sql);
    await conn.run("INSERT INTO schema_version VALUES (1, 0)");
    await conn.run(`INSERT INTO latest_materializations VALUES ('x', 'p1', 'r1', 2000, 'dv1', 'cv1', '{"up":"dv0"}', 'x.parquet', 'parquet', 3, 512, NULL, NULL)`);
    await conn.run("INSERT INTO dynamic_partitions VALUES ('customers', 'b', 5), ('customers', 'a', 5)");
    conn.closeSync();
    instance.closeSync();
    const store = createDuckDBStateStore(file);
    const old = makeMaterialization("x", { partitionKey: "p1", schema: null, metadata: null });
    expect(await store.latestMaterializations()).toEqual([old]);
    expect(await store.partitionSummary("x", "cv1")).toMatchObject({ materializedKeys: ["p1"], materializedCount: 1, last: old });
    expect(await store.addDynamicPartitions("customers", ["c", "a"], 1)).toBe(1);
    expect(await store.listDynamicPartitions("customers")).toEqual(["b", "a", "c"]);
    await store.createBackfill(makeBackfill("b1"), [makeBackfillPartition("b1", "x", "p1")]);
    expect((await store.getBackfill("b1"))?.partitions.length).toBe(1);
    await store.close();
  });

  test("updateBackfill() from another process reaches a backfill that polls while it writes", async () => {
    const file = freshPath();
    const store = createDuckDBStateStore(file);
    await store.createBackfill(makeBackfill("b1"), []);
    await whenStateIdle(file);
    const script = `import { createDuckDBStateStore } from ${JSON.stringify(path.join(import.meta.dir, "../../../io/state/duckdb-store.ts"))};
      const s = createDuckDBStateStore(${JSON.stringify(file)}); await Bun.sleep(150);
      await s.updateBackfill("b1", { cancelRequested: true, updatedAt: 5 }); await s.close();`;
    const child = Bun.spawn([BUN, "-e", script], { cwd: path.join(import.meta.dir, "../../.."), stdout: "pipe", stderr: "pipe" });
    let seen = false;
    for (let i = 0; i < 400 && !seen; i++) {
      await store.updateBackfillPartitions([makeBackfillPartition("b1", "a", `p${i}`, { status: "success" })]);
      seen = (await store.getBackfill("b1"))?.backfill.cancelRequested === true;
      await Bun.sleep(10);
    }
    expect(await child.exited).toBe(0);
    expect(seen).toBe(true);
    expect((await store.getBackfill("b1"))?.backfill.updatedAt).toBe(5);
    await store.close();
  });

  test("rejects a state file written by a newer dagx", async () => {
    const file = freshPath();
    await createStateFile(file);
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run("INSERT INTO schema_version VALUES (999, 0)");
    conn.closeSync();
    instance.closeSync();
    await expect(createDuckDBStateStore(file).listRuns()).rejects.toThrow("upgrade dagx");
  });
});

describe("openFileLock()", () => {
  test("excludes a second holder, even in the same process, and tells the holder someone waited", async () => {
    const file = path.join(root, "gate.lock");
    const [a, b] = await Promise.all([openFileLock(file), openFileLock(file)]);
    if (!a || !b) return; // no flock on this platform: the store polls DuckDB's own lock instead
    expect(a.tryLock()).toBe(true);
    expect(a.othersWaiting()).toBe(false);
    expect(b.tryLock()).toBe(false);
    expect(a.holderPid()).toBe(process.pid);
    expect(a.unlock()).toBe(true);
    expect(b.tryLock()).toBe(true);
    expect(b.unlock()).toBe(false);
  });
});

describe("createStateWriter()", () => {
  test("flushes buffered events in the background within flushMs", async () => {
    const store = createMemoryStateStore();
    const writer = createStateWriter(store, { flushMs: 20 });
    writer.event(makeEvent("r1", 1));
    writer.event(makeEvent("r1", 2));
    expect(writer.pending).toBe(2);
    await Bun.sleep(60);
    expect(writer.pending).toBe(0);
    expect((await store.getEvents("r1")).length).toBe(2);
    await writer.close();
  });

  test("flush() writes everything in one store.write and serializes concurrent calls", async () => {
    const store = createMemoryStateStore();
    const batches: number[] = [];
    const counted: StateStore = { ...store, write: async (b) => (batches.push(b.events?.length ?? 0), store.write(b)) };
    const writer = createStateWriter(counted, { flushMs: 10_000 });
    for (let i = 1; i <= 5; i++) writer.event(makeEvent("r1", i));
    await Promise.all([writer.flush(), writer.flush()]);
    expect(batches).toEqual([5]);
    await writer.close();
  });

  test("a failed background flush keeps the batch, retries, and surfaces on close()", async () => {
    const store = createMemoryStateStore();
    let failing = true;
    const errors: unknown[] = [];
    const flaky: StateStore = { ...store, write: async (b) => (failing ? Promise.reject(new Error("disk full")) : store.write(b)) };
    const writer = createStateWriter(flaky, { flushMs: 5, onError: (e) => errors.push(e) });
    writer.event(makeEvent("r1", 1));
    writer.materialization(makeMaterialization("a"));
    await Bun.sleep(50);
    expect(errors.length).toBeGreaterThan(0);
    expect(writer.pending).toBe(2);
    await expect(writer.close()).rejects.toThrow("disk full");
    failing = false;
    await writer.close();
    expect(writer.pending).toBe(0);
    expect((await store.getEvents("r1")).length).toBe(1);
    expect(() => writer.event(makeEvent("r1", 2))).toThrow(StateStoreError);
  });
});
