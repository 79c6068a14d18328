import { describe, expect, test } from "bun:test";
import { type AnyAssetDef, asset } from "../../core/asset.ts";
import {
  assertUniqueNames,
  type CronEvaluator,
  eager,
  onCron,
  runRequestPartitionsProblem,
  schedule,
  type SelectionResolver,
  sensor,
  validateAutomation,
  validateSchedule,
  validateSensor,
} from "../../core/automation/index.ts";
import { DefinitionError } from "../../core/errors.ts";
import { daily, type PartitionsDef } from "../../core/partitions/index.ts";
import { selectAssets } from "../../core/selection/index.ts";
import type { AssetNode, GraphView } from "../../core/types.ts";

/** Fake cron: only validation matters here. */
const cron: CronEvaluator = {
  next: () => null,
  validate: (expr, tz) => {
    if (tz !== "UTC" && tz !== "Europe/Paris") return `unknown time zone "${tz}"`;
    const fields = expr.trim().split(/\s+/);
    if (fields.length !== 5 && fields.length !== 6) return `expected 5 or 6 fields, got ${fields.length}`;
    const minute = fields[fields.length - 5]!;
    return /^\d+$/.test(minute) && Number(minute) > 59 ? `minute ${minute} is out of range 0-59` : null;
  },
};

const orders = asset(() => [{ id: 1 }]);
const stray = asset(() => 1);
const node = (key: string, deps: string[] = []): AssetNode => ({ key, group: "default", description: null, owners: [], tags: {}, kinds: [], deps, partitioned: false, location: null });
const graph: GraphView = {
  assets: new Map([["orders", node("orders")], ["revenue", node("revenue", ["orders"])]]),
  upstream: new Map([["orders", []], ["revenue", ["orders"]]]),
  downstream: new Map([["orders", ["revenue"]], ["revenue", []]]),
};
const keyOf = new Map<AnyAssetDef, string>([[orders, "orders"]]);
const resolve: SelectionResolver = (items) =>
  selectAssets(items.map((i) => (typeof i === "string" ? i : (keyOf.get(i) ?? "stray_asset"))), graph);
const thrown = (fn: () => unknown): DefinitionError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DefinitionError) return e;
    throw e;
  }
  throw new Error("expected a DefinitionError");
};
const messageOf = (fn: () => unknown) => thrown(fn).message;

describe("validateSchedule()", () => {
  test("validateSchedule() applies defaults, names the schedule after its export and resolves the keys", () => {
    const def = schedule({ cron: "0 2 * * *", select: [orders, "revenue"] });
    const info = validateSchedule(def, "nightly", cron, resolve);
    expect(info).toEqual({
      name: "nightly", location: def.location, def, cron: "0 2 * * *", timezone: "UTC", select: [orders, "revenue"], keys: ["orders", "revenue"],
      partitions: null, overlap: "skip", catchUp: "latest", description: null,
    });
    const named = schedule({ cron: "0 2 * * *", timezone: "Europe/Paris", select: "orders+", name: "nightly-eu", partitions: "latest", catchUp: "all", overlap: "allow" });
    expect(validateSchedule(named, "x", cron, resolve)).toMatchObject({ name: "nightly-eu", timezone: "Europe/Paris", partitions: "latest", catchUp: "all", overlap: "allow" });
  });

  test("validateSchedule() reports an invalid cron or time zone with the schedule's file:line", () => {
    const def = schedule({ cron: "61 * * * *", select: "orders" });
    const e = thrown(() => validateSchedule(def, "nightly", cron, resolve));
    expect([e.code, e.location, e.message]).toEqual(["DEFINITION_INVALID", def.location ?? undefined, `Invalid schedule "nightly" at ${def.location}: cron "61 * * * *": minute 61 is out of range 0-59`]);
    expect(messageOf(() => validateSchedule(schedule({ cron: "0 2 * * *", timezone: "Mars/Olympus", select: "orders" }), "nightly", cron, resolve))).toEndWith(
      ': cron "0 2 * * *" in timezone "Mars/Olympus": unknown time zone "Mars/Olympus"',
    );
  });

  test("validateSchedule() reports a selection that matches nothing, with a suggestion", () => {
    const def = schedule({ cron: "0 2 * * *", select: "ordres" });
    expect(messageOf(() => validateSchedule(def, "nightly", cron, resolve))).toBe(
      `Schedule "nightly" at ${def.location} selects no assets: unknown asset "ordres" in selection "ordres" — did you mean "orders"?`,
    );
    const empty = schedule({ cron: "0 2 * * *", select: "orders and revenue" });
    expect(messageOf(() => validateSchedule(empty, "nightly", cron, resolve))).toEndWith(`selects no assets: "orders and revenue" matches nothing: check the selection with "dagx list <selection>"`);
    expect(messageOf(() => validateSchedule(schedule({ cron: "0 2 * * *", select: stray }), "nightly", cron, resolve))).toMatch(/selects no assets: unknown asset "stray_asset"/);
  });

  test("validateSchedule() reports bad options with the fix", () => {
    const bad = (options: object) => messageOf(() => validateSchedule(schedule({ cron: "0 2 * * *", select: "orders", ...options }), "nightly", cron, resolve)).replace(/ at \S+:\d+:/, ":");
    expect(bad({ timeZone: "UTC" })).toBe('Invalid schedule "nightly": unknown option "timeZone" — did you mean "timezone"?');
    expect(bad({ overlap: "never" })).toBe('Invalid schedule "nightly": overlap must be "skip" or "allow" (got "never")');
    expect(bad({ catchUp: true })).toBe('Invalid schedule "nightly": catchUp must be "latest", "none" or "all" (got true)');
    expect(bad({ partitions: "2024-01..2024-02..2024-03" })).toBe('Invalid schedule "nightly": partitions "2024-01..2024-02..2024-03": a range has one "..": "2024-01..2024-02..2024-03"');
    expect(bad({ select: undefined })).toBe('Invalid schedule "nightly": select is missing: name the assets to materialize, like select: "daily_revenue+"');
    expect(bad({ select: [] })).toBe('Invalid schedule "nightly": select is an empty list: name at least one asset or selection');
    expect(bad({ cron: 5 })).toBe('Invalid schedule "nightly": cron must be a cron expression like "0 2 * * *" (got 5)');
    expect(bad({ name: "nightly run" })).toBe('Invalid schedule "nightly run": name "nightly run" may only contain letters, digits, "_", "-" and "." and must not start with "." or "-"');
  });

  test("validateSchedule() refuses a value that is not a schedule, and falls back to the file for the location", () => {
    expect(messageOf(() => validateSchedule({ cron: "0 2 * * *" }, "nightly", cron, resolve, "jobs.asset.ts"))).toBe(
      'Export "nightly" of jobs.asset.ts is not a schedule: make it with schedule({ cron, select })',
    );
    const def = { ...schedule({ cron: "61 * * * *", select: "orders" }), location: null };
    expect(messageOf(() => validateSchedule(def, "nightly", cron, resolve, "jobs.asset.ts"))).toStartWith('Invalid schedule "nightly" at jobs.asset.ts: cron');
  });
});

describe("partitions of a schedule or run request", () => {
  const events = daily({ start: "2024-01-01" });
  const pgraph: GraphView = {
    assets: new Map([["events", { ...node("events"), partitioned: true }], ["summary", node("summary", ["events"])], ["orders", node("orders")]]),
    upstream: new Map([["events", []], ["summary", ["events"]], ["orders", []]]),
    downstream: new Map([["events", ["summary"]], ["summary", []], ["orders", []]]),
  };
  const presolve: SelectionResolver = (items) => selectAssets(items.filter((i): i is string => typeof i === "string"), pgraph);
  const partitionsOf = (key: string): PartitionsDef | null => (key === "events" ? events : null);

  test("runRequestPartitionsProblem() wants partitions for a partitioned asset, and a partitioned asset for partitions", () => {
    expect(runRequestPartitionsProblem(["events", "summary"], "latest", partitionsOf)).toBeNull();
    expect(runRequestPartitionsProblem(["orders"], null, partitionsOf)).toBeNull();
    expect(runRequestPartitionsProblem(["summary", "events"], null, partitionsOf)).toBe(
      'selects the partitioned asset "events" (daily(start=2024-01-01)) but gives no partitions: add partitions: "latest" (the newest partition) or a range like "2024-01-01..2024-01-31"',
    );
    expect(runRequestPartitionsProblem(["orders", "summary"], "latest", partitionsOf)).toBe('partitions "latest" is given but no selected asset is partitioned (orders, summary): remove partitions');
  });

  test("validateSchedule() refuses a schedule selecting a partitioned asset without partitions (it would fail at every tick)", () => {
    const def = schedule({ cron: "0 2 * * *", select: "events+" });
    const e = thrown(() => validateSchedule(def, "nightly", cron, presolve, undefined, partitionsOf));
    expect([e.code, e.message]).toEqual(["DEFINITION_INVALID", `Invalid schedule "nightly" at ${def.location}: ${runRequestPartitionsProblem(["events"], null, partitionsOf)}`]);
    expect(validateSchedule(schedule({ cron: "0 2 * * *", select: "events+", partitions: "latest" }), "nightly", cron, presolve, undefined, partitionsOf).keys).toEqual(["events", "summary"]);
    expect(messageOf(() => validateSchedule(schedule({ cron: "0 2 * * *", select: "orders", partitions: "latest" }), "n", cron, presolve, undefined, partitionsOf))).toEndWith(
      ': partitions "latest" is given but no selected asset is partitioned (orders): remove partitions',
    );
  });
});

describe("validateSensor()", () => {
  const fn = () => undefined;
  test("validateSensor() defaults interval to 30s and timeout to 60s; select is optional", () => {
    const def = sensor({}, fn);
    expect(validateSensor(def, "new_files", resolve)).toEqual({ name: "new_files", location: def.location, def, intervalMs: 30_000, timeoutMs: 60_000, select: null, keys: null, description: null });
    expect(validateSensor(sensor({ interval: "5m", timeout: 1500, select: "orders+" }, fn), "s", resolve)).toMatchObject({ intervalMs: 300_000, timeoutMs: 1500, keys: ["orders", "revenue"] });
  });

  test("validateSensor() reports an interval under 1s or not a duration, bad options and empty selections", () => {
    const bad = (options: object) => messageOf(() => validateSensor(sensor(options, fn), "new_files", resolve)).replace(/ at \S+:\d+/, "");
    expect(bad({ interval: "500ms" })).toBe('Invalid sensor "new_files": interval "500ms" is shorter than 1s: a sensor ticks at most once a second');
    expect(bad({ interval: "soon" })).toBe('Invalid sensor "new_files": interval "soon" is not a duration: use a number and a unit, like "30s", "5m" or "1h"');
    expect(bad({ timeout: 0 })).toBe('Invalid sensor "new_files": timeout 0 is shorter than 1ms');
    expect(bad({ intervall: "1m" })).toBe('Invalid sensor "new_files": unknown option "intervall" — did you mean "interval"?');
    expect(bad({ select: "ordres" })).toBe('Sensor "new_files" selects no assets: unknown asset "ordres" in selection "ordres" — did you mean "orders"?');
  });
});

describe("validateAutomation()", () => {
  test("validateAutomation() checks onCron expressions and refuses anything but a condition", () => {
    expect(validateAutomation(eager(), "report", "r.asset.ts:4", cron).kind).toBe("eager");
    expect(messageOf(() => validateAutomation(onCron("0 99 * * * *"), "report", "r.asset.ts:4", cron))).toBe(
      'Invalid automation of asset "report" at r.asset.ts:4: cron "0 99 * * * *": minute 99 is out of range 0-59',
    );
    expect(messageOf(() => validateAutomation("eager", "report", "r.asset.ts:4", cron))).toBe(
      'Invalid automation of asset "report" at r.asset.ts:4: automation must be made by eager(), onCron(cron) or onMissing()',
    );
  });
});

test("assertUniqueNames() refuses a name used by two schedules or a schedule and a sensor", () => {
  const e = thrown(() => assertUniqueNames([{ name: "a", kind: "schedule", location: "x.ts:1" }, { name: "a", kind: "sensor", location: "y.ts:2" }]));
  expect([e.code, e.message]).toEqual(["DEFINITION_DUPLICATE", 'Duplicate schedule/sensor name "a": defined at x.ts:1 and at y.ts:2: rename one export or set a different `name`']);
  expect(() => assertUniqueNames([{ name: "a", kind: "schedule", location: null }, { name: "b", kind: "schedule", location: null }])).not.toThrow();
});
