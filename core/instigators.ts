/**
 * The instigators of a project, validated at load (pure: cron is injected): schedules, sensors,
 * automation conditions and freshness policies. A bad cron or time zone, or a selection matching
 * nothing, is a definition error naming it. While an asset file fails to load, a schedule or
 * sensor whose selection no longer resolves is left out with a note (a consequence of that
 * file's error, which is reported first).
 */
import { isAssetDef, type AnyAssetDef } from "./asset.ts";
import {
  assertUniqueNames, type AutomationCondition, type CronEvaluator, type ScheduleInfo, type SelectItem, type SensorInfo, validateAutomation, validateSchedule, validateSensor,
} from "./automation/index.ts";
import type { LoadError, RawInstigator } from "./definitions.ts";
import { DagxError } from "./errors.ts";
import { normalizeFreshness, type NormalizedFreshness } from "./freshness.ts";
import type { ProjectGraph } from "./graph.ts";
import { relativeTo } from "./location.ts";
import { selectAssets } from "./selection/index.ts";

export interface ProjectInstigators {
  schedules: ScheduleInfo[];
  sensors: SensorInfo[];
  /** Asset key → its automation condition. */
  automation: Map<string, AutomationCondition>;
  /** Asset key → its freshness policy. */
  freshness: Map<string, NormalizedFreshness>;
  /** Schedules and sensors left out because an asset file failed to load (consequences, after the file errors). */
  leftOut: LoadError[];
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

/**
 * Validate every schedule, sensor, automation condition and freshness policy of `graph` (cron
 * injected). `root` shortens file paths in notes.
 * @throws DefinitionError naming the definition and its file:line
 */
export function validateInstigators(graph: ProjectGraph, cron: CronEvaluator, root = ""): ProjectInstigators {
  const resolve = selectionResolver(graph);
  const schedules: ScheduleInfo[] = [];
  const sensors: SensorInfo[] = [];
  const leftOut: LoadError[] = [];
  const partitionsOf = (key: string) => graph.assets.get(key)?.partitionsDef ?? null;
  const brokenFiles = [...new Set(graph.errors.filter((e) => !e.consequence).map((e) => e.file))];
  for (const r of graph.instigators) {
    // remember whether the selection failed to resolve: with a file broken, that is its consequence
    let unresolved = false;
    const guarded = (items: readonly SelectItem[]) => {
      try {
        const keys = resolve(items);
        unresolved = keys.length === 0;
        return keys;
      } catch (e) {
        unresolved = true;
        throw e;
      }
    };
    try {
      if (r.kind === "schedule") schedules.push(validateSchedule(r.def, r.exportName, cron, guarded, r.file, partitionsOf));
      else sensors.push(validateSensor(r.def, r.exportName, guarded, r.file));
    } catch (e) {
      if (!(unresolved && brokenFiles.length && e instanceof DagxError)) throw e;
      leftOut.push(leftOutNote(r, brokenFiles, root));
    }
  }
  assertUniqueNames([...schedules.map((s) => ({ name: s.name, kind: "schedule" as const, location: s.location })), ...sensors.map((s) => ({ name: s.name, kind: "sensor" as const, location: s.location }))]);
  const automation = new Map<string, AutomationCondition>();
  for (const a of graph.assets.values()) {
    if (a.automation !== null && a.automation !== undefined) automation.set(a.key, validateAutomation(a.automation, a.key, a.location ?? a.file, cron));
  }
  const freshness = new Map<string, NormalizedFreshness>();
  for (const a of graph.assets.values()) {
    if (a.freshness !== null && a.freshness !== undefined) freshness.set(a.key, normalizeFreshness(a.freshness, a.key, a.location ?? a.file, (e, tz) => cron.validate(e, tz)));
  }
  for (const [key, cond] of automation) {
    if (cond.kind === "onOverdue" && !freshness.has(key)) {
      const a = graph.assets.get(key)!;
      throw new DagxError("DEFINITION_INVALID", `Invalid automation of asset "${key}" at ${a.location ?? a.file}: onOverdue() needs a freshness policy, e.g. freshness: { maxLag: "24h" }`);
    }
  }
  return { schedules, sensors, automation, freshness, leftOut };
}

/** `Schedule "nightly" at jobs.asset.ts:3 is left out: it selects "a", which does not resolve while raw.asset.ts fails to load` */
function leftOutNote(r: RawInstigator, brokenFiles: readonly string[], root: string): LoadError {
  const def = r.def as { location?: string | null; options?: { name?: unknown; select?: unknown } };
  const name = typeof def.options?.name === "string" ? def.options.name : r.exportName;
  const location = def.location ?? r.file;
  const rel = (p: string) => (root ? relativeTo(root, p) : p);
  const select = def.options?.select;
  const items = Array.isArray(select) ? select : [select];
  const shown = items.map((i) => (typeof i === "string" ? i : "an asset definition")).join(", ");
  const line = Number(/:(\d+)$/.exec(location)?.[1]) || null;
  const kind = r.kind === "schedule" ? "Schedule" : "Sensor";
  return {
    file: r.file,
    line,
    consequence: true,
    message: `${kind} "${name}" at ${rel(location)} is left out: it selects "${shown}", which does not resolve while ${brokenFiles.map(rel).join(", ")} fail${brokenFiles.length === 1 ? "s" : ""} to load`,
  };
}
