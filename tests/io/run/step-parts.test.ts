/**
 * The parts of the step runner, in process, on the in-memory state store and real temp files:
 * callAsset (the user-code boundary), stepFailure (user code vs dagx's own failures), loadInputs and
 * storeOutputs (through the IO manager a record names), recordMaterializations, and a whole run
 * through runMaterialize with a project's own IO manager.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { DagxError, UserCodeError } from "../../../core/errors.ts";
import type { PlanStep } from "../../../core/plan.ts";
import type { MaterializationRecord } from "../../../core/types.ts";
import { loadProject, type Project } from "../../../io/project/project.ts";
import { callAsset, createRunScope, stepFailure } from "../../../io/run/run-engine.ts";
import { runMaterialize } from "../../../io/run/materialize.ts";
import { projectResources } from "../../../io/run/resources.ts";
import { buildContext, makeLogger, refResolver, stepIO } from "../../../io/run/step-context.ts";
import { inputsOf, loadInputs } from "../../../io/run/step-inputs.ts";
import { storeOutputs } from "../../../io/run/step-output.ts";
import { recordMaterializations, rowsOf } from "../../../io/run/step-record.ts";
import type { RunScope, StepAttempt } from "../../../io/run/step-scope.ts";
import { createMemoryStateStore } from "../../../io/state/memory-store.ts";
import { readPartitionState } from "../../../io/status/index.ts";
import { makeProject, removeProject } from "../../cli/helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const CONFIG = `import { defineConfig, defineIOManager, isSqlQuery } from "dagx";
export const calls: string[] = [];
export const ndjson = defineIOManager({
  async handleOutput(ctx, value) {
    const rows = isSqlQuery(value) ? await value.rows() : value;
    calls.push(\`handleOutput \${ctx.assetKey} [\${ctx.partitionKey}] \${isSqlQuery(value) ? "sql" : "value"}\`);
    const file = await ctx.writeFile("data.ndjson", rows.map((r) => JSON.stringify(r)).join("\\n"));
    return { ...file, rows: rows.length, schema: null };
  },
  loadInput(ctx) {
    calls.push(\`loadInput \${ctx.upstream.assetKey} for \${ctx.assetKey}\`);
    if (ctx.upstream.assetKey === "broken") throw new Error("cannot reach the bucket");
    const files = ctx.upstream.locations.map((l) => ctx.path(l));
    return ctx.table(\`read_json(\${ctx.fileList(files)}, format = 'newline_delimited')\`, files);
  },
});
export default defineConfig({ ioManagers: { ndjson } });
`;

const ASSETS = `import { asset, daily } from "dagx";
export const events = asset({ io: "ndjson" }, () => [{ id: 1 }, { id: 2 }]);
export const broken = asset({ io: "ndjson" }, () => [{ id: 1 }]);
export const count = asset({ ins: { events } }, (ctx, { events }) => ctx.sql\`select count(*)::INTEGER as n from \${events}\`);
export const reads_broken = asset({ ins: { broken } }, () => 1);
export const throws = asset(() => {
  throw new TypeError("no such column");
});
export const side = asset({ deps: [events] }, () => undefined);
export const days = asset({ io: "ndjson", partitions: daily({ start: "2024-01-01", end: "2024-01-04" }), backfill: "single-run" }, (ctx) =>
  ctx.sql\`select d::VARCHAR as date, 1 as x from unnest(['2024-01-01', '2024-01-02', '2024-01-03']) as t(d)\`);
`;

async function setup(): Promise<{ project: Project; calls: string[] }> {
  const dir = makeProject({ "dagx.config.ts": CONFIG, "a.asset.ts": ASSETS });
  dirs.push(dir);
  const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
  const calls = ((await import(join(dir, "dagx.config.ts"))) as { calls: string[] }).calls;
  return { project, calls };
}

/** A run scope over `project` with the in-memory store's view: `latest` as given, records collected. */
async function scope(project: Project, latest = new Map<string, MaterializationRecord>(), recorded: MaterializationRecord[] = []): Promise<RunScope> {
  const store = createMemoryStateStore();
  const keys = [...project.graph.assets.values()].filter((a) => a.partitionsDef).map((a) => a.key);
  return createRunScope({
    storage: project.storage, graph: project.graph, runId: "run-1", resources: projectResources(project), ioManagers: project.ioManagers, latest,
    partitions: await readPartitionState(project.graph, store, Date.now(), keys),
    loadPartitions: (k, pks) => store.latestPartitionMaterializations(k, pks),
    wholeVersion: async () => "whole", latestSchemas: (k) => store.latestSchemas(k),
    onMaterialization: (m) => recorded.push(m), onCheckResults: () => {}, onLog: () => {}, now: () => 1000,
  });
}

async function attempt(run: RunScope, key: string, partitionKeys: string[] | null = null): Promise<StepAttempt & { close(): void }> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  const step: PlanStep = { id: key, key, partitionKey: partitionKeys?.[partitionKeys.length - 1] ?? "", partitionKeys, after: [] } as unknown as PlanStep;
  return { step, asset: run.graph.assets.get(key)!, signal: new AbortController().signal, conn: async () => conn, atEnd: () => {}, close: () => (conn.closeSync(), instance.closeSync()) };
}

/** One attempt through the parts, as runStep composes them. */
async function runParts(run: RunScope, a: StepAttempt) {
  const handles = new Map<string, unknown>();
  const io = stepIO(run, a, refResolver(run, a, handles), makeLogger(() => {}));
  const { versions } = await loadInputs(run, a, io, handles);
  const { value, metadata } = await callAsset(run, a, buildContext(run, a, io), inputsOf(a.asset, handles));
  const outputs = await storeOutputs(run, a, io, value);
  return recordMaterializations(run, a, outputs, versions, metadata);
}

describe("step parts", () => {
  test("callAsset() turns a throw into a UserCodeError with the asset, partition, run, the user's file:line and the cause", async () => {
    const { project } = await setup();
    const run = await scope(project);
    const a = await attempt(run, "throws");
    const io = stepIO(run, a, () => null, makeLogger(() => {}));
    const e = await callAsset(run, a, buildContext(run, a, io), {}).catch((x: unknown) => x);
    a.close();
    expect(e).toBeInstanceOf(UserCodeError);
    const u = e as UserCodeError;
    expect([u.code, u.assetKey, u.partitionKey, u.runId, u.location]).toEqual(["USER_CODE", "throws", null, "run-1", "a.asset.ts:7:13"]);
    expect(u.message).toBe("TypeError: no such column (at a.asset.ts:7:13)");
    expect(u.cause).toBeInstanceOf(TypeError);
    expect(stepFailure(run, a, u)).toEqual({ ok: false, error: "TypeError: no such column (at a.asset.ts:7:13)" });
  });

  test("stepFailure() keeps dagx's own failure distinct: its message, and its stack for --verbose", async () => {
    const { project } = await setup();
    const run = await scope(project);
    const a = await attempt(run, "events");
    a.close();
    const internal = stepFailure(run, a, new RangeError("offset out of bounds"));
    expect(internal).toMatchObject({ ok: false, error: "RangeError: offset out of bounds" });
    expect((internal as { detail: string }).detail).toContain("step-parts.test.ts");
    expect(stepFailure(run, a, new DagxError("MISSING_UPSTREAM", "upstream gone"))).toEqual({ ok: false, error: "upstream gone" });
  });

  test("storeOutputs() and loadInputs() go through the IO manager the asset names and the record's format", async () => {
    const { project, calls } = await setup();
    const recorded: MaterializationRecord[] = [];
    const run = await scope(project, new Map(), recorded);
    const e = await attempt(run, "events");
    const [m] = await runParts(run, e);
    e.close();
    expect(m).toMatchObject({ assetKey: "events", format: "ndjson", path: "events/data.ndjson", rows: 2, runId: "run-1" });
    expect(existsSync(join(project.storage.dataRoot, "events/data.ndjson"))).toBe(true);
    const c = await attempt(run, "count");
    const [n] = await runParts(run, c);
    const rows = await (await c.conn()).runAndReadAll(`select * from read_parquet('${join(project.storage.dataRoot, n!.path)}')`);
    c.close();
    expect(rows.getRowObjectsJS()).toEqual([{ n: 2 }]);
    expect(n!.inputVersions).toEqual({ events: m!.dataVersion });
    expect(calls).toEqual(["handleOutput events [] value", "loadInput events for count"]);
    expect(recorded.map((r) => r.assetKey)).toEqual(["events", "count"]);
  });

  test("a project's IO manager that throws in loadInput is user code: a UserCodeError naming it", async () => {
    const { project } = await setup();
    const run = await scope(project);
    const b = await attempt(run, "broken");
    await runParts(run, b);
    b.close();
    const r = await attempt(run, "reads_broken");
    const e = await runParts(run, r).catch((x: unknown) => x);
    r.close();
    expect(e).toBeInstanceOf(UserCodeError);
    expect((e as UserCodeError).message).toMatch(/^IO manager "ndjson" \(loadInput of "broken"\) threw: cannot reach the bucket \(at dagx\.config\.ts:12:\d+\)$/);
    expect((e as UserCodeError).assetKey).toBe("reads_broken");
  });

  test("recordMaterializations() versions a side-effect output by code and inputs; rowsOf() sums tables", async () => {
    const { project } = await setup();
    const run = await scope(project);
    const e = await attempt(run, "events");
    const [ev] = await runParts(run, e);
    e.close();
    const s = await attempt(run, "side");
    const [side] = await runParts(run, s);
    s.close();
    expect(side).toMatchObject({ format: "none", path: "", rows: null, inputVersions: { events: ev!.dataVersion } });
    expect(side!.dataVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(rowsOf([ev!, side!])).toBe(2);
    expect(rowsOf([side!])).toBeNull();
  });

  test("a single-run step hands the IO manager one ctx.sql query per partition, without the partition column", async () => {
    const { project, calls } = await setup();
    const run = await scope(project);
    const d = await attempt(run, "days", ["2024-01-01", "2024-01-02", "2024-01-03"]);
    const records = await runParts(run, d);
    d.close();
    expect(records.map((r) => [r.partitionKey, r.path, r.rows])).toEqual([
      ["2024-01-01", "days/date=2024-01-01/data.ndjson", 1],
      ["2024-01-02", "days/date=2024-01-02/data.ndjson", 1],
      ["2024-01-03", "days/date=2024-01-03/data.ndjson", 1],
    ]);
    expect(calls).toEqual(["handleOutput days [2024-01-01] sql", "handleOutput days [2024-01-02] sql", "handleOutput days [2024-01-03] sql"]);
    expect(await Bun.file(join(project.storage.dataRoot, "days/date=2024-01-02/data.ndjson")).text()).toBe('{"x":1}');
  });
});

test("runMaterialize() on the in-memory store records a project IO manager's outputs under its name", async () => {
  const { project } = await setup();
  const store = createMemoryStateStore();
  const outcome = await runMaterialize(project, store, {
    selectionText: "events+", selected: new Set(["events", "count", "side"]), stale: false, concurrency: 1, dryRun: false, trigger: "cli", signal: new AbortController().signal, now: () => Date.now(),
  });
  expect(outcome.status).toBe("success");
  const latest = await store.latestMaterializations(["events", "count", "side"]);
  expect(latest.map((m) => [m.assetKey, m.format, m.path]).sort()).toEqual([
    ["count", "parquet", "count/data.parquet"],
    ["events", "ndjson", "events/data.ndjson"],
    ["side", "none", ""],
  ]);
});
