/**
 * Load-time validation of schedules, sensors and automation conditions (pure: cron checking and
 * selection resolving are injected). Each problem is a DefinitionError naming the definition and
 * its file:line; a valid definition comes back with its name and defaults applied.
 */
import { DefinitionError } from "../errors.ts";
import {
  durationOf,
  nameProblem,
  oneOf,
  optionalText,
  partitionsProblem,
  resolveKeys,
  type SelectionResolver,
  unknownOption,
} from "./_definition-checks.ts";
import { describeValue } from "../describe.ts";
import { selectItems } from "./_select.ts";
import { isAutomationCondition } from "./conditions.ts";
import { type PartitionsOf, runRequestPartitionsProblem } from "./run-request-check.ts";
import { isScheduleDef } from "./schedule.ts";
import { isSensorDef } from "./sensor.ts";
import {
  type AutomationCondition,
  type CronEvaluator,
  DEFAULT_SENSOR_INTERVAL,
  DEFAULT_SENSOR_TIMEOUT,
  DEFAULT_TIMEZONE,
  type ScheduleInfo,
  type SensorInfo,
} from "./types.ts";

export type { SelectionResolver } from "./_definition-checks.ts";

const SCHEDULE_OPTIONS = ["cron", "timezone", "select", "partitions", "overlap", "catchUp", "description", "name", "config"];
const SENSOR_OPTIONS = ["interval", "select", "timeout", "description", "name", "resources"];

/**
 * Validate a schedule exported as `exportName`: options, cron and time zone, partitions grammar,
 * and a selection that matches at least one asset. `file` stands in when the location is unknown.
 * With `partitionsOf`, partitions must be given exactly when a selected asset is partitioned.
 * @throws DefinitionError `Invalid schedule "nightly" at a.asset.ts:3: cron "61 * * * *": …`
 */
export function validateSchedule(def: unknown, exportName: string, cron: CronEvaluator, resolveSelection: SelectionResolver, file?: string, partitionsOf?: PartitionsOf): ScheduleInfo {
  if (!isScheduleDef(def)) throw new DefinitionError("DEFINITION_INVALID", `Export "${exportName}"${file ? ` of ${file}` : ""} is not a schedule: make it with schedule({ cron, select })`, file);
  const o = def.options;
  const where = def.location ?? file;
  const name = o.name ?? exportName;
  const bad = (problem: string) => new DefinitionError("DEFINITION_INVALID", `Invalid schedule "${name}"${where ? ` at ${where}` : ""}: ${problem}`, where);
  const first =
    nameProblem(name) ??
    unknownOption(o, SCHEDULE_OPTIONS) ??
    (typeof o.cron === "string" && o.cron.trim() !== "" ? null : `cron must be a cron expression like "0 2 * * *" (got ${describeValue(o.cron)})`) ??
    (o.timezone === undefined || (typeof o.timezone === "string" && o.timezone !== "") ? null : `timezone must be an IANA name like "Europe/Paris" (got ${describeValue(o.timezone)})`) ??
    oneOf(o.overlap, "overlap", ["skip", "allow"]) ??
    oneOf(o.catchUp, "catchUp", ["latest", "none", "all"]) ??
    partitionsProblem(o.partitions) ??
    optionalText(o.description, "description") ??
    (o.config === undefined || (typeof o.config === "object" && o.config !== null && !Array.isArray(o.config)) ? null : `config must be an object of run config by asset key, like { orders: { limit: 10 } } (got ${describeValue(o.config)})`);
  if (first) throw bad(first);
  const timezone = o.timezone ?? DEFAULT_TIMEZONE;
  const cronProblem = cronCheck(cron, o.cron, timezone);
  if (cronProblem) throw bad(cronProblem);
  const select = selectItems(o.select);
  if ("problem" in select) throw bad(o.select === undefined ? 'select is missing: name the assets to materialize, like select: "daily_revenue+"' : select.problem);
  const keys = resolveKeys(select.items, resolveSelection, `Schedule "${name}"`, where);
  const requestProblem = partitionsOf ? runRequestPartitionsProblem(keys, o.partitions ?? null, partitionsOf) : null;
  if (requestProblem) throw bad(requestProblem);
  return {
    name,
    location: where ?? null,
    def,
    cron: o.cron,
    timezone,
    select: select.items,
    keys,
    partitions: o.partitions ?? null,
    overlap: o.overlap ?? "skip",
    catchUp: o.catchUp ?? "latest",
    description: o.description ?? null,
    ...(o.config ? { config: o.config } : {}),
  };
}

/**
 * Validate a sensor exported as `exportName`: options, `interval` (at least 1s), `timeout`, and a
 * selection, when given, that matches at least one asset.
 * @throws DefinitionError `Invalid sensor "new_files" at a.asset.ts:9: interval "500ms" is shorter than 1s`
 */
export function validateSensor(def: unknown, exportName: string, resolveSelection: SelectionResolver, file?: string): SensorInfo {
  if (!isSensorDef(def)) throw new DefinitionError("DEFINITION_INVALID", `Export "${exportName}"${file ? ` of ${file}` : ""} is not a sensor: make it with sensor(options, fn)`, file);
  const o = def.options;
  const where = def.location ?? file;
  const name = o.name ?? exportName;
  const bad = (problem: string) => new DefinitionError("DEFINITION_INVALID", `Invalid sensor "${name}"${where ? ` at ${where}` : ""}: ${problem}`, where);
  const first = nameProblem(name) ?? unknownOption(o, SENSOR_OPTIONS) ?? optionalText(o.description, "description");
  if (first) throw bad(first);
  const intervalMs = durationOf(o.interval, "interval", DEFAULT_SENSOR_INTERVAL, 1000, "1s: a sensor ticks at most once a second");
  if (typeof intervalMs === "string") throw bad(intervalMs);
  const timeoutMs = durationOf(o.timeout, "timeout", DEFAULT_SENSOR_TIMEOUT, 1, "1ms");
  if (typeof timeoutMs === "string") throw bad(timeoutMs);
  let select: SensorInfo["select"] = null;
  let keys: SensorInfo["keys"] = null;
  if (o.select !== undefined) {
    const s = selectItems(o.select);
    if ("problem" in s) throw bad(s.problem);
    select = s.items;
    keys = resolveKeys(s.items, resolveSelection, `Sensor "${name}"`, where);
  }
  return { name, location: where ?? null, def, intervalMs, timeoutMs, select, keys, description: o.description ?? null };
}

/**
 * Validate the `automation` option of asset `assetKey`; an `onCron` expression and time zone must be valid.
 * @throws DefinitionError `Invalid automation of asset "report" at r.asset.ts:4: cron "0 25 * * *": …`
 */
export function validateAutomation(condition: unknown, assetKey: string, location: string, cron: CronEvaluator): AutomationCondition {
  const bad = (problem: string) => new DefinitionError("DEFINITION_INVALID", `Invalid automation of asset "${assetKey}" at ${location}: ${problem}`, location);
  if (!isAutomationCondition(condition)) throw bad("automation must be made by eager(), onCron(cron) or onMissing()");
  if (condition.kind === "onCron") {
    const problem = cronCheck(cron, condition.cron, condition.timezone);
    if (problem) throw bad(problem);
  }
  return condition;
}

/**
 * Schedules and sensors share one namespace (ticks and cursors are stored by name).
 * @throws DefinitionError `DEFINITION_DUPLICATE` naming both definitions
 */
export function assertUniqueNames(defs: readonly { name: string; kind: "schedule" | "sensor"; location: string | null }[]): void {
  const seen = new Map<string, (typeof defs)[number]>();
  for (const d of defs) {
    const other = seen.get(d.name);
    if (other) {
      throw new DefinitionError(
        "DEFINITION_DUPLICATE",
        `Duplicate ${other.kind === d.kind ? d.kind : "schedule/sensor"} name "${d.name}": defined at ${other.location ?? "?"} and at ${d.location ?? "?"}: rename one export or set a different \`name\``,
        d.location ?? undefined,
      );
    }
    seen.set(d.name, d);
  }
}

function cronCheck(cron: CronEvaluator, expr: string, timezone: string): string | null {
  const problem = cron.validate(expr, timezone);
  if (problem === null) return null;
  return `cron "${expr}"${timezone === DEFAULT_TIMEZONE ? "" : ` in timezone "${timezone}"`}: ${problem}`;
}
