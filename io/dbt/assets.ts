/**
 * A dbt project (a `dbtProject()` export, or an entry of `dbt.projects` in dagx.config.ts) →
 * multi-asset steps (DESIGN §14): every selected model, seed and snapshot is an out with its own
 * key, group, owners, tags and description; running a step runs `dbt build --select <its selected
 * outs>` once, streaming each node's result into the run's log.
 *
 * The nodes form one step per contiguous run of dbt nodes (core/dbt/split.ts): a dagx asset that
 * reads one dbt model and feeds another (through a source tied to it) runs between two builds.
 * Nodes with `meta.dagx.partitions` form steps of their own, which pass the partition to dbt as
 * `--vars` (`dagx_partition_key`, `dagx_partition_start`, `dagx_partition_end`).
 *
 * Sources with `meta.dagx.key` are upstream dagx assets (the step depends on them, so dagx
 * materializes them first); the others are external assets (dbtSourceAssets: upstream only,
 * observed by hashing their `external_location` file).
 */
import { createReadStream } from "node:fs";
import type { AnyAssetDef } from "../../core/asset.ts";
import { externalAsset } from "../../core/external.ts";
import { join, resolve } from "node:path";
import { DagxError } from "../../core/errors.ts";
import type { DbtConfig } from "../../core/config.ts";
import type { DbtProjectOptions } from "../../core/dbt/project.ts";
import type { DbtAssetSpec, DbtDefinitions } from "../../core/dbt/manifest.ts";
import { type DbtStepGroup, splitDbtNodes } from "../../core/dbt/split.ts";
import { parseSqlHeader, SqlHeaderError } from "../../core/sql-asset/header.ts";
import type { PartitionsDef } from "../../core/partitions/types.ts";
import { type MultiAssetDef, type MultiAssetOut, multiAsset } from "../../core/multi-asset.ts";
import { checkSpec, withRerun } from "../../core/checks/reported.ts";
import type { ReportedCheckResult } from "../../core/checks/types.ts";
import type { DbtCheckSpec } from "../../core/dbt/manifest.ts";
import type { DbtRunResult } from "./index.ts";
import { buildDbt, type DbtInvocation, DbtError, listDbtNodes, parseDbtProject } from "./index.ts";
import { whileDbtBuilds } from "../iomanagers/index.ts";
import { dbtOutIO } from "./relation.ts";

/** A dbt project parsed and its selection resolved, before it is split into steps. */
export interface LoadedDbtProject {
  readonly options: DbtProjectOptions;
  readonly inv: DbtInvocation;
  readonly definitions: DbtDefinitions;
  /** The nodes `select`/`exclude` keep (every node without them). */
  readonly selected: readonly DbtAssetSpec[];
  /** Parsed `meta.dagx.partitions` by node key. */
  readonly partitions: ReadonlyMap<string, PartitionsDef>;
}

/** The dbt command: `DAGX_DBT_EXECUTABLE` (an override), else `dbt.executable` of the config, else `dbt`. */
export function dbtExecutableOf(config: DbtConfig | undefined): string | readonly string[] {
  return process.env.DAGX_DBT_EXECUTABLE || config?.executable || "dbt";
}

/** Parses the project (`dbt parse`, cached) and resolves `select`/`exclude` (`dbt ls`, cached). */
export async function loadDbtProject(root: string, o: DbtProjectOptions, config?: DbtConfig): Promise<LoadedDbtProject> {
  const inv: DbtInvocation = {
    dir: resolve(root, o.dir),
    ...(o.profilesDir ? { profilesDir: resolve(root, o.profilesDir) } : {}),
    ...(o.target ? { target: o.target } : {}),
    executable: dbtExecutableOf(config),
    workDir: resolve(root, ".dagx/dbt"),
    env: { DAGX_PROJECT_ROOT: resolve(root) },
  };
  const { definitions } = await parseDbtProject(inv);
  const ids = o.select || o.exclude ? await listDbtNodes(inv, { ...(o.select ? { select: o.select } : {}), ...(o.exclude ? { exclude: o.exclude } : {}) }) : null;
  const selected = definitions.assets.filter((a) => ids === null || ids.has(a.uniqueId));
  if (selected.length === 0) {
    throw new DagxError("DEFINITION_INVALID", `dbtProject({ dir: "${o.dir}" }) selects no model, seed or snapshot — widen select/exclude (\`dbt ls --select …\` in ${o.dir} shows what a selection picks)`);
  }
  const partitions = new Map<string, PartitionsDef>();
  for (const a of selected) {
    if (a.partitions) partitions.set(a.key, partitionsOf(a, o.dir));
    if (a.backfill !== undefined && a.backfill !== "single-run" && a.backfill !== "per-partition") {
      throw new DbtError(`Invalid meta.dagx.backfill on dbt ${a.uniqueId} (${a.file ?? o.dir}): "${a.backfill}" — write single-run or per-partition`);
    }
  }
  return { options: o, inv, definitions, selected, partitions };
}

/** `meta.dagx.partitions` in the grammar of a SQL asset's `-- @partitions:` header (`dir`: the dbt project, as written in its options). */
function partitionsOf(a: DbtAssetSpec, dir: string): PartitionsDef {
  try {
    const p = parseSqlHeader(`-- @partitions: ${a.partitions}\n`).options.partitions;
    if (p) return p;
  } catch (e) {
    const reason = e instanceof SqlHeaderError ? e.reason : (e as Error).message;
    throw new DbtError(`Invalid meta.dagx.partitions on dbt ${a.uniqueId} (${a.file ? join(dir, a.file) : dir}): ${reason} — write it as a SQL asset's @partitions header, e.g. daily(start=2024-01-01)`);
  }
  throw new DbtError(`Invalid meta.dagx.partitions on dbt ${a.uniqueId}: "${a.partitions}" — write e.g. daily(start=2024-01-01) or static(eu, us)`);
}

/**
 * The steps of a loaded project: one per contiguous run of dbt nodes with the same partitions.
 * `upstreamOf(key)` gives the upstream keys of every other dagx asset (to see which sit between
 * dbt nodes); a cycle through dagx assets is a DefinitionError naming its path.
 */
export function dbtSteps(project: LoadedDbtProject, upstreamOf: (key: string) => readonly string[] | undefined, externalSources: ReadonlySet<string> = new Set()): MultiAssetDef<Record<string, never>>[] {
  const selectedIds = new Set(project.selected.map((a) => a.uniqueId));
  const groups = splitDbtNodes(
    project.definitions.assets.map((a) => ({
      key: a.key,
      deps: a.deps,
      signature: a.partitions ? `${a.partitions.replace(/\s+/g, "")}|${a.backfill ?? "per-partition"}` : "",
      selected: selectedIds.has(a.uniqueId),
    })),
    upstreamOf,
    `"${project.options.dir}"`,
  );
  const byKey = new Map(project.selected.map((a) => [a.key, a]));
  return groups.map((g) => dbtStep(project, g, byKey, externalSources));
}

/**
 * The sources of a project tied to no dagx asset (default key `<source>/<table>`, no asset of that
 * key: `taken`) as external assets, kinds ["dbt", "source"]: in the graph upstream of the models
 * that read them. One with a local `external_location` file (dbt-duckdb) gets an observer that
 * hashes the file's content, streaming: `dagx observe <source>/<table>` marks what reads it stale
 * when the file changed.
 */
export function dbtSourceAssets(project: LoadedDbtProject, taken: (key: string) => boolean): AnyAssetDef[] {
  const { inv, definitions } = project;
  const defs: AnyAssetDef[] = [];
  for (const s of definitions.sources) {
    if (s.key !== `${s.sourceName}/${s.name}` || taken(s.key)) continue;
    const loc = s.externalLocation;
    const local = loc !== undefined && !loc.includes("://") && !/[*?[]/.test(loc);
    const def = externalAsset({
      key: s.key,
      group: s.sourceName || "default",
      kinds: ["dbt", "source"],
      tags: { dbt_unique_id: s.uniqueId },
      ...(s.description ? { description: s.description } : {}),
      ...(local ? { observe: () => hashFile(resolve(inv.dir, loc.replaceAll("{name}", s.name).replaceAll("{identifier}", s.name)), s.uniqueId) } : {}),
    });
    (def as { location: string | null }).location = `${join(inv.dir, "dbt_project.yml")}:1`;
    defs.push(def);
  }
  return defs;
}

/** The content hash of a source's file, read as a stream (a large file is never held in memory). */
async function hashFile(path: string, uniqueId: string): Promise<{ dataVersion: string; metadata: Record<string, unknown> }> {
  let bytes = 0;
  const h = new Bun.CryptoHasher("sha256");
  try {
    for await (const chunk of createReadStream(path)) {
      h.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`dbt ${uniqueId}: its external_location ${path} does not exist — create the file, or fix external_location in the source's YAML`);
    throw e;
  }
  return { dataVersion: h.digest("hex").slice(0, 32), metadata: { path, bytes } };
}

/** One step: `dbt build` of the group's selected nodes. */
function dbtStep(project: LoadedDbtProject, group: DbtStepGroup, byKey: ReadonlyMap<string, DbtAssetSpec>, externalSources: ReadonlySet<string>): MultiAssetDef<Record<string, never>> {
  const { inv, definitions } = project;
  const kept = group.keys.map((k) => byKey.get(k)!);
  const testsOf = new Map<string, DbtCheckSpec[]>();
  for (const t of definitions.checks) testsOf.set(t.asset, [...(testsOf.get(t.asset) ?? []), t]);
  const byOut = new Map<string, DbtAssetSpec>();
  const outs: Record<string, MultiAssetOut> = {};
  const io = dbtOutIO(inv, definitions); // observes each relation after the build, reads it downstream
  for (const a of kept) {
    const out = a.key.replace(/[^A-Za-z0-9_]/g, "_");
    byOut.set(out, a);
    const testRuns = new WeakMap<AbortSignal, Promise<Awaited<ReturnType<typeof buildDbt>>>>();
    outs[out] = {
      key: a.key,
      group: a.group,
      ...(a.description ? { description: a.description } : {}),
      owners: [...a.owners],
      tags: { ...a.tags, dbt_unique_id: a.uniqueId },
      kinds: [...a.kinds],
      io,
      // each model's own checksum: editing one model marks only it (and its downstream) stale
      codeVersion: a.codeVersion,
      // its dbt tests, reported by the build (testResult below)
      // (`dagx check` re-runs them without the model: one `dbt build --select <its tests>` per
      // check run — the checks of one asset share the run's signal, so the first starts the build)
      checks: (testsOf.get(a.key) ?? []).map((t, _, tests) =>
        withRerun(checkSpec(t.name, { severity: t.severity, blocking: t.blocking, description: t.description }), async (signal, log) => {
          let run = testRuns.get(signal);
          if (!run) {
            run = whileDbtBuilds(io, () => buildDbt(inv, { select: tests.map((x) => x.name), signal, onResult: (r) => log(r.status === "pass" ? "info" : "warn", `dbt ${r.uniqueId}: ${r.status}`) }));
            testRuns.set(signal, run);
          }
          return testResult(t, (await run).results.find((r) => r.uniqueId === t.uniqueId));
        })),
    };
  }
  // Upstreams of the step: sources tied to a dagx asset or made external assets (dbtSourceAssets),
  // nodes of earlier steps, dagx assets between.
  const untiedSources = new Set(definitions.sources.filter((s) => s.key === `${s.sourceName}/${s.name}` && !externalSources.has(s.key)).map((s) => s.key));
  const deps = group.deps.filter((k) => !untiedSources.has(k));
  const partitions = project.partitions.get(kept[0]!.key);
  const backfill = partitions && kept[0]!.backfill === "single-run" ? ("single-run" as const) : undefined;
  // Each model depends on what its SQL refs (dbt's depends_on), not on every upstream of the step:
  // lineage, `+model` selections and staleness follow dbt's graph inside the step too.
  const keptKeys = new Set(kept.map((a) => a.key));
  for (const a of kept) {
    outs[a.key.replace(/[^A-Za-z0-9_]/g, "_")]!.dependsOn = a.deps.filter((k) => keptKeys.has(k) || deps.includes(k));
  }
  // The step's code version (a hash of every node's checksum) is only a fallback: each out sets
  // its own model's checksum (outs above), which wins.
  const codeVersion = `dbt:${new Bun.CryptoHasher("sha256").update(kept.map((a) => `${a.uniqueId}=${a.codeVersion}`).join("\n")).digest("hex").slice(0, 12)}`;
  const step = multiAsset(
    { outs, canSubset: true, ...(deps.length > 0 ? { deps } : {}), ...(partitions ? { partitions } : {}), ...(backfill ? { backfill } : {}), codeVersion },
    async (ctx: {
      selectedOutputs: readonly string[];
      log: { info(m: string): void; warn(m: string): void };
      signal?: AbortSignal;
      partition?: { key: string; start?: Date; end?: Date } | null;
      output?: (value: unknown, options: { metadata: Record<string, unknown>; checks: Record<string, ReportedCheckResult> }) => unknown;
    }) => {
      const selected = ctx.selectedOutputs.map((n) => byOut.get(n)!).filter(Boolean);
      // dbt-duckdb opens its file read-write: it waits for this process's reads of it (io/iomanagers/dbt-relation.ts)
      const outcome = await whileDbtBuilds(io, () => buildDbt(inv, {
        select: selected.map((a) => a.selector),
        ...(ctx.partition ? { vars: partitionVars(ctx.partition) } : {}),
        onResult: (r) => {
          const what = `dbt ${r.uniqueId}: ${r.status}${r.executionTime !== undefined ? ` in ${r.executionTime.toFixed(2)} s` : ""}${r.failures ? ` (${r.failures} failing rows)` : ""}`;
          if (r.status === "success" || r.status === "pass") ctx.log.info(what);
          else ctx.log.warn(r.message ? `${what} — ${r.message}` : what);
        },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      }));
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
  // where the definitions are: each model's own file, and the project's dbt_project.yml for the step
  // (multiAsset() took the loader's call site)
  for (const [o, def] of Object.entries(step.outs as Record<string, { location: string | null }>)) {
    const file = byOut.get(o)?.file;
    def.location = `${file ? join(inv.dir, file) : join(inv.dir, "dbt_project.yml")}:1`;
  }
  (step as { location: string | null }).location = `${join(inv.dir, "dbt_project.yml")}:1`;
  return step;
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

/** `--vars` of a partitioned build: the key (the last one of a range) and the time window, ISO 8601. */
export function partitionVars(p: { key: string; start?: Date; end?: Date }): Record<string, string> {
  return {
    dagx_partition_key: p.key,
    ...(p.start ? { dagx_partition_start: p.start.toISOString() } : {}),
    ...(p.end ? { dagx_partition_end: p.end.toISOString() } : {}),
  };
}
