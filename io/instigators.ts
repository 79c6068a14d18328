/**
 * Validates the schedules, sensors and automation conditions a project exports (load time):
 * a bad cron or time zone, or a selection matching nothing, is a definition error naming it.
 */
import { isAssetDef, type AnyAssetDef } from "../core/asset.ts";
import {
  type AutomationCondition,
  assertUniqueNames,
  type ScheduleInfo,
  type SelectItem,
  type SensorInfo,
  validateAutomation,
  validateSchedule,
  validateSensor,
} from "../core/automation/index.ts";
import { DagxError } from "../core/errors.ts";
import { normalizeFreshness, type NormalizedFreshness } from "../core/freshness.ts";
import type { ProjectGraph } from "../core/graph.ts";
import { selectAssets } from "../core/selection/index.ts";
import { croner } from "./cron.ts";

export interface ProjectInstigators {
  schedules: ScheduleInfo[];
  sensors: SensorInfo[];
  /** Asset key → its automation condition. */
  automation: Map<string, AutomationCondition>;
  /** Asset key → its freshness policy. */
  freshness: Map<string, NormalizedFreshness>;
}

/** Resolve select items (selection strings and asset definitions) to asset keys. */
export function selectionResolver(graph: ProjectGraph): (items: readonly SelectItem[]) => string[] {
  const keyOfDef = new Map<AnyAssetDef, string>();
  for (const a of graph.assets.values()) keyOfDef.set(a.def, a.key);
  return (items) => {
    const texts = items.filter((i): i is string => typeof i === "string");
    const keys = texts.length ? [...selectAssets(texts, graph)] : [];
    for (const i of items) {
      if (typeof i === "string") continue;
      const k = isAssetDef(i) ? keyOfDef.get(i) : undefined;
      if (k === undefined) throw new DagxError("DEFINITION_INVALID", "select names an asset that no *.asset.ts file exports: export it from an asset file");
      keys.push(k);
    }
    return [...new Set(keys)];
  };
}

export function loadInstigators(graph: ProjectGraph): ProjectInstigators {
  const resolve = selectionResolver(graph);
  const schedules: ScheduleInfo[] = [];
  const sensors: SensorInfo[] = [];
  for (const r of graph.instigators) {
    if (r.kind === "schedule") schedules.push(validateSchedule(r.def, r.exportName, croner, resolve, r.file));
    else sensors.push(validateSensor(r.def, r.exportName, resolve, r.file));
  }
  assertUniqueNames([...schedules.map((s) => ({ name: s.name, kind: "schedule" as const, location: s.location })), ...sensors.map((s) => ({ name: s.name, kind: "sensor" as const, location: s.location }))]);
  const automation = new Map<string, AutomationCondition>();
  for (const a of graph.assets.values()) {
    if (a.automation !== null && a.automation !== undefined) automation.set(a.key, validateAutomation(a.automation, a.key, a.location ?? a.file, croner));
  }
  const freshness = new Map<string, NormalizedFreshness>();
  for (const a of graph.assets.values()) {
    if (a.freshness !== null && a.freshness !== undefined) freshness.set(a.key, normalizeFreshness(a.freshness, a.key, a.location ?? a.file, (e, tz) => croner.validate(e, tz)));
  }
  for (const [key, cond] of automation) {
    if (cond.kind === "onOverdue" && !freshness.has(key)) {
      const a = graph.assets.get(key)!;
      throw new DagxError("DEFINITION_INVALID", `Invalid automation of asset "${key}" at ${a.location ?? a.file}: onOverdue() needs a freshness policy, e.g. freshness: { maxLag: "24h" }`);
    }
  }
  return { schedules, sensors, automation, freshness };
}
