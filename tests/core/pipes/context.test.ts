import { describe, expect, test } from "bun:test";
import { buildPipesContext, pipesAsset, pipesSpecOf } from "../../../core/pipes/index.ts";
import { isAssetDef } from "../../../core/asset.ts";

const base = { assetKey: "ml/scores", codeVersion: "abc", latest: null, partition: null, runId: "r1", retryNumber: 0, inputs: {}, outputPath: "/p/out.parquet" };

describe("buildPipesContext()", () => {
  test("an unpartitioned step: keys, code version, no partition, dagx's contract in extras", () => {
    const c = buildPipesContext({ ...base, inputs: { orders: { key: "orders", paths: ["/d/orders/data.parquet"], format: "parquet" } }, extras: { mode: "fast" } });
    expect(c).toEqual({
      asset_keys: ["ml/scores"],
      code_version_by_asset_key: { "ml/scores": "abc" },
      provenance_by_asset_key: { "ml/scores": null },
      partition_key: null,
      partition_key_range: null,
      partition_time_window: null,
      run_id: "r1",
      job_name: null,
      retry_number: 0,
      extras: {
        mode: "fast",
        dagx: { version: 1, inputs: { orders: { key: "orders", paths: ["/d/orders/data.parquet"], format: "parquet" } }, output: { path: "/p/out.parquet", format: "parquet" }, partition: null },
      },
    });
  });

  test("a time partition gives key, range and window; a range of keys has no single partition_key; provenance comes from the latest record", () => {
    const start = new Date("2024-01-01T00:00:00Z");
    const end = new Date("2024-01-02T00:00:00Z");
    const one = buildPipesContext({ ...base, retryNumber: 2, latest: { codeVersion: "old", inputVersions: { orders: "v9" } }, partition: { key: "2024-01-01", keys: ["2024-01-01"], start, end } });
    expect(one.partition_key).toBe("2024-01-01");
    expect(one.partition_key_range).toEqual({ start: "2024-01-01", end: "2024-01-01" });
    expect(one.partition_time_window).toEqual({ start: "2024-01-01T00:00:00.000Z", end: "2024-01-02T00:00:00.000Z" });
    expect(one.retry_number).toBe(2);
    expect(one.provenance_by_asset_key["ml/scores"]).toEqual({ code_version: "old", input_data_versions: { orders: "v9" }, is_user_provided: false });
    expect(one.extras.dagx.partition).toEqual({ key: "2024-01-01", keys: ["2024-01-01"], start: "2024-01-01T00:00:00.000Z", end: "2024-01-02T00:00:00.000Z", dimensions: null });
    const range = buildPipesContext({ ...base, partition: { key: "b", keys: ["a", "b"] } });
    expect(range.partition_key).toBeNull();
    expect(range.partition_key_range).toEqual({ start: "a", end: "b" });
    expect(range.partition_time_window).toBeNull();
  });
});

describe("pipesAsset()", () => {
  test("is an asset definition carrying its command; kinds default to pipes", () => {
    const def = pipesAsset({ command: ["python3", "score.py"], group: "ml", retry: { maxRetries: 1 } });
    expect(isAssetDef(def)).toBe(true);
    expect(def.options).toMatchObject({ group: "ml", kinds: ["pipes"], retry: { maxRetries: 1 } });
    expect(pipesSpecOf(def)).toEqual({ command: ["python3", "score.py"], env: {}, extras: {}, cancelGraceMs: 5000 });
    expect("command" in def.options).toBe(false);
  });

  test("refuses a shell string, an empty command, and the reserved dagx extra", () => {
    expect(() => pipesAsset({ command: "python3 score.py" as never })).toThrow('command must be an argv array, not a shell string: command: ["python3","score.py"]');
    expect(() => pipesAsset({ command: [] })).toThrow("non-empty array of strings");
    expect(() => pipesAsset({ command: ["x"], extras: { dagx: 1 } })).toThrow('"dagx" is reserved');
    expect(() => pipesAsset({ command: ["x"], env: { A: 1 as never } })).toThrow("env must be an object of strings");
  });
});

describe("pipesAsset({ outs }) and its context", () => {
  test("is a multi-asset whose outs carry the command; group, owners, tags and kinds are defaults for every out", async () => {
    const { isMultiAssetDef } = await import("../../../core/multi-asset.ts");
    const m = pipesAsset({ command: ["python3", "split.py"], group: "ml", outs: { a: {}, b: { key: "x/b", group: "other" } } });
    expect(isMultiAssetDef(m)).toBe(true);
    expect(m.outs.a.options).toMatchObject({ key: "a", group: "ml", kinds: ["pipes"] });
    expect(m.outs.b.options).toMatchObject({ key: "x/b", group: "other" });
    expect(pipesSpecOf(m.outs.a)?.command).toEqual(["python3", "split.py"]);
    expect(pipesSpecOf(m)?.command).toEqual(["python3", "split.py"]);
    expect(() => pipesAsset({ command: ["p"], checks: [], outs: { a: {} } } as never)).toThrow("`checks` belongs to each out when outs are given");
    expect(() => pipesAsset({ command: "python3 split.py", outs: { a: {} } } as never)).toThrow("not a shell string");
  });

  test("the context of a multi-asset step names every key, with per-key code versions and provenance, and outputs by key", () => {
    const c = buildPipesContext({
      ...base,
      assets: [
        { key: "a", codeVersion: "v1", latest: { codeVersion: "v0", inputVersions: { o: "1" } }, outputPath: "/p/0.parquet" },
        { key: "x/b", codeVersion: "v1", latest: null, outputPath: "/p/1.parquet" },
      ],
    });
    expect(c.asset_keys).toEqual(["a", "x/b"]);
    expect(c.code_version_by_asset_key).toEqual({ a: "v1", "x/b": "v1" });
    expect(c.provenance_by_asset_key).toEqual({ a: { code_version: "v0", input_data_versions: { o: "1" }, is_user_provided: false }, "x/b": null });
    expect(c.extras.dagx.output).toBeNull();
    expect(c.extras.dagx.outputs).toEqual({ a: { path: "/p/0.parquet", format: "parquet" }, "x/b": { path: "/p/1.parquet", format: "parquet" } });
  });
});
