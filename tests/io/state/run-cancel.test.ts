/**
 * The migration that adds `runs.cancel_requested_at`: a file from the schema before it keeps its
 * runs (never asked to cancel), and its running run can be asked afterwards. The migration is
 * found by its column, not by its number (another migration may land before it).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MIGRATIONS, SCHEMA_VERSION } from "../../../io/state/_schema.ts";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-state-cancel-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("the cancel_requested_at migration", () => {
  test("a file from the schema before it migrates forward: its runs keep their rows, unflagged, and a running one can be asked to cancel", async () => {
    const target = MIGRATIONS.findIndex((m) => m.some((sql) => sql.includes("cancel_requested_at"))) + 1;
    expect(target).toBeGreaterThanOrEqual(10);
    const file = path.join(root, ".dagx", "state.duckdb");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL)");
    for (let v = 1; v < target; v++) {
      for (const sql of MIGRATIONS[v - 1] ?? []) await conn.run(sql);
      await conn.run("INSERT INTO schema_version VALUES (?, 0)", [v]);
    }
    await conn.run("INSERT INTO code_version_scheme VALUES (2, 0)");
    await conn.run(`INSERT INTO runs (run_id, status, selection, trigger, pid, host, started_at, ended_at, heartbeat_at) VALUES ('done', 'success', '*', 'cli', 1, 'h', 1000, 2000, 2000), ('live', 'running', '*', 'cli', 1, 'h', 3000, NULL, 3000)`);
    conn.closeSync();
    instance.closeSync();

    const store = createDuckDBStateStore(file);
    const runs = await store.listRuns();
    expect(runs.map((r) => [r.runId, r.status, "cancelRequestedAt" in r])).toEqual([["live", "running", false], ["done", "success", false]]);
    expect((await store.requestRunCancel("live", 4000))?.cancelRequestedAt).toBe(4000);
    expect((await store.requestRunCancel("done", 4000))?.cancelRequestedAt).toBeUndefined();
    await store.close();

    const check = await DuckDBInstance.create(file);
    const c2 = await check.connect();
    expect(Number((await c2.runAndReadAll("SELECT max(version) AS v FROM schema_version")).getRowObjectsJS()[0]?.v)).toBe(SCHEMA_VERSION);
    c2.closeSync();
    check.closeSync();
  });
});
