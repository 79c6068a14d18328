/**
 * Launches queued run requests (from schedules, sensors and automation) as in-process runs, a few
 * at a time. The run id is chosen with the request (in the tick's transaction) and the run is
 * created with that id; the request is then marked `started`. A daemon killed between the two
 * finds, after a restart, that the request's run exists and records what became of it instead of
 * launching it again; a request whose run does not exist yet is launched.
 */
import type { RunRecord, RunRequestRecord } from "../../core/types.ts";
import type { StateStore } from "../../core/state-store.ts";
import { selectAssets } from "../../core/selection/index.ts";
import { isRunAlive } from "../status/index.ts";
import { type QueuedRunSubmission, resolveRunConfig, type RunOutcome, runMaterialize } from "../run/index.ts";
import type { Project } from "../project/index.ts";

/**
 * Fault injection for crash tests (tests/cli/daemon.test.ts): `DAGX_CRASH_AT=run-created` kills
 * the process with SIGKILL right after a run was created, before its request is marked started.
 */
function crashPoint(point: string): void {
  if (process.env.DAGX_CRASH_AT === point) process.kill(process.pid, "SIGKILL");
}

export interface Launcher {
  /** Start what is queued, up to the cap. */
  pump(): Promise<void>;
  /** Sources (schedule/sensor names) with a run in progress. */
  running(source: string): boolean;
  /** Assets being materialized by a run in progress. */
  busyKeys(): Set<string>;
  /** Cancel running runs gracefully and wait for them (at most `ms`). */
  stop(ms: number): Promise<void>;
  readonly active: number;
}

export interface LauncherOptions {
  project: Project;
  store: StateStore;
  maxRuns: number;
  concurrency: number;
  log(line: string): void;
  /** The daemon's clock (epoch ms). */
  now: () => number;
  /**
   * `workers.enqueue` (Postgres state): hand each run to the queue of `dagx worker` processes and
   * follow it to its end (its request's run is recorded as when run here); the abort of `signal`
   * stops following without canceling it. Without it, runs execute in the daemon's process.
   */
  enqueue?: (run: QueuedRunSubmission, signal: AbortSignal) => Promise<RunOutcome>;
}

export function createLauncher(o: LauncherOptions): Launcher {
  const runs = new Map<string, { source: string; keys: Set<string>; controller: AbortController; done: Promise<void> }>();
  let pumping: Promise<void> | null = null;

  /** The request's run exists: it was created before a restart. Record what became of it; never launch it again. */
  const resolveExisting = async (req: RunRequestRecord, run: RunRecord) => {
    const now = o.now();
    if (run.status === "running" && !isRunAlive(run, now)) await o.store.markAbandoned((r) => isRunAlive(r, now), now);
    const status = (await o.store.getRun(run.runId))?.status ?? run.status;
    const reason = status === "abandoned"
      ? `run ${run.runId} was abandoned: the daemon stopped right after starting it; its finished steps stay materialized`
      : `run ${run.runId} was started before the daemon restarted (${status})`;
    await o.store.updateRunRequest(req.requestId, { status: "started", runId: run.runId, reason, updatedAt: now });
    o.log(`${req.kind} ${req.source}: ${reason}; not launched again`);
  };

  const launch = async (req: RunRequestRecord) => {
    const controller = new AbortController();
    let selected: Set<string>;
    try {
      // an empty selection means "everything" to selectAssets: never for a queued request
      if (req.selection.length === 0) throw new Error("the request selects no assets");
      selected = selectAssets(req.selection, o.project.graph);
    } catch (e) {
      return o.store.updateRunRequest(req.requestId, { status: "skipped", reason: (e as Error).message, updatedAt: o.now() });
    }
    let runId = req.runId;
    if (runId === null) {
      // queued by an older dagx: choose the id and record it before the run can exist
      runId = Bun.randomUUIDv7();
      await o.store.updateRunRequest(req.requestId, { runId, updatedAt: o.now() });
    } else {
      const existing = await o.store.getRun(runId);
      if (existing) return resolveExisting(req, existing);
    }
    // the request's config, validated again at launch (definitions may have changed since the tick)
    const done = resolveRunConfig(o.project.graph, selected, req.config ?? {}).then((config) => runMaterialize(o.project, o.store, {
      selectionText: req.selection.join(" "),
      selected,
      stale: false,
      concurrency: o.concurrency,
      dryRun: false,
      trigger: `${req.kind}:${req.source}`,
      signal: controller.signal,
      partitionSelection: req.partitions,
      runId,
      ...(req.tags ? { tags: req.tags } : {}),
      ...(req.asOf !== undefined ? { asOf: req.asOf } : {}),
      config,
      now: o.now,
      ...(o.enqueue ? { submit: (s: QueuedRunSubmission) => o.enqueue!(s, controller.signal) } : {}),
      onRunCreated: (runId) => (crashPoint("run-created"), o.store.updateRunRequest(req.requestId, { status: "started", runId, updatedAt: o.now() })),
    })).then(
      async (r) => {
        if (r.runId === null) await o.store.updateRunRequest(req.requestId, { status: "skipped", reason: "nothing to run", updatedAt: o.now() });
        o.log(`${req.kind} ${req.source}: run ${r.runId ?? "-"} ${r.status}${r.steps.length ? ` (${r.steps.filter((s) => s.status === "success").length}/${r.steps.length} steps)` : ""}`);
      },
      async (e) => {
        o.log(`${req.kind} ${req.source}: run not started: ${(e as Error).message}`);
        await o.store.updateRunRequest(req.requestId, { status: "skipped", reason: (e as Error).message, updatedAt: o.now() }).catch(() => {});
      },
    );
    const entry = { source: req.source, keys: selected, controller, done: done.finally(() => runs.delete(req.requestId)) };
    runs.set(req.requestId, entry);
  };

  const pumpOnce = async () => {
    if (runs.size >= o.maxRuns) return;
    const queued = await o.store.listRunRequests({ status: "requested", limit: o.maxRuns * 4 });
    for (const req of queued) {
      if (runs.size >= o.maxRuns) break;
      if (runs.has(req.requestId)) continue;
      await launch(req);
    }
  };

  return {
    pump() {
      pumping ??= pumpOnce().finally(() => {
        pumping = null;
      });
      return pumping;
    },
    running: (source) => [...runs.values()].some((r) => r.source === source),
    busyKeys: () => new Set([...runs.values()].flatMap((r) => [...r.keys])),
    async stop(ms) {
      for (const r of runs.values()) r.controller.abort();
      await Promise.race([Promise.all([...runs.values()].map((r) => r.done)), Bun.sleep(ms)]);
    },
    get active() {
      return runs.size;
    },
  };
}
