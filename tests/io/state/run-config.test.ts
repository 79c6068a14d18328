/**
 * State schema 8 (per-run config): `runs.config` and `materializations.config_hash` round-trip in
 * both stores, and a schema-7 file migrates forward keeping its rows (which carry no config).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { StateStore } from "../../../core/state-store.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../../../io/state/_schema.ts";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { createMemoryStateStore } from "../../../io/state/memory-store.ts";
import { makeMaterialization } from "./materializations.contract.ts";
import { makeRun } from "./runs.contract.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-state-config-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => path.join(root, `p${++counter}`, ".dagx", "state.duckdb");

for (const [name, create] of [
  ["createMemoryStateStore()", () => createMemoryStateStore()],
  ["createDuckDBStateStore()", () => createDuckDBStateStore(freshPath())],
] as const) {
  describe(name, () => {
    test("keeps a run's config and a materialization's config hash (latest and history); absent stays absent", async () => {
      const store: StateStore = create();
      const config = { orders: { limit: 5, region: "eu", nested: { depth: 1 } } };
      await store.createRun(makeRun("r1", { config }));
      await store.createRun(makeRun("r2", { startedAt: 2000 }));
      expect((await store.getRun("r1"))?.config).toEqual(config);
      expect((await store.listRuns()).map((r) => r.config ?? null)).toEqual([null, config]);
      const withHash = makeMaterialization("orders", { runId: "r1", configHash: "abcdef0123456789" });
      const without = makeMaterialization("plain", { runId: "r1" });
      await store.write({ materializations: [withHash, without] });
      const latest = await store.latestMaterializations(["orders", "plain"]);
      expect(latest.find((m) => m.assetKey === "orders")?.configHash).toBe("abcdef0123456789");
      expect("configHash" in latest.find((m) => m.assetKey === "plain")!).toBe(false);
      await store.close();
    });

    test("partitionSummary() with a config hash: the partitions (time and key-list) that recorded another one, alone and batched", async () => {
      const store: StateStore = create();
      const mat = (assetKey: string, partitionKey: string, ordinal: number | null, configHash?: string) =>
        makeMaterialization(assetKey, { partitionKey, ...(ordinal === null ? {} : { ordinal }), ...(configHash ? { configHash } : {}) });
      await store.write({
        materializations: [
          mat("t", "d1", 100, "plain"), mat("t", "d2", 101, "custom"), mat("t", "d3", 102), mat("t", "d4", 103, "custom"),
          mat("k", "a", null, "plain"), mat("k", "b", null, "custom"),
        ],
      });
      const alone = await store.partitionSummary("t", "cv1", { configHash: "plain" });
      expect([alone.configChanged, alone.configChangedKeys]).toEqual([[[101, 101], [103, 103]], []]);
      const [t, k, none] = await Promise.all([store.partitionSummary("t", "cv1", { configHash: "plain" }), store.partitionSummary("k", "cv1", { configHash: "plain" }), store.partitionSummary("k", "cv1")]);
      expect([t.configChanged, k.configChanged, k.configChangedKeys]).toEqual([[[101, 101], [103, 103]], [], ["b"]]);
      expect("configChanged" in none).toBe(false);
      await store.close();
    });
  });
}

describe("migration 8", () => {
  test("a schema-7 file migrates forward: its runs and materializations keep their rows, without config", async () => {
    const file = freshPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL)");
    for (let v = 1; v <= 7; v++) {
      for (const sql of MIGRATIONS[v - 1] ?? []) await conn.run(sql);
      await conn.run("INSERT INTO schema_version VALUES (?, 0)", [v]);
    }
    await conn.run("INSERT INTO code_version_scheme VALUES (2, 0)");
    await conn.run(`INSERT INTO runs VALUES ('r1', 'success', '*', 'cli', 1, 'h', 1000, 2000, 2000, '["x"]')`);
    await conn.run(`INSERT INTO latest_materializations VALUES ('x', '', 'r1', 1500, 'dv1', 'cv1', '{}', 'x/data.parquet', 'parquet', 3, 512, NULL, NULL, NULL)`);
    await conn.run(`INSERT INTO materializations SELECT * FROM latest_materializations`);
    conn.closeSync();
    instance.closeSync();

    const store = createDuckDBStateStore(file);
    const run = await store.getRun("r1");
    expect(run).toMatchObject({ runId: "r1", status: "success", assets: ["x"] });
    expect(run && "config" in run).toBe(false);
    const [m] = await store.latestMaterializations(["x"]);
    expect(m).toMatchObject({ assetKey: "x", dataVersion: "dv1", codeVersion: "cv1" });
    expect(m && "configHash" in m).toBe(false);
    // the new columns take new rows
    await store.createRun(makeRun("r2", { config: { x: { n: 1 } } }));
    await store.write({ materializations: [makeMaterialization("x", { runId: "r2", at: 3000, configHash: "h2" })] });
    expect((await store.getRun("r2"))?.config).toEqual({ x: { n: 1 } });
    expect((await store.latestMaterializations(["x"]))[0]?.configHash).toBe("h2");
    await store.close();

    const check = await DuckDBInstance.create(file);
    const c2 = await check.connect();
    const version = (await c2.runAndReadAll("SELECT max(version) AS v FROM schema_version")).getRowObjectsJS()[0]?.v;
    expect(Number(version)).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(8);
    c2.closeSync();
    check.closeSync();
  });
});
