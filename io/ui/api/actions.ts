/**
 * Actions (POST; core/ui-api.ts "Actions"), through the same code as the CLI: the plan is
 * `materialize --dry-run` (runMaterialize with dryRun, in this process: no user code runs);
 * materialize, backfill and resume run `dagx materialize|backfill` in a child process with trigger
 * `ui` (io/ui/launch.ts); cancels and start/stop are the store functions the CLI calls.
 */
import { DagxError } from "../../../core/errors.ts";
import { selectAssets } from "../../../core/selection/index.ts";
import { didYouMean } from "../../../core/suggest.ts";
import { parseTagArgs } from "../../../core/tags.ts";
import type { ApiLaunchRequest } from "../../../core/ui-api.ts";
import { setInstigatorStatus } from "../../daemon/index.ts";
import { runJson } from "../../reports/index.ts";
import { backfillLiveStatus, cancelBackfill, cancelRun, QUEUED_RUN_HOST, resolveRunConfig, runMaterialize } from "../../run/index.ts";
import type { ApiContext } from "./context.ts";
import { json } from "./_http.ts";

/** The actions of core/ui-api.ts ("Actions"), by name. */
export type ActionName = "plan" | "materialize" | "backfill" | "cancel-run" | "cancel-backfill" | "resume-backfill" | "schedule-start" | "schedule-stop" | "sensor-start" | "sensor-stop";

/** The launch request, checked: strings where strings belong, no flag-looking selection. */
export function launchRequest(body: unknown): ApiLaunchRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b !== "object" || Array.isArray(b)) throw new DagxError("USAGE", "The body must be a JSON object");
  const str = (name: string): string | undefined => {
    const v = b[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw new DagxError("USAGE", `"${name}" must be a string`);
    return v;
  };
  const selection = str("selection") ?? "";
  if (selection.trimStart().startsWith("-")) throw new DagxError("USAGE", `Invalid selection "${selection}": a selection does not start with "-"`);
  const partition = str("partition");
  const partitions = str("partitions");
  if (partition !== undefined && partitions !== undefined) throw new DagxError("USAGE", "Give either partition or partitions, not both");
  if (b.stale !== undefined && typeof b.stale !== "boolean") throw new DagxError("USAGE", '"stale" must be true or false');
  let tags: Record<string, string> | undefined;
  if (b.tags !== undefined && b.tags !== null) {
    if (typeof b.tags !== "object" || Array.isArray(b.tags) || Object.values(b.tags).some((v) => typeof v !== "string")) throw new DagxError("USAGE", '"tags" must be an object of strings');
    tags = b.tags as Record<string, string>;
  }
  return { selection, ...(partition !== undefined ? { partition } : {}), ...(partitions !== undefined ? { partitions } : {}), ...(b.stale ? { stale: true } : {}), ...(tags ? { tags } : {}) };
}

/** `materialize --dry-run --json` for a request: the same planning as the CLI, nothing run. */
async function plan(ctx: ApiContext, r: ApiLaunchRequest) {
  const project = ctx.holder.get();
  if (project.graph.errors.length > 0 && !r.selection.trim()) {
    throw new DagxError("DEFINITION_LOAD", `Cannot materialize everything: ${project.graph.errors.length} load error(s) in asset files: fix them, or select what to run`);
  }
  const selected = selectAssets(r.selection.trim() ? [r.selection] : [], project.graph);
  const config = await resolveRunConfig(project.graph, selected, {}, []);
  const partitionSelection = r.partition !== undefined ? `"${r.partition.replaceAll('"', '""')}"` : (r.partitions ?? null);
  const outcome = await runMaterialize(project, ctx.store, {
    selectionText: r.selection.trim() || "*",
    selected,
    stale: Boolean(r.stale),
    concurrency: 1,
    dryRun: true,
    trigger: "ui",
    signal: new AbortController().signal,
    partitionSelection,
    singlePartition: r.partition !== undefined,
    tags: {},
    config,
    now: ctx.now,
  });
  return runJson(outcome);
}

/** The `dagx materialize|backfill` arguments of a request. */
function launchArgs(r: ApiLaunchRequest): string[] {
  return [
    ...(r.selection.trim() ? [r.selection.trim()] : []),
    ...(r.partition !== undefined ? ["--partition", r.partition] : []),
    ...(r.partitions !== undefined ? ["--partitions", r.partitions] : []),
    ...(r.stale ? ["--stale"] : []),
    ...Object.entries(r.tags ?? {}).flatMap(([k, v]) => ["--tag", `${k}=${v}`]),
  ];
}

/**
 * `workers.enqueue` in the config: the launched child hands its run to the workers' queue and
 * follows it (its exit, the run's end) instead of running the steps itself (docs/workers.md).
 */
function enqueueArgs(ctx: ApiContext): string[] {
  const workers = ctx.holder.get().config.workers;
  return workers?.enqueue ? ["--queue-name", workers.queue ?? "default"] : [];
}

/** Run one action; returns the answer (202 for launches). */
export async function postAction(ctx: ApiContext, action: ActionName, params: string[], body: unknown): Promise<unknown> {
  const [name] = params;
  try {
    switch (action) {
      case "plan":
        return await plan(ctx, launchRequest(body));
      case "materialize": {
        const r = launchRequest(body);
        // the tags as the CLI checks them (reserved dagx/… keys refused)
        if (r.tags) parseTagArgs(Object.entries(r.tags).map(([k, v]) => `${k}=${v}`), "tags");
        // planned first: a bad selection or partition range is a 400 now, and nothing to do starts nothing
        const planned = await plan(ctx, r);
        if (planned.steps.length === 0) return { runId: null, status: "nothing", plan: planned };
        const runId = Bun.randomUUIDv7();
        ctx.launcher.start(["materialize", ...launchArgs(r), ...enqueueArgs(ctx)], { runId });
        return json({ runId }, 202);
      }
      case "backfill": {
        const r = launchRequest(body);
        if (!r.partitions) throw new DagxError("USAGE", 'A backfill needs "partitions" (a range, e.g. 2024-01..2024-03)');
        await plan(ctx, { selection: r.selection, partitions: r.partitions });
        const backfillId = Bun.randomUUIDv7();
        ctx.launcher.start(["backfill", ...(r.selection.trim() ? [r.selection.trim()] : []), "--partitions", r.partitions, ...enqueueArgs(ctx)], { backfillId });
        return json({ backfillId }, 202);
      }
      case "cancel-run": {
        const r = await cancelRun(ctx.store, name!, ctx.now());
        if (r.status === "unknown") throw new DagxError("NOT_FOUND", `No run "${name}": see /api/runs`);
        // a run handed to workers: its steps not started are canceled now (as `dagx cancel` does)
        if (r.status === "requested" && r.run.host === QUEUED_RUN_HOST) await ctx.cancelQueuedRun?.(r.run.runId);
        return { runId: name, status: r.status === "requested" ? "cancel-requested" : r.status === "abandoned" ? "abandoned" : r.run.status };
      }
      case "cancel-backfill": {
        const found = await ctx.store.getBackfill(name!);
        if (!found) throw new DagxError("NOT_FOUND", `No backfill "${name}": see /api/backfills`);
        const r = await cancelBackfill(ctx.store, found, ctx.now());
        if (r.cancelRequested && found.backfill.host === QUEUED_RUN_HOST) {
          for (const runId of new Set(found.partitions.filter((p) => p.status === "pending" && p.runId).map((p) => p.runId!))) {
            await cancelRun(ctx.store, runId, ctx.now());
            await ctx.cancelQueuedRun?.(runId);
          }
        }
        return { backfillId: name, status: r.cancelRequested ? "cancel-requested" : r.markedCanceled ? "canceled" : r.live };
      }
      case "resume-backfill": {
        const found = await ctx.store.getBackfill(name!);
        if (!found) throw new DagxError("NOT_FOUND", `No backfill "${name}": see /api/backfills`);
        const live = backfillLiveStatus(found.backfill, ctx.now());
        if (live === "running") throw new DagxError("USAGE", `Backfill ${name} is still running (pid ${found.backfill.pid}): cancel it first`);
        ctx.launcher.start(["backfill", "--resume", name!]);
        return json({ backfillId: name, status: "running" }, 202);
      }
      case "schedule-start":
      case "schedule-stop":
      case "sensor-start":
      case "sensor-stop": {
        const kind = action.startsWith("schedule") ? "schedule" : "sensor";
        const project = ctx.holder.get();
        const names = (kind === "schedule" ? project.instigators.schedules : project.instigators.sensors).map((s) => s.name);
        if (!names.includes(name!)) throw new DagxError("NOT_FOUND", `Unknown ${kind} "${name}"${didYouMean(name!, names)}: see /api/${kind}s`);
        const status = action.endsWith("start") ? "running" : "stopped";
        await setInstigatorStatus(ctx.store, kind, name!, status, ctx.now());
        return { name, status };
      }
    }
  } finally {
    ctx.feed.poke();
  }
}
