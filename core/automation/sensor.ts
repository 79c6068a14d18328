/**
 * `sensor()`: user code polled on an interval that asks for runs.
 *
 * The contract io/ follows for each tick (core has the pure parts: `sensorDue`,
 * `normalizeSensorResult`, `dedupeRunKeys`):
 * 1. A tick starts when `sensorDue()` says so. The function gets the saved cursor and a
 *    `signal` that aborts after `timeout`; a tick that throws or exceeds its timeout is recorded
 *    as failed with the error, the cursor stays as it was, and the loop goes on with the next
 *    sensor (one sensor never stops the daemon).
 * 2. The result goes through `normalizeSensorResult()`; a malformed result is a failed tick.
 * 3. `addPartitions` are added first (requests may name the new keys), then requests go through
 *    `dedupeRunKeys()` with run keys scoped to this sensor; duplicates are not run.
 * 4. Runs are recorded (with their run keys), then the cursor is saved — never before, so a crash
 *    between the two re-runs the tick and run keys keep it from launching twice.
 * 5. The tick is recorded: the runs it launched, or skipped with `skipReason` (or "no run requests").
 */
import type { ResourceName, ResourcesOf } from "../resources.ts";
import type { MaybePromise } from "../types.ts";
import { callerLocation as definitionLocation } from "../location.ts";
import { SENSOR_DEF, type SensorContext, type SensorDef, type SensorFn, type SensorOptions, type SensorResult } from "./types.ts";

/**
 * Define a sensor: `fn` runs every `interval` and returns run requests, a new cursor, dynamic
 * partitions to add, or a reason to skip. Its name is the export name unless `name` is given.
 *
 * @example
 * // new_files.asset.ts
 * export const new_files = sensor({ interval: "1m", select: "raw_events+" }, async (ctx) => {
 *   const seen = Number(ctx.cursor ?? 0);
 *   const files = (await listDrops()).filter((f) => f.mtime > seen);
 *   if (files.length === 0) return { skipReason: "no new files" };
 *   return {
 *     addPartitions: [{ name: "drops", keys: files.map((f) => f.name) }],
 *     runRequests: files.map((f) => ({ partitions: f.name, runKey: f.name })),
 *     cursor: String(Math.max(...files.map((f) => f.mtime))),
 *   };
 * });
 */
export function sensor<const R extends readonly ResourceName[] = []>(
  options: SensorOptions & { resources?: R },
  fn: (ctx: SensorContext<ResourcesOf<R>>) => MaybePromise<SensorResult | void | undefined>,
): SensorDef;
export function sensor(fn: SensorFn): SensorDef;
export function sensor(a: SensorOptions | SensorFn, b?: SensorFn): SensorDef {
  const options = typeof a === "function" ? {} : a;
  const fn = typeof a === "function" ? a : b;
  if (typeof fn !== "function") throw new TypeError("sensor() needs a function: sensor(options, (ctx) => ({ runRequests: [...] }))");
  if (options === null || typeof options !== "object") throw new TypeError("sensor() options must be an object");
  return { [SENSOR_DEF]: true, options, fn, location: definitionLocation() };
}

/** True when `value` is a sensor definition. */
export function isSensorDef(value: unknown): value is SensorDef {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SENSOR_DEF] === true;
}
