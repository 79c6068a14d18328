/**
 * The daemon's run requests: built with the id of the run they will start (chosen now, so it is
 * recorded in the tick's transaction), their tags and the instant their partitions are resolved at;
 * and checked against the partition spaces of that instant before the tick is committed.
 */
import { addedKeyProblem, type NormalizedSensorResult, runRequestProblem, type SelectItem } from "../../core/automation/index.ts";
import type { InstigatorKind, RunRequestRecord } from "../../core/types.ts";
import type { MaterializationStore } from "../../core/state-store.ts";
import { createPartitionSpace, type PartitionSpace, type PartitionsDef } from "../../core/partitions/index.ts";
import type { Project } from "../project/index.ts";
import { resolveRunConfig } from "../run/index.ts";

export interface NewRequest {
  source: string;
  kind: InstigatorKind;
  keys: string[];
  partitions: string | null;
  runKey: string | null;
  reason: string;
  tags: Record<string, string>;
  /** Partitions are resolved against the definitions at this instant (the tick). */
  asOf: number;
  /** Run config by asset key (a sensor request's). */
  config?: Record<string, unknown>;
}

/** A queued request with its run id chosen. */
export function newRunRequest(r: NewRequest, now: number): RunRequestRecord {
  return {
    requestId: Bun.randomUUIDv7(), source: r.source, kind: r.kind, runKey: r.runKey, selection: r.keys, partitions: r.partitions,
    status: "requested", runId: Bun.randomUUIDv7(), reason: r.reason, createdAt: now, updatedAt: now, asOf: r.asOf,
    ...(Object.keys(r.tags).length ? { tags: r.tags } : {}),
    ...(r.config && Object.keys(r.config).length ? { config: r.config } : {}),
  };
}

function dynamicNames(def: PartitionsDef, out: Set<string>): Set<string> {
  if (def.kind === "dynamic") out.add(def.name);
  if (def.kind === "multi") for (const d of Object.values(def.dimensions)) dynamicNames(d, out);
  return out;
}

/**
 * The spaces of the project's partitioned assets at any instant. Dynamic keys are read from state
 * once, plus `adding` (the keys the tick being checked adds before its requests run).
 */
export async function spacesAt(project: Project, store: MaterializationStore, adding: readonly { name: string; keys: readonly string[] }[] = []): Promise<(at: number) => Map<string, PartitionSpace>> {
  const names = new Set<string>();
  for (const a of project.graph.assets.values()) if (a.partitionsDef) dynamicNames(a.partitionsDef, names);
  const dynamic = new Map<string, string[]>();
  for (const n of names) dynamic.set(n, await store.listDynamicPartitions(n));
  for (const { name, keys } of adding) {
    const list = dynamic.get(name) ?? dynamic.set(name, []).get(name)!;
    const known = new Set(list);
    for (const k of keys) if (!known.has(k)) (known.add(k), list.push(k));
  }
  return (at) => {
    const spaces = new Map<string, PartitionSpace>();
    for (const a of project.graph.assets.values()) {
      if (a.partitionsDef) spaces.set(a.key, createPartitionSpace(a.partitionsDef, { now: at, dynamicKeys: (n) => dynamic.get(n) ?? [] }));
    }
    return spaces;
  };
}

/**
 * A sensor tick's run requests, checked: the partition keys it adds and every request, against the
 * spaces at `now` (with the added keys). `problems` empty means the tick may be committed.
 */
export async function sensorRequests(
  project: Project,
  store: MaterializationStore,
  sensor: string,
  res: Extract<NormalizedSensorResult, { ok: true }>,
  resolve: (items: readonly SelectItem[]) => string[],
  now: number,
): Promise<{ requests: RunRequestRecord[]; problems: string[] }> {
  const spaces = (await spacesAt(project, store, res.addPartitions))(now);
  const problems: string[] = [];
  for (const [i, p] of res.addPartitions.entries()) {
    for (const [j, key] of p.keys.entries()) {
      const problem = addedKeyProblem(p.name, key, spaces);
      if (problem) problems.push(`addPartitions[${i}].keys[${j}] "${key}" cannot be a partition key: ${problem}`);
    }
  }
  const requests: RunRequestRecord[] = [];
  for (const [i, r] of res.requests.entries()) {
    let keys: string[] = [];
    let problem: string | null;
    try {
      keys = resolve(r.select);
      problem = runRequestProblem({ keys, partitions: r.partitions, tags: r.tags }, spaces);
    } catch (e) {
      problem = `select: ${(e as Error).message}`;
    }
    // a config the schemas refuse fails the tick now, not the run later
    if (!problem && r.config) problem = await resolveRunConfig(project.graph, new Set(keys), r.config).then(() => null, (e: Error) => `config: ${e.message}`);
    if (problem) problems.push(`runRequests[${i}] ${problem}`);
    // run keys are scoped to the sensor (stored run keys are unique across all sources)
    const runKey = r.runKey === null ? null : `sensor:${sensor}:${r.runKey}`;
    const tags = { ...r.tags, "dagx/sensor": sensor, ...(r.runKey === null ? {} : { "dagx/runKey": r.runKey }) };
    requests.push(newRunRequest({ source: sensor, kind: "sensor", keys, partitions: r.partitions, runKey, reason: "sensor request", tags, asOf: now, ...(r.config ? { config: r.config } : {}) }, now));
  }
  return { requests, problems };
}

/** The reason a sensor tick with invalid requests fails with (the first three problems). */
export function invalidSensorReason(sensor: string, problems: readonly string[]): string {
  return `Sensor "${sensor}" returned an invalid run request: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`;
}
