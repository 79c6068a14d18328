/** The work queue's pure decisions (core/queue.ts, core/queue-outputs.ts). */
import { describe, expect, test } from "bun:test";
import { defineIOManager } from "../../core/io-manager.ts";
import { postgresTable } from "../../core/postgres-table.ts";
import { EARLY_CUTOFF_REASON } from "../../core/materialization.ts";
import { afterAttempt, codeMismatch, isFreshNote, queuedRunStatus, unitCutoff } from "../../core/queue.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import { localOutputProblem, sharedFormats } from "../../core/queue-outputs.ts";
import { s3Parquet } from "../../core/s3-parquet.ts";

const lake = s3Parquet({ bucket: "lake", prefix: "shop" });
const pg = postgresTable({ url: "postgres://u@h/db" });
const own = defineIOManager({ name: "ndjson", handleOutput: () => ({ location: "x", bytes: 0, dataVersion: "v" }) as never, loadInput: () => null as never });

describe("which outputs other workers can read", () => {
  test("s3Parquet and postgresTable, by name or inline, as the asset's or the config's default", () => {
    expect(localOutputProblem("a", "lake", undefined, { lake })).toBeNull();
    expect(localOutputProblem("a", null, "pg", { pg })).toBeNull();
    expect(localOutputProblem("a", lake, undefined, {})).toBeNull();
    expect(localOutputProblem("a", null, pg, {})).toBeNull();
  });
  test("the built-ins and a project's own manager are refused, with the asset, the manager and the fix", () => {
    expect(localOutputProblem("orders", null, undefined, {})).toContain(`asset "orders" stores its output with the IO manager "parquet"`);
    expect(localOutputProblem("orders", "json", undefined, {})).toContain(`"json"`);
    const own1 = localOutputProblem("orders", own, undefined, {})!;
    expect(own1).toContain(`"ndjson"`);
    expect(own1).toContain("s3Parquet({ … }) or postgresTable({ … })");
    expect(own1).toContain("DAGX_WORKERS_SHARED_STORAGE=1");
  });
  test("sharedFormats: the names state records for shared managers", () => {
    expect([...sharedFormats(pg, { lake, own }, [null, "lake", s3Parquet({ bucket: "bucket", prefix: "p", name: "other" })])].sort()).toEqual(["lake", "other", "postgres"]);
  });
});

describe("attempts, code versions, the run's end", () => {
  test("a failed attempt is retried while claims remain", () => {
    expect(afterAttempt(true, 3, 1)).toBe("success");
    expect(afterAttempt(false, 1, 2)).toBe("retry");
    expect(afterAttempt(false, 2, 2)).toBe("failed");
  });
  test("codeMismatch names the first asset whose version differs, or that this project lacks", () => {
    expect(codeMismatch({ a: "1", b: "2" }, (k) => ({ a: "1", b: "2" })[k] ?? null)).toBeNull();
    expect(codeMismatch({ a: "1", b: "2" }, (k) => ({ a: "1", b: "3" })[k] ?? null)).toEqual({ key: "b", recorded: "2", current: "3" });
    expect(codeMismatch({ gone: "1" }, () => null)).toEqual({ key: "gone", recorded: "1", current: null });
  });
  test("queuedRunStatus", () => {
    expect(queuedRunStatus([{ status: "success" }, { status: "success" }], false)).toBe("success");
    expect(queuedRunStatus([{ status: "success" }, { status: "skipped" }], false)).toBe("failed");
    expect(queuedRunStatus([{ status: "success" }], true)).toBe("canceled");
    // a unit skipped by --stale's early cutoff ended satisfied; other skips fail the run
    expect(queuedRunStatus([{ status: "success" }, { status: "skipped", fresh: true }], false)).toBe("success");
    expect(queuedRunStatus([{ status: "success" }, { status: "skipped", fresh: false }], false)).toBe("failed");
    expect(isFreshNote("skipped", EARLY_CUTOFF_REASON)).toBe(true);
    expect(isFreshNote("skipped", 'upstream "a" failed')).toBe(false);
    expect(isFreshNote("success", EARLY_CUTOFF_REASON)).toBe(false);
  });
});

describe("--stale's early cutoff at claim time (unitCutoff)", () => {
  const m = (assetKey: string, runId: string, dataVersion: string, inputVersions: Record<string, string> = {}, configHash?: string) =>
    ({ assetKey, runId, dataVersion, codeVersion: `code-${assetKey}`, inputVersions, ...(configHash ? { configHash } : {}) }) as unknown as MaterializationRecord;
  const assets: Record<string, { codeVersion: string; deps: string[] }> = { a: { codeVersion: "code-a", deps: [] }, b: { codeVersion: "code-b", deps: ["a"] }, c: { codeVersion: "code-c", deps: ["a"] } };
  const base = { runId: "r2", asset: (k: string) => assets[k], configHash: () => undefined };
  // a re-materialized by this run (r2) with the data b and c read in r1
  const same = new Map([["a", m("a", "r2", "v1")], ["b", m("b", "r1", "w", { a: "v1" })], ["c", m("c", "r1", "x", { a: "v1" })]]);
  test("skips a candidate whose upstream's data is what it last read", () => {
    expect(unitCutoff([{ key: "b" }], { ...base, candidates: new Set(["b"]), latest: same })).toBe(EARLY_CUTOFF_REASON);
  });
  test("runs it when the upstream's data changed, it is no candidate, this run materialized it, or its config changed", () => {
    const changed = new Map(same).set("a", m("a", "r2", "v2"));
    expect(unitCutoff([{ key: "b" }], { ...base, candidates: new Set(["b"]), latest: changed })).toBeNull();
    expect(unitCutoff([{ key: "b" }], { ...base, candidates: new Set(), latest: same })).toBeNull();
    expect(unitCutoff([{ key: "b" }], { ...base, runId: "r1", candidates: new Set(["b"]), latest: same })).toBeNull();
    const configured = new Map(same).set("b", m("b", "r1", "w", { a: "v1" }, "h1"));
    expect(unitCutoff([{ key: "b" }], { ...base, configHash: () => "h2", candidates: new Set(["b"]), latest: configured })).toBeNull();
    expect(unitCutoff([{ key: "b" }], { ...base, configHash: () => "h1", candidates: new Set(["b"]), latest: configured })).toBe(EARLY_CUTOFF_REASON);
  });
  test("a unit of several outs is skipped only when every out is", () => {
    const cChanged = new Map(same).set("c", m("c", "r1", "x", { a: "v0" }));
    expect(unitCutoff([{ key: "b" }, { key: "c" }], { ...base, candidates: new Set(["b", "c"]), latest: same })).toBe(EARLY_CUTOFF_REASON);
    expect(unitCutoff([{ key: "b" }, { key: "c" }], { ...base, candidates: new Set(["b", "c"]), latest: cChanged })).toBeNull();
    expect(unitCutoff([{ key: "b" }, { key: "c" }], { ...base, candidates: new Set(["b"]), latest: same })).toBeNull();
  });
});
