/** Freshness of a project's assets now, from what state knows about their last materialization. */
import { evaluateFreshness, type FreshnessResult } from "../../core/freshness.ts";
import type { AssetState } from "./asset-state.ts";
import { croner } from "../daemon/index.ts";
import type { Project } from "../project/index.ts";

/** Freshness per asset that has a policy. */
export function projectFreshness(project: Project, st: Pick<AssetState, "latest" | "parts">, now: number): Map<string, FreshnessResult> {
  const out = new Map<string, FreshnessResult>();
  for (const [key, policy] of project.instigators.freshness) {
    const lastAt = st.parts.get(key)?.last?.at ?? st.latest.get(key)?.at ?? null;
    out.set(key, evaluateFreshness(policy, lastAt, now, (e, tz, t) => croner.prev(e, tz, t)));
  }
  return out;
}
