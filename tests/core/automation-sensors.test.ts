import { describe, expect, test } from "bun:test";
import { asset } from "../../core/asset.ts";
import {
  dedupeRunKeys,
  isScheduleDef,
  isSensorDef,
  normalizeSensorResult,
  schedule,
  sensor,
  sensorDue,
} from "../../core/automation/index.ts";

const HERE = import.meta.path;
/** The line after the one calling it. */
const nextLine = () => Number(/:(\d+):\d+\)?$/.exec(new Error().stack!.split("\n")[2]!)![1]) + 1;
const orders = asset(() => [{ id: 1 }]);
const withSelect = { name: "new_files", select: ["raw_events+"] };
const noSelect = { name: "new_files", select: null };
const error = (raw: unknown, s: { name: string; select: readonly string[] | null } = withSelect) => {
  const r = normalizeSensorResult(raw, s);
  return r.ok ? "ok" : r.error;
};

describe("definitions", () => {
  test("sensor() brands plain data and records the caller's file:line", () => {
    const fn = () => undefined;
    const line = nextLine();
    const s = sensor({ interval: "1m" }, fn);
    expect([isSensorDef(s), isScheduleDef(s), s.options, s.fn === fn]).toEqual([true, false, { interval: "1m" }, true]);
    expect(s.location).toBe(`${HERE}:${line}`);
    expect(sensor(fn).options).toEqual({});
    expect(() => sensor({} as never)).toThrow(TypeError);
  });

  test("schedule() brands plain data, keeps options raw and records the caller's file:line", () => {
    const line = nextLine();
    const s = schedule({ cron: "0 2 * * *", select: [orders, "group:raw"] });
    expect([isScheduleDef(s), isSensorDef(s), s.options.select]).toEqual([true, false, [orders, "group:raw"]]);
    expect(s.location).toBe(`${HERE}:${line}`);
    expect(isScheduleDef({ cron: "0 2 * * *" })).toBe(false);
    expect(() => schedule(null as never)).toThrow(TypeError);
  });
});

describe("sensorDue()", () => {
  test("sensorDue() is true at the first tick, once the interval elapsed, and when the clock moved back", () => {
    const s = { intervalMs: 30_000 };
    expect(sensorDue({ lastTickAt: null }, s, 0)).toBe(true);
    expect(sensorDue({ lastTickAt: 100_000 }, s, 129_999)).toBe(false);
    expect(sensorDue({ lastTickAt: 100_000 }, s, 130_000)).toBe(true);
    expect(sensorDue({ lastTickAt: 100_000 }, s, 50_000)).toBe(true);
  });
});

describe("normalizeSensorResult()", () => {
  test("normalizeSensorResult() treats void as nothing to do and keeps the cursor", () => {
    expect(normalizeSensorResult(undefined, withSelect)).toEqual({ ok: true, requests: [], cursor: undefined, addPartitions: [], skipReason: null });
    expect(normalizeSensorResult({ cursor: null, skipReason: "no new files" }, withSelect)).toMatchObject({ ok: true, cursor: null, skipReason: "no new files" });
  });

  test("normalizeSensorResult() applies the sensor's select and defaults", () => {
    const r = normalizeSensorResult(
      {
        runRequests: [{ partitions: "2024-05-01", runKey: "a.json" }, { select: orders, tags: { src: "drop" } }],
        cursor: "42",
        addPartitions: [{ name: "drops", keys: ["a.json"] }],
      },
      withSelect,
    );
    expect(r).toEqual({
      ok: true,
      requests: [
        { select: ["raw_events+"], partitions: "2024-05-01", runKey: "a.json", tags: {} },
        { select: [orders], partitions: null, runKey: null, tags: { src: "drop" } },
      ],
      cursor: "42",
      addPartitions: [{ name: "drops", keys: ["a.json"] }],
      skipReason: null,
    });
  });

  test("normalizeSensorResult() names the sensor and the field, with a fix", () => {
    expect(error({ runRequest: [] })).toBe('Sensor "new_files" returned an invalid result: unknown field "runRequest" — did you mean "runRequests"?');
    expect(error([{ select: "a" }])).toBe('Sensor "new_files" returned an invalid result: the result must be an object (got an array) — return { runRequests: [...] }');
    expect(error({ runRequests: [{}] }, noSelect)).toBe(
      'Sensor "new_files" returned an invalid result: runRequests[0] has no select and the sensor has none: add select to the request or to the sensor\'s options',
    );
    expect(error({ runRequests: [{ partition: "x" }] })).toBe('Sensor "new_files" returned an invalid result: runRequests[0]: unknown field "partition" — did you mean "partitions"?');
    expect(error({ cursor: 5 })).toBe('Sensor "new_files" returned an invalid result: cursor must be a string or null (got 5): serialize it, e.g. JSON.stringify(state)');
    expect(error({ runRequests: {} })).toBe('Sensor "new_files" returned an invalid result: runRequests must be an array (got an object)');
    expect(error({ runRequests: [{ select: [] }] })).toBe('Sensor "new_files" returned an invalid result: runRequests[0].select is an empty list: name at least one asset or selection');
    expect(error({ runRequests: [{ select: [orders, 3] }] })).toMatch(/runRequests\[0\]\.select\[1\] must be a selection string or an asset definition \(got 3\)$/);
    expect(error({ runRequests: [{ runKey: "" }] })).toMatch(/runRequests\[0\]\.runKey is empty/);
    expect(error({ runRequests: [{ tags: { n: 1 } }] })).toMatch(/runRequests\[0\]\.tags must be an object of strings/);
    expect(error({ runRequests: [{ partitions: "2024-01..2024-02..2024-03" }] })).toMatch(/runRequests\[0\]\.partitions "2024-01\.\.2024-02\.\.2024-03": a range has one "\.\."/);
    expect(error({ addPartitions: [{ name: "drops", keys: ["a|b"] }] })).toMatch(/addPartitions\[0\]\.keys\[0\] "a\|b" cannot be a partition key: it contains "\|"/);
    expect(error({ addPartitions: [{ keys: [] }] })).toMatch(/addPartitions\[0\]\.name must be the name of a dynamicPartitions\(\) definition \(got undefined\)/);
    expect(error({ skipReason: false })).toMatch(/skipReason must be a string \(got false\)$/);
    expect(error("yes")).toMatch(/the result must be an object \(got "yes"\)$/);
  });
});

describe("dedupeRunKeys()", () => {
  test("dedupeRunKeys() never runs a run key twice, across ticks or within one", () => {
    const reqs = [{ runKey: "a" }, { runKey: null }, { runKey: "b" }, { runKey: "a" }, { runKey: null }, { runKey: "c" }];
    const used = new Set(["b"]);
    const { toRun, duplicates } = dedupeRunKeys(reqs, (k) => used.has(k));
    expect(toRun.map((r) => r.runKey)).toEqual(["a", null, null, "c"]);
    expect(duplicates.map((r) => r.runKey)).toEqual(["b", "a"]);
  });
});
