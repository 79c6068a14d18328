/** The `alerts` of a project's config as io needs them: checked, their selections resolved at load, their secrets known. */
import { alertSelectionProblem, type NormalizedAlert, parseAlerts } from "../../core/alerts/index.ts";
import type { DagxConfig } from "../../core/config.ts";
import { DagxError } from "../../core/errors.ts";
import type { ProjectGraph } from "../../core/graph.ts";
import { projectEnv, redactor } from "../secrets/index.ts";

/** The config's alerts, checked (loadConfig refused invalid ones already). */
export function alertsOf(config: DagxConfig): NormalizedAlert[] {
  const parsed = parseAlerts(config.alerts);
  return "alerts" in parsed ? parsed.alerts : [];
}

/**
 * Refuse (CONFIG_INVALID, exit 2) an alert whose `select` matches nothing in the loaded graph, as a
 * schedule's selection is refused at load; skipped while an asset file fails to load (its assets
 * are missing from the graph, the selection may name them).
 */
export function assertAlertSelections(config: DagxConfig, graph: ProjectGraph): void {
  if (graph.errors.length > 0) return;
  const problem = alertSelectionProblem(alertsOf(config), graph);
  if (problem) throw new DagxError("CONFIG_INVALID", `Invalid config at dagx.config.ts: ${problem}`);
}

/**
 * Register the alerts' webhook URLs and header values with the redactor before anything runs (they
 * are secrets whatever their variable's name); a variable not set now is registered when it resolves.
 */
export function declareAlertSecrets(config: DagxConfig, root: string): void {
  const env = projectEnv(root);
  for (const a of alertsOf(config)) {
    if (a.target.kind !== "webhook") continue;
    for (const v of [a.target.url, ...Object.values(a.target.headers)]) {
      const value = typeof v === "string" ? v : (env.get(v.name) ?? v.default);
      if (value !== undefined) redactor.add(value);
    }
  }
}
