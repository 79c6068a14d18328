import { describe, expect, test } from "bun:test";
import { applyPipesLine, describePipesException, emptyPipesReport, parsePipesLine, pipesMetadataToDagx } from "../../../core/pipes/index.ts";

const line = (method: string, params: unknown, version = "0.1") => JSON.stringify({ __dagster_pipes_version: version, method, params });

describe("parsePipesLine()", () => {
  test("parses each method the dagster-pipes client writes", () => {
    expect(parsePipesLine(line("opened", { extras: { a: 1 } }))).toEqual({ ok: true, message: { method: "opened", extras: { a: 1 } } });
    expect(parsePipesLine(line("closed", {}))).toEqual({ ok: true, message: { method: "closed", exception: null } });
    expect(parsePipesLine(line("log", { message: "hi", level: "WARNING" }))).toEqual({ ok: true, message: { method: "log", message: "hi", level: "WARNING" } });
    expect(parsePipesLine(line("report_asset_materialization", { asset_key: "a/b", data_version: "v1", metadata: { n: { raw_value: 3, type: "int" } } }))).toEqual({
      ok: true,
      message: { method: "report_asset_materialization", assetKey: "a/b", dataVersion: "v1", metadata: { n: { raw_value: 3, type: "int" } } },
    });
    expect(parsePipesLine(line("report_asset_check", { asset_key: "a", check_name: "c", passed: false, severity: "WARN", metadata: null }))).toEqual({
      ok: true,
      message: { method: "report_asset_check", assetKey: "a", checkName: "c", passed: false, severity: "WARN", metadata: {} },
    });
    expect(parsePipesLine(line("report_custom_message", { payload: [1, 2] }))).toEqual({ ok: true, message: { method: "report_custom_message", payload: [1, 2] } });
    expect(parsePipesLine(line("log_external_stream", { stream: "stderr", text: "x\n", extras: {} }))).toEqual({ ok: true, message: { method: "log_external_stream", stream: "stderr", text: "x\n", extras: {} } });
  });

  test("a closed message carries its exception with name, message, stack and cause", () => {
    const exception = { name: "ValueError", message: "bad", stack: ["  File x\n"], cause: { name: "KeyError", message: "k", stack: [], cause: null, context: null }, context: null };
    const r = parsePipesLine(line("closed", { exception }));
    expect(r).toEqual({ ok: true, message: { method: "closed", exception } });
  });

  test("an empty line is skipped; garbage, unknown methods, other major versions and bad params are problems", () => {
    expect(parsePipesLine("   ")).toBeNull();
    expect(parsePipesLine("not json")).toMatchObject({ ok: false, problem: expect.stringContaining("not JSON") });
    expect(parsePipesLine("[1]")).toMatchObject({ ok: false, problem: expect.stringContaining("not a JSON object") });
    expect(parsePipesLine(JSON.stringify({ method: "log", params: {} }))).toMatchObject({ ok: false, problem: expect.stringContaining("__dagster_pipes_version") });
    expect(parsePipesLine(line("log", { message: "x" }, "1.0"))).toMatchObject({ ok: false, problem: expect.stringContaining('"1.0" is not supported') });
    expect(parsePipesLine(line("explode", {}))).toMatchObject({ ok: false, problem: expect.stringContaining("unknown method") });
    expect(parsePipesLine(line("log", { message: 3 }))).toMatchObject({ ok: false, problem: '"log": message must be a string' });
    expect(parsePipesLine(line("report_asset_check", { check_name: "c", passed: "yes" }))).toMatchObject({ ok: false });
    expect(parsePipesLine(line("report_asset_check", { check_name: "c", passed: true, severity: "FATAL" }))).toMatchObject({ ok: false });
    expect(parsePipesLine(line("report_asset_materialization", { metadata: [1] }))).toMatchObject({ ok: false });
    expect(parsePipesLine(line("report_asset_materialization", { data_version: 5 }))).toMatchObject({ ok: false });
  });
});

describe("pipesMetadataToDagx()", () => {
  test("plain types become plain values, the others keep their type beside the value", () => {
    const r = pipesMetadataToDagx({
      n: { raw_value: 3, type: "int" },
      f: { raw_value: 0.5, type: "float" },
      t: { raw_value: "x", type: "text" },
      b: { raw_value: true, type: "bool" },
      z: { raw_value: null, type: "null" },
      j: { raw_value: { a: [1] }, type: "json" },
      i: { raw_value: 7, type: "__infer__" },
      u: { raw_value: "https://example.com", type: "url" },
      ts: { raw_value: 1700000000, type: "timestamp" },
    });
    expect(r).toEqual({
      metadata: { n: 3, f: 0.5, t: "x", b: true, z: null, j: { a: [1] }, i: 7, u: { type: "url", value: "https://example.com" }, ts: { type: "timestamp", value: 1700000000 } },
      problems: [],
    });
  });

  test("a value that does not match its type, or an unknown type, is kept and named as a problem", () => {
    const r = pipesMetadataToDagx({ n: { raw_value: "three", type: "int" }, q: { raw_value: 1, type: "quantum" } });
    expect(r.metadata).toEqual({ n: "three", q: { type: "quantum", value: 1 } });
    expect(r.problems).toEqual(['metadata "n": "three" is not a "int" value', 'metadata "q": unknown type "quantum" (kept as { type, value })']);
  });
});

describe("describePipesException()", () => {
  test("names the exception once, whether or not the message already carries the name (Python's client does)", () => {
    const e = { stack: [], cause: null, context: null };
    expect(describePipesException({ ...e, name: "ValueError", message: "ValueError: bad\n" })).toBe("ValueError: bad");
    expect(describePipesException({ ...e, name: "ValueError", message: "bad" })).toBe("ValueError: bad");
    expect(describePipesException({ ...e, name: null, message: "bad" })).toBe("bad");
    expect(describePipesException({ ...e, name: "KeyboardInterrupt", message: "KeyboardInterrupt\n" })).toBe("KeyboardInterrupt");
  });
});

describe("applyPipesLine()", () => {
  test("folds a session: logs, the materialization, checks, custom messages, the close", () => {
    const r = emptyPipesReport();
    const logs = [
      line("opened", { extras: {} }),
      line("log", { message: "scoring", level: "INFO" }),
      line("report_asset_materialization", { asset_key: "scores", data_version: null, metadata: { rows: { raw_value: 2, type: "int" } } }),
      line("report_asset_check", { asset_key: "scores", check_name: "positive", passed: false, severity: "WARN", metadata: {} }),
      line("report_custom_message", { payload: { k: 1 } }),
      line("log_external_stream", { stream: "stdout", text: "a\nb\n", extras: {} }),
      line("closed", {}),
    ].flatMap((l) => applyPipesLine(r, "scores", l));
    expect(r).toMatchObject({
      opened: true,
      closed: { exception: null },
      materialization: { assetKey: "scores", dataVersion: null, metadata: { rows: 2 } },
      checks: [{ assetKey: "scores", checkName: "positive", passed: false, severity: "warn", metadata: {} }],
      customMessages: [{ k: 1 }],
      problems: [],
    });
    expect(logs).toContainEqual({ level: "info", message: "scoring" });
    expect(logs).toContainEqual({ level: "warn", message: 'Pipes: check "positive" failed (severity warn)' });
    expect(logs).toContainEqual({ level: "info", message: "a" });
    expect(logs).toContainEqual({ level: "info", message: "b" });
  });

  test("a report for another asset, or a second materialization, is refused and logged", () => {
    const r = emptyPipesReport();
    const first = applyPipesLine(r, "scores", line("report_asset_materialization", { asset_key: "other", metadata: null }));
    expect(first).toEqual([{ level: "warn", message: 'Pipes: ignored a message: report_asset_materialization for "other", but this step materializes "scores"' }]);
    expect(r.materialization).toBeNull();
    applyPipesLine(r, "scores", line("report_asset_materialization", { data_version: "1" }));
    applyPipesLine(r, "scores", line("report_asset_materialization", { data_version: "2" }));
    expect(r.materialization?.dataVersion).toBe("1");
    expect(r.problems).toHaveLength(2);
  });
});

describe("applyPipesLine() in a multi-asset step", () => {
  test("one materialization per key; reports must name their key; checks carry it", () => {
    const r = emptyPipesReport();
    const keys = ["a", "b"];
    const logs = [
      line("report_asset_materialization", { asset_key: "a", metadata: { n: { raw_value: 1, type: "int" } } }),
      line("report_asset_materialization", { asset_key: "b", data_version: "7" }),
      line("report_asset_materialization", { asset_key: "a" }),
      line("report_asset_materialization", { metadata: null }),
      line("report_asset_check", { asset_key: "b", check_name: "ok", passed: true }),
      line("report_asset_check", { check_name: "ok", passed: true }),
      line("report_asset_materialization", { asset_key: "c" }),
    ].flatMap((l) => applyPipesLine(r, keys, l));
    expect(Object.keys(r.materializations)).toEqual(["a", "b"]);
    expect(r.materializations.a).toEqual({ assetKey: "a", dataVersion: null, metadata: { n: 1 } });
    expect(r.materializations.b!.dataVersion).toBe("7");
    expect(r.materialization!.assetKey).toBe("a");
    expect(r.checks).toEqual([{ assetKey: "b", checkName: "ok", passed: true, severity: "error", metadata: {} }]);
    expect(r.problems).toEqual([
      'a second report_asset_materialization for "a" (the first one counts)',
      'report_asset_materialization without asset_key in a step of several assets ("a", "b"): pass asset_key=',
      'report_asset_check "ok" without asset_key in a step of several assets ("a", "b"): pass asset_key=',
      'report_asset_materialization for "c", but this step materializes "a", "b"',
    ]);
    expect(logs).toContainEqual({ level: "info", message: 'Pipes: check "ok" of "b" passed' });
  });
});
