/**
 * What to run, in which order: one step per selected asset, or per selected partition of a
 * partitioned asset (one step for the whole range when the asset is `backfill: "single-run"`).
 * Steps depend on the steps of the upstream partitions they read, through the partition mappings.
 */
import { DagxError } from "./errors.ts";
import { formatRanges, IndexSet, mapToUpstream, type PartitionMapping, type PartitionSpace } from "./partitions/index.ts";
import type { StatusInfo } from "./status/index.ts";
import type { GraphView, MaterializationRecord } from "./types.ts";

export interface PlanStep {
  /** Unique in the plan: the key, or `key␀partition`. */
  id: string;
  key: string;
  /** "" when unpartitioned; the (last) partition key otherwise. */
  partitionKey: string;
  /** Every partition key of the step (several for a single-run step), null when unpartitioned. */
  partitionKeys: string[] | null;
  /** Ids of the steps that must succeed first. */
  after: string[];
  /** Why this step is in the plan ("selected", or the stale causes). */
  reason: string;
  /**
   * Set when the step reads an upstream output whose blocking check failed in an earlier run and
   * has not passed since (`check "unique(id)" of "orders" failed in run …`): the step is skipped.
   */
  blocked?: string;
}

/** A blocking check of an upstream asset that failed and has not passed since: per partition ("" unpartitioned). */
export interface StoredBlock {
  partitionKey: string;
  /** `check "C" of "A" failed[ for partition P] in run R`. */
  reason: string;
}

export interface Plan {
  steps: PlanStep[];
  /** Keys selected but left out because they are fresh. */
  fresh: string[];
  /**
   * Keys `--stale` left out because an upstream has no partitions at all yet (an empty
   * `dynamicPartitions` set, a time definition whose first window has not ended), or waits
   * itself; `reason` says which and how to fix it. Asked for without `--stale`, they are refused.
   */
  waiting?: { key: string; reason: string }[];
}

/** Partition facts the planner needs, per partitioned asset. */
export interface PartitionPlanInput {
  spaces: ReadonlyMap<string, PartitionSpace>;
  /** Partitions to run, per selected partitioned asset. */
  targets: ReadonlyMap<string, IndexSet>;
  /** Partitions with a materialization, per partitioned asset. */
  materialized: ReadonlyMap<string, IndexSet>;
  /** Mapping of the edge downstream → upstream. */
  mapping(down: string, up: string): PartitionMapping;
  /** Assets that run their whole range in one step. */
  singleRun: ReadonlySet<string>;
}

export interface PlanOptions {
  graph: GraphView & { order: readonly string[] };
  selected: ReadonlySet<string>;
  latest: ReadonlyMap<string, MaterializationRecord>;
  /** When given, only missing/stale/failed unpartitioned assets run. */
  statuses?: ReadonlyMap<string, StatusInfo>;
  partitions?: PartitionPlanInput;
  /** Failed blocking checks per upstream asset (from earlier runs): steps reading those outputs are marked `blocked`. */
  blocks?: ReadonlyMap<string, readonly StoredBlock[]>;
}

export class MissingUpstreamError extends DagxError {
  constructor(message: string, readonly assetKey: string, readonly upstreamKey: string) {
    super("MISSING_UPSTREAM", message);
    this.name = "MissingUpstreamError";
  }
}

export const stepId = (key: string, partitionKey: string) => (partitionKey ? `${key}\u0000${partitionKey}` : key);

/** Build the plan. Refuses (before anything runs) when an unselected upstream was never materialized. */
export function planRun(o: PlanOptions): Plan {
  const P = o.partitions;
  const fresh: string[] = [];
  const inPlan = new Set<string>();
  const waiting: { key: string; reason: string }[] = [];
  /** Why a key waits (without the fix), for its downstream's reason. */
  const waits = new Map<string, string>();
  for (const key of o.graph.order) {
    if (!o.selected.has(key)) continue;
    // an external asset is observed (`dagx observe`), never planned
    if (o.graph.assets.get(key)?.external) continue;
    const wanted = P?.spaces.has(key) ? !(P.targets.get(key)?.isEmpty ?? true) : o.statuses?.get(key)?.status !== "fresh";
    if (!wanted) {
      fresh.push(key);
      continue;
    }
    // --stale brings up to date what can run; what cannot run yet is listed, not refused
    const w = o.statuses ? waitReason(key) : null;
    if (w) {
      waits.set(key, w.why);
      waiting.push({ key, reason: w.fix ? `${w.why}: ${w.fix}` : w.why });
    } else inPlan.add(key);
  }
  /** Per planned partitioned asset: index → step id (single-run: every index → the one step). */
  const stepOf = new Map<string, (i: number) => string>();
  const steps: PlanStep[] = [];
  for (const key of o.graph.order) {
    if (!inPlan.has(key)) continue;
    const ups = o.graph.upstream.get(key) ?? [];
    const space = P?.spaces.get(key);
    if (!space || !P) {
      const after = ups.flatMap((u) => afterAll(u));
      for (const u of ups) if (!inPlan.has(u)) requireUpstream(key, u, null);
      const st = o.statuses?.get(key);
      const step: PlanStep = { id: key, key, partitionKey: "", partitionKeys: null, after, reason: st ? `${st.status}: ${st.causes.join("; ")}` : "selected" };
      // an unpartitioned step reads every partition of a partitioned upstream
      const blocked = firstBlock(ups, (u) => (P?.spaces.has(u) ? IndexSet.range(0, P.spaces.get(u)!.size) : null));
      if (blocked) step.blocked = blocked;
      steps.push(step);
      continue;
    }
    const target = P.targets.get(key)!;
    const groups: IndexSet[] = P.singleRun.has(key) ? [target] : [...target].map((i) => IndexSet.of(i));
    const ids: string[] = [];
    for (const g of groups) {
      const keys = [...g].map((i) => space.keyAt(i));
      const last = keys[keys.length - 1]!;
      const id = stepId(key, last);
      ids.push(id);
      const after: string[] = [];
      const reads = new Map<string, IndexSet>();
      for (const u of ups) {
        const uspace = P.spaces.get(u);
        if (!uspace) {
          if (inPlan.has(u)) after.push(u);
          else requireUpstream(key, u, null);
          continue;
        }
        const needed = mapToUpstream(P.mapping(key, u), space, uspace, g);
        reads.set(u, needed);
        const planned = inPlan.has(u) ? needed.intersect(P.targets.get(u)!) : IndexSet.EMPTY;
        const lookup = stepOf.get(u);
        if (lookup) for (const i of planned) after.push(lookup(i));
        const missing = needed.difference(planned).difference(P.materialized.get(u) ?? IndexSet.EMPTY);
        if (!missing.isEmpty) {
          const ranges = formatRanges(missing, uspace, { maxRanges: 3 });
          const arg = ranges.includes("…") ? "missing" : ranges.replaceAll(", ", ",");
          throw new MissingUpstreamError(
            `Cannot materialize "${key}" [${keys.length > 1 ? `${keys[0]}..${last}` : last}]: upstream "${u}" partitions ${ranges} were never materialized and are not selected: run \`dagx materialize ${u} --partitions ${arg}\` first, or include them with \`dagx materialize +${key} --partitions …\``,
            key,
            u,
          );
        }
      }
      const step: PlanStep = { id, key, partitionKey: last, partitionKeys: keys, after: [...new Set(after)], reason: "selected" };
      const blocked = firstBlock(ups, (u) => reads.get(u) ?? null);
      if (blocked) step.blocked = blocked;
      steps.push(step);
    }
    if (P.singleRun.has(key)) stepOf.set(key, () => ids[0]!);
    else stepOf.set(key, (i) => stepId(key, space.keyAt(i)));
  }
  return waiting.length > 0 ? { steps, fresh, waiting } : { steps, fresh };

  /** Why `key` cannot run at all yet: an upstream with no partitions, or one that waits itself. */
  function waitReason(key: string): { why: string; fix: string | null } | null {
    for (const u of o.graph.upstream.get(key) ?? []) {
      const w = waits.get(u);
      if (w !== undefined) return { why: `upstream "${u}" waits: ${w}`, fix: null };
      const empty = emptySpace(u);
      if (empty) return { why: `upstream "${u}" has no partitions yet`, fix: empty };
    }
    return null;
  }

  /** The fix when upstream `u` is partitioned and has no partitions at all, else null. */
  function emptySpace(u: string): string | null {
    const space = P?.spaces.get(u);
    if (!space || space.size > 0) return null;
    const dynamic = space.dimensions.find((d) => d.space.kind === "dynamic" && d.space.size === 0)?.space.def;
    if (dynamic?.kind === "dynamic") return `dynamic partitions "${dynamic.name}" has no keys; add some with \`dagx partitions add ${dynamic.name} KEY…\``;
    return `${space.label} has no complete window yet (a time window exists once it has ended; \`endOffset: 1\` adds the current one)`;
  }

  /**
   * The first stored block among the upstream outputs a step reads and this run does not rebuild:
   * an unpartitioned upstream, or the partitions `reads(u)` names of a partitioned one. (Rebuilt
   * outputs are checked again in this run, which decides for them.)
   */
  function firstBlock(ups: readonly string[], reads: (u: string) => IndexSet | null): string | null {
    for (const u of ups) {
      const blocks = o.blocks?.get(u);
      if (!blocks?.length) continue;
      const uspace = P?.spaces.get(u);
      if (!uspace || !P) {
        if (!inPlan.has(u)) return blocks[0]!.reason;
        continue;
      }
      const rebuilt = inPlan.has(u) ? P.targets.get(u)! : IndexSet.EMPTY;
      const read = reads(u) ?? IndexSet.EMPTY;
      for (const b of blocks) {
        const i = uspace.indexOf(b.partitionKey);
        if (i >= 0 && read.has(i) && !rebuilt.has(i)) return b.reason;
      }
    }
    return null;
  }

  function afterAll(u: string): string[] {
    if (!inPlan.has(u)) return [];
    const space = P?.spaces.get(u);
    if (!space || !P) return [u];
    const lookup = stepOf.get(u)!;
    return [...new Set([...P.targets.get(u)!].map(lookup))];
  }

  function requireUpstream(key: string, up: string, _p: null): void {
    // an external asset never observed is read as it is now (its input version says "unobserved")
    if (o.graph.assets.get(up)?.external) return;
    const empty = emptySpace(up);
    if (empty) throw new MissingUpstreamError(`Cannot materialize "${key}": upstream "${up}" has no partitions yet: ${empty}`, key, up);
    const upPartitioned = P?.spaces.has(up) ?? false;
    const has = upPartitioned ? !(P!.materialized.get(up)?.isEmpty ?? true) : o.latest.has(up);
    if (has) return;
    throw new MissingUpstreamError(
      `Cannot materialize "${key}": upstream "${up}" has never been materialized and is not selected: run \`dagx materialize ${up}${upPartitioned ? " --partitions …" : ""}\` first, or include it with \`dagx materialize +${key}\``,
      key,
      up,
    );
  }
}
