/**
 * A `dbtProject()` export → one multi-asset step (DESIGN §14): every selected model, seed and
 * snapshot is an out with its own key, group, owners, tags and description; running the step runs
 * `dbt build --select <the selected outs>` once, streaming each node's result into the run's log.
 *
 * Sources with `meta.dagx.key` are upstream dagx assets (the step depends on them, so dagx
 * materializes them first); other sources stay outside dagx's graph (external, upstream only).
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { DagxError } from "../../core/errors.ts";
import { type DbtProjectDef, keyMatches } from "../../core/dbt/project.ts";
import type { DbtAssetSpec } from "../../core/dbt/manifest.ts";
import { type MultiAssetDef, type MultiAssetOut, multiAsset } from "../../core/multi-asset.ts";
import { checkSpec, withRerun } from "../../core/checks/reported.ts";
import type { ReportedCheckResult } from "../../core/checks/types.ts";
import type { DbtCheckSpec } from "../../core/dbt/manifest.ts";
import type { DbtRunResult } from "./index.ts";
import { buildDbt, parseDbtProject } from "./index.ts";

/** Parses the dbt project of a `dbtProject()` export (cached) and returns its multi-asset step. */
export async function dbtStep(root: string, def: DbtProjectDef, executable?: string): Promise<MultiAssetDef<Record<string, never>>> {
  const o = def.options;
  const inv = {
    dir: resolve(root, o.dir),
    ...(o.profilesDir ? { profilesDir: resolve(root, o.profilesDir) } : {}),
    ...(o.target ? { target: o.target } : {}),
    executable: executable ?? process.env.DAGX_DBT_EXECUTABLE ?? "dbt",
    workDir: resolve(root, ".dagx/dbt"),
    env: { DAGX_PROJECT_ROOT: resolve(root) },
  };
  const { definitions } = await parseDbtProject(inv);
  const kept = definitions.assets.filter(
    (a) => (!o.select || keyMatches(a.key, o.select)) && !(o.exclude && keyMatches(a.key, o.exclude)),
  );
  if (kept.length === 0) {
    throw new DagxError("DEFINITION_INVALID", `dbtProject({ dir: "${o.dir}" }) selects no model, seed or snapshot — widen select/exclude`);
  }
  const testsOf = new Map<string, DbtCheckSpec[]>();
  for (const t of definitions.checks) testsOf.set(t.asset, [...(testsOf.get(t.asset) ?? []), t]);
  const byOut = new Map<string, DbtAssetSpec>();
  const outs: Record<string, MultiAssetOut> = {};
  for (const a of kept) {
    const out = a.key.replace(/[^A-Za-z0-9_]/g, "_");
    byOut.set(out, a);
    outs[out] = {
      key: a.key,
      group: a.group,
      ...(a.description ? { description: a.description } : {}),
      owners: [...a.owners],
      tags: { ...a.tags, dbt_unique_id: a.uniqueId },
      kinds: [...a.kinds],
      // each model's own checksum: editing one model marks only it (and its downstream) stale
      codeVersion: a.codeVersion,
      // its dbt tests, reported by the build (testResult below)
      // (`dagx check` re-runs one alone: dbt build --select <the test>)
      checks: (testsOf.get(a.key) ?? []).map((t) =>
        withRerun(checkSpec(t.name, { severity: t.severity, blocking: t.blocking, description: t.description }), async (signal, log) => {
          const run = await buildDbt(inv, { select: [t.name], signal, onResult: (r) => log(r.status === "pass" ? "info" : "warn", `dbt ${r.uniqueId}: ${r.status}`) });
          return testResult(t, run.results.find((r) => r.uniqueId === t.uniqueId));
        })),
    };
  }
  const keptKeys = new Set(kept.map((a) => a.key));
  // Upstreams of the step: sources tied to a dagx asset, and dbt nodes left out by select/exclude.
  const deps = [
    ...definitions.sources.filter((s) => s.key !== `${s.sourceName}/${s.name}`).map((s) => s.key),
  ].filter((k) => !keptKeys.has(k));
  // The step's code version (a hash of every node's checksum) is only a fallback: each out sets
  // its own model's checksum (outs above), which wins.
  const codeVersion = `dbt:${createHash("sha256").update(kept.map((a) => `${a.uniqueId}=${a.codeVersion}`).join("\n")).digest("hex").slice(0, 12)}`;
  return multiAsset(
    { outs, canSubset: true, ...(deps.length > 0 ? { deps } : {}), codeVersion },
    async (ctx: {
      selectedOutputs: readonly string[];
      log: { info(m: string): void; warn(m: string): void };
      signal?: AbortSignal;
      output?: (value: unknown, options: { metadata: Record<string, unknown>; checks: Record<string, ReportedCheckResult> }) => unknown;
    }) => {
      const selected = ctx.selectedOutputs.map((n) => byOut.get(n)!).filter(Boolean);
      const outcome = await buildDbt(inv, {
        select: selected.map((a) => a.selector),
        onResult: (r) => {
          const what = `dbt ${r.uniqueId}: ${r.status}${r.executionTime !== undefined ? ` in ${r.executionTime.toFixed(2)} s` : ""}${r.failures ? ` (${r.failures} failing rows)` : ""}`;
          if (r.status === "success" || r.status === "pass") ctx.log.info(what);
          else ctx.log.warn(r.message ? `${what} — ${r.message}` : what);
        },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      // One entry per selected out: a node dbt built is recorded (with dbt's timing as metadata) with
      // its tests' results as its checks — a failing error-severity test is a failed blocking check,
      // so dagx skips the TS/SQL assets below it as dbt skips the models below it. A node that failed
      // or that dbt skipped fails its own out only (a getter that throws is read by the run engine
      // per out), so dagx skips what is downstream of it and nothing else.
      const byId = new Map(outcome.results.map((r) => [r.uniqueId, r]));
      const result: Record<string, unknown> = {};
      for (const a of selected) {
        const out = a.key.replace(/[^A-Za-z0-9_]/g, "_");
        const r = byId.get(a.uniqueId);
        if (r && r.status === "success") {
          const checks = Object.fromEntries((testsOf.get(a.key) ?? []).map((t) => [t.name, testResult(t, byId.get(t.uniqueId))]));
          const metadata = { dbt_unique_id: a.uniqueId, dbt_seconds: r.executionTime ?? null };
          result[out] = ctx.output ? ctx.output(undefined, { metadata, checks }) : undefined;
          continue;
        }
        const why = r
          ? r.status === "skipped"
            ? `dbt skipped ${a.uniqueId}: an upstream model or blocking test failed in the same build`
            : `dbt ${r.status} for ${a.uniqueId}: ${(r.message ?? "").split("\n").slice(0, 3).join(" ").trim()}`
          : `dbt did not run ${a.uniqueId} (exit ${outcome.exitCode}): ${outcome.errors}`;
        Object.defineProperty(result, out, {
          enumerable: true,
          get() {
            throw new Error(`${why} — fix it in ${a.file ?? "the dbt project"}, then materialize again`);
          },
        });
      }
      return result;
    },
  ) as unknown as MultiAssetDef<Record<string, never>>;
}

/**
 * A dbt test's result (from run_results.json) as a reported check result: pass → passed; fail →
 * failed at the test's severity; warn → failed at warn severity; error (the test's SQL failed) and
 * skipped → not evaluated (never passed), with dbt's reason. Failing rows and dbt's message go in the
 * metadata.
 */
export function testResult(t: DbtCheckSpec, r: DbtRunResult | undefined): ReportedCheckResult {
  if (!r) return { passed: false, error: `not run: dbt did not report test ${t.uniqueId} in this build`, metadata: { dbt_unique_id: t.uniqueId } };
  const message = (r.message ?? "").split("\n").slice(0, 5).join(" ").trim();
  const metadata: Record<string, unknown> = {
    dbt_unique_id: t.uniqueId,
    dbt_status: r.status,
    ...(r.failures !== undefined ? { failing_rows: r.failures } : {}),
    ...(r.executionTime !== undefined ? { dbt_seconds: r.executionTime } : {}),
    ...(message ? { dbt_message: message } : {}),
  };
  switch (r.status) {
    case "pass":
      return { passed: true, metadata };
    case "fail":
      return { passed: false, metadata };
    case "warn":
      return { passed: false, severity: "warn", metadata };
    case "skipped":
      return { passed: false, error: `not run: dbt skipped this test${message ? ` (${message})` : " (a node it depends on failed or was skipped in the same build)"}`, metadata };
    default:
      return { passed: false, error: `dbt could not evaluate the test (${r.status})${message ? `: ${message}` : ""}`, metadata };
  }
}
