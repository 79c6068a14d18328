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
import { buildDbt, parseDbtProject } from "./index.ts";
import { dbtOutIO } from "./relation.ts";

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
  const byOut = new Map<string, DbtAssetSpec>();
  const outs: Record<string, MultiAssetOut> = {};
  const io = dbtOutIO(inv, definitions); // observes each relation after the build, reads it downstream
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
      io,
    };
  }
  const keptKeys = new Set(kept.map((a) => a.key));
  // Upstreams of the step: sources tied to a dagx asset, and dbt nodes left out by select/exclude.
  const deps = [
    ...definitions.sources.filter((s) => s.key !== `${s.sourceName}/${s.name}`).map((s) => s.key),
  ].filter((k) => !keptKeys.has(k));
  // One code version per step (multiAsset has no per-out version yet): a hash of every node's
  // checksum, so editing any model marks every dbt asset of the project stale (docs/dbt.md).
  const codeVersion = `dbt:${createHash("sha256").update(kept.map((a) => `${a.uniqueId}=${a.codeVersion}`).join("\n")).digest("hex").slice(0, 12)}`;
  return multiAsset(
    { outs, canSubset: true, ...(deps.length > 0 ? { deps } : {}), codeVersion },
    async (ctx: {
      selectedOutputs: readonly string[];
      log: { info(m: string): void; warn(m: string): void };
      signal?: AbortSignal;
      output?: (value: unknown, options: { metadata: Record<string, unknown> }) => unknown;
    }) => {
      const selected = ctx.selectedOutputs.map((n) => byOut.get(n)!).filter(Boolean);
      const blockingFailures = new Map<string, string[]>(); // node → its failed error-severity tests
      const outcome = await buildDbt(inv, {
        select: selected.map((a) => a.selector),
        onResult: (r) => {
          if (r.resourceType === "test" && (r.status === "fail" || r.status === "error") && r.attachedNode) {
            blockingFailures.set(r.attachedNode, [...(blockingFailures.get(r.attachedNode) ?? []), r.uniqueId.split(".")[2] ?? r.uniqueId]);
          }
          const what = `dbt ${r.uniqueId}: ${r.status}${r.executionTime !== undefined ? ` in ${r.executionTime.toFixed(2)} s` : ""}${r.failures ? ` (${r.failures} failing rows)` : ""}`;
          if (r.status === "success" || r.status === "pass") ctx.log.info(what);
          else ctx.log.warn(r.message ? `${what} — ${r.message}` : what);
        },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      // One entry per selected out: a node dbt built is recorded (with dbt's timing as metadata);
      // a node that failed or that dbt skipped fails its own out only (a getter that throws is read
      // by the run engine per out), so dagx skips what is downstream of it and nothing else.
      const byId = new Map(outcome.results.map((r) => [r.uniqueId, r]));
      const result: Record<string, unknown> = {};
      for (const a of selected) {
        const out = a.key.replace(/[^A-Za-z0-9_]/g, "_");
        const r = byId.get(a.uniqueId);
        const failedTests = blockingFailures.get(a.uniqueId);
        if (r && r.status === "success" && !failedTests) {
          result[out] = ctx.output ? ctx.output(undefined, { metadata: { dbt_unique_id: a.uniqueId, dbt_seconds: r.executionTime ?? null } }) : undefined;
          continue;
        }
        const why = failedTests
          ? `dbt built ${a.uniqueId} but its blocking test${failedTests.length > 1 ? "s" : ""} ${failedTests.join(", ")} failed (severity error; dbt skipped what is downstream)`
          : r
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
