/**
 * Run, backfill, schedule and sensor endpoints, as `dagx runs|logs|backfill list|show|schedules
 * list|sensors list --json` print them (io/reports).
 */
import { DagxError } from "../../../core/errors.ts";
import { parseTagArgs } from "../../../core/tags.ts";
import type { ApiBackfills, ApiInstigators, ApiRunDetail, ApiRuns, ApiTicks } from "../../../core/ui-api.ts";
import type { InstigatorState, RunStatus } from "../../../core/types.ts";
import { croner } from "../../daemon/index.ts";
import { backfillItemJson, backfillShowJson, logsJson, runItemJson, scheduleItemJson, sensorItemJson, tickJson } from "../../reports/index.ts";
import { isRunAlive } from "../../status/index.ts";
import type { ApiContext } from "./context.ts";
import { apiError, intParam } from "./_http.ts";

const RUN_STATUSES: readonly RunStatus[] = ["running", "success", "failed", "canceled", "abandoned"];

/** `/api/runs?status=&trigger=&asset=&tag=K=V&limit=`: newest first. */
export async function getRuns(ctx: ApiContext, url: URL): Promise<ApiRuns> {
  const limit = intParam(url, "limit", 100, 1, 10_000);
  const status = url.searchParams.get("status") || undefined;
  if (status && !RUN_STATUSES.includes(status as RunStatus)) throw new DagxError("USAGE", `Unknown status "${status}": use one of ${RUN_STATUSES.join(", ")}`);
  const trigger = url.searchParams.get("trigger") || null;
  const asset = url.searchParams.get("asset") || null;
  const tags = parseTagArgs(url.searchParams.getAll("tag"), "tag", { reservedOk: true });
  // a run whose process died shows as abandoned, not running (as `dagx runs` does)
  await ctx.store.markAbandoned((r) => isRunAlive(r, ctx.now()), ctx.now());
  const filtered = trigger !== null || asset !== null;
  const runs = await ctx.store.listRuns({ limit: filtered ? 10_000 : limit, ...(status ? { status: status as RunStatus } : {}), ...(Object.keys(tags).length ? { tags } : {}) });
  const queued = ctx.queuedRuns && runs.some((r) => r.status === "running") ? await ctx.queuedRuns() : null;
  return {
    runs: runs
      .filter((r) => (trigger === null || r.trigger === trigger) && (asset === null || (r.assets ?? []).includes(asset)))
      .slice(0, limit)
      .map((r) => ({ ...runItemJson(r, queued?.has(r.runId)), assets: r.assets ?? [] })),
  };
}

/** `/api/runs/<id>?after=SEQ`: `dagx logs RUN --json`, events after `after` only. */
export async function getRun(ctx: ApiContext, runId: string, url: URL): Promise<ApiRunDetail | Response> {
  const after = intParam(url, "after", 0, 0, Number.MAX_SAFE_INTEGER);
  let run = await ctx.store.getRun(runId);
  // a running run whose process died is abandoned (as `dagx runs` marks it)
  if (run?.status === "running" && !isRunAlive(run, ctx.now())) {
    await ctx.store.markAbandoned((r) => isRunAlive(r, ctx.now()), ctx.now());
    run = await ctx.store.getRun(runId);
  }
  if (!run) {
    const failed = ctx.launcher.failure(runId);
    if (failed) return apiError(404, "LAUNCH_FAILED", `Run ${runId} did not start: ${failed}`);
    throw new DagxError("NOT_FOUND", `No run "${runId}": see /api/runs`);
  }
  const events = (await ctx.store.getEvents(runId)).filter((e) => e.seq > after);
  const doc = logsJson(run, events);
  const queued = ctx.queuedRuns && run.status === "running" ? (await ctx.queuedRuns()).has(run.runId) : false;
  return { run: { ...runItemJson(run, queued), assets: run.assets ?? [] }, events: doc.events };
}

/** `/api/backfills`: `dagx backfill list --json`. */
export async function getBackfills(ctx: ApiContext): Promise<ApiBackfills> {
  const list = await ctx.store.listBackfills({ limit: 50 });
  const counts = await ctx.store.countBackfillPartitions(list.map((b) => b.backfillId));
  return { backfills: list.map((b) => backfillItemJson(b, counts.get(b.backfillId), ctx.now())) };
}

/** `/api/backfills/<id>`: `dagx backfill show ID --json`. */
export async function getBackfill(ctx: ApiContext, id: string): Promise<unknown> {
  const found = await ctx.store.getBackfill(id);
  if (!found) {
    const failed = ctx.launcher.failure(id);
    if (failed) return apiError(404, "LAUNCH_FAILED", `Backfill ${id} did not start: ${failed}`);
    throw new DagxError("NOT_FOUND", `No backfill "${id}": see /api/backfills`);
  }
  const counts = (await ctx.store.countBackfillPartitions([id])).get(id)!;
  return backfillShowJson(found.backfill, found.partitions, counts, ctx.now());
}

/** Instigator records of a kind, as `dagx schedules|sensors list` sees them (without creating rows: a read). */
async function states(ctx: ApiContext, kind: "schedule" | "sensor"): Promise<Map<string, InstigatorState>> {
  return new Map((await ctx.store.listInstigators()).filter((s) => s.kind === kind).map((s) => [s.name, s]));
}

/** The state of an instigator that has no record yet: running (as `dagx schedules list` would record it). */
const unrecorded = (name: string, kind: "schedule" | "sensor", now: number): InstigatorState => ({ name, kind, status: "running", createdAt: now, lastTickAt: null, cursor: null, data: {}, updatedAt: now });

/** `/api/schedules`: `dagx schedules list --json`. */
export async function getSchedules(ctx: ApiContext): Promise<ApiInstigators> {
  const project = ctx.holder.get();
  const st = await states(ctx, "schedule");
  const now = ctx.now();
  const schedules = await Promise.all(
    project.instigators.schedules.map(async (s) => scheduleItemJson(s, st.get(s.name) ?? unrecorded(s.name, "schedule", now), (await ctx.store.listTicks({ name: s.name, limit: 1 }))[0] ?? null, croner.next(s.cron, s.timezone, now))),
  );
  return { schedules };
}

/** `/api/sensors`: `dagx sensors list --json`. */
export async function getSensors(ctx: ApiContext): Promise<ApiInstigators> {
  const project = ctx.holder.get();
  const st = await states(ctx, "sensor");
  const now = ctx.now();
  const sensors = await Promise.all(project.instigators.sensors.map(async (s) => sensorItemJson(s, st.get(s.name) ?? unrecorded(s.name, "sensor", now), (await ctx.store.listTicks({ name: s.name, limit: 1 }))[0] ?? null)));
  return { sensors };
}

/** `/api/ticks?name=NAME&limit=`: tick history of one schedule or sensor, newest first. */
export async function getTicks(ctx: ApiContext, url: URL): Promise<ApiTicks> {
  const name = url.searchParams.get("name");
  if (!name) throw new DagxError("USAGE", "Missing name: /api/ticks?name=NAME");
  const limit = intParam(url, "limit", 50, 1, 1000);
  const ticks = await ctx.store.listTicks({ name, limit });
  return { ticks: ticks.map((t) => ({ name: t.name, ...tickJson(t) })) };
}
