/**
 * DuckDB-only instigator tests: run-key dedupe across processes, and migration 3 of an existing file.
 * (The shared contract is tests/io/state-store-instigators.contract.ts.)
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MIGRATIONS, SCHEMA_VERSION } from "../../../io/state/_schema.ts";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { makeRun } from "./runs.contract.ts";
import { makeRequest, makeTick } from "./instigators.contract.ts";

const REPO = path.join(import.meta.dir, "../../..");
const STORE = path.join(REPO, "io/state/duckdb-store.ts");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-instigators-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/**
 * A process that records `keys` ticks from sensor `worker`, each with one request of run key
 * `key-<i>`, starting at `startAt`; prints { created, duplicates } as JSON.
 */
function tickWorker(file: string, worker: string, keys: number, startAt: number) {
  const script = `import { createDuckDBStateStore } from ${JSON.stringify(STORE)};
    const s = createDuckDBStateStore(${JSON.stringify(file)});
    const created = [], duplicates = [];
    await Bun.sleep(Math.max(0, ${startAt} - Date.now()));
    for (let i = 0; i < ${keys}; i++) {
      const now = Date.now();
      const request = { requestId: "${worker}-" + i, source: "${worker}", kind: "sensor", runKey: "key-" + i, selection: ["a"],
        partitions: null, status: "requested", runId: null, reason: null, createdAt: now, updatedAt: now };
      const tick = { name: "${worker}", kind: "sensor", tickAt: now, evaluatedAt: now, status: "requested", reason: null, requestIds: [] };
      const r = await s.recordTick(tick, [request], { cursor: String(i), lastTickAt: now });
      created.push(...r.created); duplicates.push(...r.duplicates);
    }
    await s.close();
    console.log(JSON.stringify({ created, duplicates }));`;
  return Bun.spawn([process.execPath, "-e", script], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
}

describe("createDuckDBStateStore() instigators", () => {
  test("two processes recording the same run keys at once create each request exactly once", async () => {
    const file = path.join(root, "race", ".dagx", "state.duckdb");
    const keys = 25;
    const startAt = Date.now() + 1000; // both start their first recordTick at the same moment
    const children = ["w1", "w2"].map((w) => tickWorker(file, w, keys, startAt));
    const results = await Promise.all(
      children.map(async (child) => {
        const [code, out, err] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
        expect({ code, err }).toEqual({ code: 0, err: "" });
        return JSON.parse(out.trim()) as { created: string[]; duplicates: string[] };
      }),
    );
    const store = createDuckDBStateStore(file);
    const requests = await store.listRunRequests();
    const byKey = new Map<string, string[]>();
    for (const r of requests) byKey.set(String(r.runKey), [...(byKey.get(String(r.runKey)) ?? []), r.requestId]);
    expect(byKey.size).toBe(keys);
    expect([...byKey.values()].every((ids) => ids.length === 1)).toBe(true);
    expect(results.flatMap((r) => r.created).sort()).toEqual(requests.map((r) => r.requestId).sort());
    for (const r of results) expect(r.created.length + r.duplicates.length).toBe(keys);
    // Every tick is kept; each names only the requests it created; cursors reached the end.
    const ticks = await store.listTicks();
    expect(ticks.length).toBe(2 * keys);
    expect(ticks.flatMap((t) => t.requestIds).sort()).toEqual(requests.map((r) => r.requestId).sort());
    expect((await store.listInstigators()).map((i) => [i.name, i.cursor])).toEqual([["w1", String(keys - 1)], ["w2", String(keys - 1)]]);
    await store.close();
  }, 60_000);

  test("migrates a schema-2 file forward: old rows stay, instigator tables replace ticks/cursors", async () => {
    const file = path.join(root, "v2", ".dagx", "state.duckdb");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL)");
    for (const [i, migration] of MIGRATIONS.slice(0, 2).entries()) {
      for (const sql of migration) await conn.run(sql);
      await conn.run("INSERT INTO schema_version VALUES (?, 0)", [i + 1]);
    }
    await conn.run("INSERT INTO runs VALUES ('r1', 'running', '*', 'cli', 4242, 'h', 1000, NULL, 1000)");
    conn.closeSync();
    instance.closeSync();
    const store = createDuckDBStateStore(file);
    expect(await store.getRun("r1")).toEqual(makeRun("r1"));
    expect(await store.recordTick(makeTick("daily"), [makeRequest("q1")], { cursor: "c" })).toEqual({ created: ["q1"], duplicates: [] });
    expect((await store.listInstigators()).map((i) => i.cursor)).toEqual(["c"]);
    await store.close();
    const check = await DuckDBInstance.create(file);
    const c = await check.connect();
    const tables = (await c.runAndReadAll("SELECT table_name FROM duckdb_tables() ORDER BY table_name")).getRowsJS().flat();
    const version = (await c.runAndReadAll("SELECT max(version) FROM schema_version")).getRowsJS()[0]?.[0];
    c.closeSync();
    check.closeSync();
    expect(tables).toContain("instigators");
    expect(tables).toContain("run_requests");
    expect(tables).not.toContain("cursors");
    expect(version).toBe(SCHEMA_VERSION);
  });
});
