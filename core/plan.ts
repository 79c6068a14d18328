/** What to run, in which order: steps for the selected assets, upstream first. */
import { DagxError } from "./errors.ts";
import type { StatusInfo } from "./staleness.ts";
import type { GraphView, MaterializationRecord } from "./types.ts";

export interface PlanStep {
  key: string;
  /** "" when unpartitioned. */
  partitionKey: string;
  /** Upstream keys that are steps of this plan (they must succeed first). */
  after: string[];
  /** Why this step is in the plan ("selected", or the stale causes). */
  reason: string;
}

export interface Plan {
  steps: PlanStep[];
  /** Keys selected but left out because they are fresh (only with `stale`). */
  fresh: string[];
}

export interface PlanOptions {
  graph: GraphView & { order: readonly string[] };
  selected: ReadonlySet<string>;
  latest: ReadonlyMap<string, MaterializationRecord>;
  /** When given, only missing/stale/failed selected assets run. */
  statuses?: ReadonlyMap<string, StatusInfo>;
}

export class MissingUpstreamError extends DagxError {
  constructor(message: string, readonly assetKey: string, readonly upstreamKey: string) {
    super("MISSING_UPSTREAM", message);
    this.name = "MissingUpstreamError";
  }
}

/** Build the plan. Refuses (before anything runs) when an unselected upstream was never materialized. */
export function planRun(o: PlanOptions): Plan {
  const fresh: string[] = [];
  const inPlan = new Set<string>();
  for (const key of o.graph.order) {
    if (!o.selected.has(key)) continue;
    const st = o.statuses?.get(key);
    if (st && st.status === "fresh") fresh.push(key);
    else inPlan.add(key);
  }
  const steps: PlanStep[] = [];
  for (const key of o.graph.order) {
    if (!inPlan.has(key)) continue;
    const ups = o.graph.upstream.get(key) ?? [];
    for (const up of ups) {
      if (!inPlan.has(up) && !o.latest.has(up)) {
        throw new MissingUpstreamError(
          `Cannot materialize "${key}": upstream "${up}" has never been materialized and is not selected: run \`dagx materialize ${up}\` first, or include it with \`dagx materialize +${key}\``,
          key,
          up,
        );
      }
    }
    const st = o.statuses?.get(key);
    steps.push({ key, partitionKey: "", after: ups.filter((u) => inPlan.has(u)), reason: st ? `${st.status}: ${st.causes.join("; ")}` : "selected" });
  }
  return { steps, fresh };
}
