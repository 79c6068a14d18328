/**
 * Checks whose result the asset's step reports (`checkSpec()`): dagx declares them, the step gives
 * each result with `ctx.output(value, { checks: { NAME: { passed } } })`. What a report means:
 * - declared and reported → recorded as reported (an `error` in the report is never a pass);
 * - declared, not reported → failed at its severity: "the step did not report check NAME";
 * - reported, not declared → recorded, flagged `dagx/undeclared` in its metadata, never blocking,
 *   and the run log gets a warning naming the fix.
 */
import type { CheckResult, PartitionKey } from "../types.ts";
import { DefinitionError } from "../errors.ts";
import { callerLocation } from "../location.ts";
import { checkOptionsProblem, MAX_CHECK_NAME } from "./builtins.ts";
import { type AssetCheck, CHECK_SPEC, type CheckRerun, type CheckSeverity, type CheckSpec, type CheckSpecOptions, type ReportedCheckResult } from "./types.ts";

/** Metadata key set on the result of a check the step reported without declaring it. */
export const UNDECLARED_CHECK = "dagx/undeclared";

/**
 * Declare a check whose result the asset's own step reports (as Dagster's `AssetCheckSpec`): a dbt
 * test, a check a script computes. Put it in the asset's (or multi-asset out's) `checks`, and report
 * the result from the step with `ctx.output(value, { checks: { NAME: { passed, metadata? } } })`.
 * A declared check the step does not report is recorded as failed. `dagx check` cannot re-run it:
 * it runs with its asset's step.
 *
 * @example
 * export const orders = asset({ checks: [checkSpec("no_refunds", { blocking: true })] }, async (ctx) => {
 *   const rows = await load();
 *   const refunds = rows.filter((r) => r.refunded).length;
 *   return ctx.output(rows, { checks: { no_refunds: { passed: refunds === 0, metadata: { refunds } } } });
 * });
 */
export function checkSpec(name: string, options: CheckSpecOptions = {}): CheckSpec {
  const where = callerLocation();
  const bad = (problem: string) => new DefinitionError("DEFINITION_INVALID", `Invalid check checkSpec()${where ? ` at ${where}` : ""}: ${problem}`, where ?? undefined);
  const nameProblem = checkNameProblem(name);
  if (nameProblem) throw bad(nameProblem);
  if (options === null || typeof options !== "object") throw bad(`options must be an object, e.g. checkSpec("${name}", { severity: "warn" })`);
  const problem = checkOptionsProblem(options);
  if (problem) throw bad(problem);
  return { [CHECK_SPEC]: true, name, severity: options.severity ?? "error", blocking: options.blocking ?? false, description: options.description ?? null, location: where };
}

const RERUN = Symbol.for("dagx.checkSpec.rerun");

/**
 * A `checkSpec()` that `dagx check` can evaluate again alone, with `rerun` (internal: integrations
 * such as dbt, whose test can run on its own, use it; a user's reported check runs with its step).
 */
export function withRerun(spec: CheckSpec, rerun: CheckRerun): CheckSpec {
  Object.defineProperty(spec, RERUN, { value: rerun });
  return spec;
}

/** The `rerun` of a reported check, if an integration gave one. */
export function rerunOf(spec: CheckSpec): CheckRerun | undefined {
  return (spec as unknown as Record<symbol, CheckRerun | undefined>)[RERUN];
}

/** True when `value` was made by `checkSpec()`. */
export function isCheckSpec(value: unknown): value is CheckSpec {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[CHECK_SPEC] === true;
}

function checkNameProblem(name: unknown): string | null {
  if (typeof name !== "string" || name.trim() === "" || name.length > MAX_CHECK_NAME || /[\u0000-\u001f]/.test(name)) {
    return `the name must be a non-empty string of at most ${MAX_CHECK_NAME} characters without control characters (got ${typeof name === "string" ? JSON.stringify(name.slice(0, 40)) : String(name)})`;
  }
  return null;
}

/** Where a reported result lands: the materialization it checks. */
export interface ReportTarget {
  runId: string;
  assetKey: string;
  partitionKey: PartitionKey;
  at: number;
}

/**
 * The results of an asset's reported checks for one materialization, from what its step gave in
 * `ctx.output(…, { checks })` (`reported`, unvalidated: it is user data). `warnings` go to the run log.
 */
export function reportedCheckResults(
  checks: readonly AssetCheck[],
  reported: unknown,
  t: ReportTarget,
): { results: CheckResult[]; warnings: string[] } {
  const results: CheckResult[] = [];
  const warnings: string[] = [];
  const given: Record<string, unknown> = reported !== null && typeof reported === "object" && !Array.isArray(reported) ? (reported as Record<string, unknown>) : {};
  if (reported !== undefined && given !== reported) {
    warnings.push(`Asset "${t.assetKey}" reported checks as ${Array.isArray(reported) ? "an array" : typeof reported}: give an object by check name, { checks: { NAME: { passed: true } } }`);
  }
  const base = { runId: t.runId, assetKey: t.assetKey, partitionKey: t.partitionKey, at: t.at, sample: null };
  const declared = new Map(checks.filter((c) => c.kind === "reported").map((c) => [c.name, c]));
  for (const c of declared.values()) {
    const has = Object.prototype.hasOwnProperty.call(given, c.name);
    const r = has ? readResult(given[c.name]) : null;
    if (r === null) {
      const error = has
        ? `the step reported check "${c.name}" as ${show(given[c.name])}: give { passed: true } or { passed: false, metadata: { … } }`
        : `the step did not report check "${c.name}": give its result with ctx.output(value, { checks: { "${c.name}": { passed } } })`;
      results.push({ ...base, checkName: c.name, passed: false, severity: c.severity, blocking: c.blocking, description: c.description, metadata: {}, error });
      continue;
    }
    results.push({ ...base, checkName: c.name, ...r, severity: r.severity ?? c.severity, blocking: c.blocking, description: r.description ?? c.description });
  }
  for (const [name, value] of Object.entries(given)) {
    if (declared.has(name)) continue;
    const nameProblem = checkNameProblem(name);
    const other = checks.find((c) => c.name === name);
    if (nameProblem || other) {
      warnings.push(`Asset "${t.assetKey}" reported check ${JSON.stringify(name.slice(0, 60))}, not recorded: ${nameProblem ?? `"${name}" is a ${other!.kind} check that dagx runs itself — report another name`}`);
      continue;
    }
    const r = readResult(value);
    warnings.push(`Asset "${t.assetKey}" reported check "${name}", which it does not declare: recorded and flagged undeclared — declare it with checks: [checkSpec("${name}")]`);
    const metadata = { ...(r?.metadata ?? {}), [UNDECLARED_CHECK]: true };
    if (r === null) {
      results.push({ ...base, checkName: name, passed: false, severity: "error", blocking: false, description: null, metadata, error: `the step reported check "${name}" as ${show(value)}: give { passed: true } or { passed: false }` });
    } else {
      results.push({ ...base, checkName: name, ...r, metadata, severity: r.severity ?? "error", blocking: false, description: r.description ?? null });
    }
  }
  return { results, warnings };
}

/** A reported result, or null when it is not `{ passed: boolean, … }` with valid fields. */
function readResult(v: unknown): (Pick<CheckResult, "passed" | "metadata" | "error"> & { severity?: CheckSeverity; description?: string }) | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const r = v as ReportedCheckResult;
  if (typeof r.passed !== "boolean") return null;
  if (r.severity !== undefined && r.severity !== "error" && r.severity !== "warn") return null;
  if (r.metadata !== undefined && (r.metadata === null || typeof r.metadata !== "object" || Array.isArray(r.metadata))) return null;
  if (r.description !== undefined && typeof r.description !== "string") return null;
  if (r.error !== undefined && typeof r.error !== "string") return null;
  const error = r.error ?? null;
  return {
    passed: error === null && r.passed,
    metadata: { ...(r.metadata ?? {}) },
    error,
    ...(r.severity ? { severity: r.severity } : {}),
    ...(r.description !== undefined ? { description: r.description } : {}),
  };
}

function show(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object without a boolean `passed`";
  return typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : String(v);
}
