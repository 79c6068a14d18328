/**
 * The long-running loop of `dagx daemon` (and of `dagx dev`): schedules, sensors and declarative
 * automation, evaluated in-process; the runs they ask for go through a persistent queue of run
 * requests (see io/daemon-launcher.ts). Each tick is recorded with its requests and the new
 * lastTickAt / cursor in ONE state transaction, so after kill -9 no tick runs twice and none is
 * lost beyond the schedule's catch-up policy.
 */
import { existsSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  dueTicks,
  MISSED_TICK_REASON,
  normalizeSensorResult,
  overlapDecision,
  runRequestProblem,
  scheduleRunRequest,
  type ScheduleInfo,
  type SelectItem,
  sensorDue,
  type SensorInfo,
} from "../../core/automation/index.ts";
import { DagxError, NotLeaderError, StateStoreError, UserCodeError } from "../../core/errors.ts";
import { callUserCode, thrownMessage } from "../../core/user-code.ts";
import { projectResources, type ResourcePool } from "../run/index.ts";
import type { InstigatorState, TickRecord } from "../../core/types.ts";
import type { StateStore } from "../../core/state-store.ts";
import type { DaemonElection, DaemonStatus, Leadership } from "../state/index.ts";
import { openFileLock } from "../storage/index.ts";
import { croner } from "./cron.ts";
import { AUTOMATION, evaluateProjectAutomation } from "./automation.ts";
import { readAssetState } from "../status/index.ts";
import { projectFreshness } from "../status/index.ts";

/** Name of the freshness evaluator in state (its ticks are the transitions). */
export const FRESHNESS = "freshness";
import { createLauncher, type LauncherOptions } from "./launcher.ts";
import { createDaemonAlerts, type DaemonAlerts } from "../alerts/index.ts";
import { invalidSensorReason, newRunRequest, sensorRequests, spacesAt } from "./requests.ts";
import { selectionResolver } from "../../core/instigators.ts";
import type { Project } from "../project/index.ts";
import { resolveRunConfig } from "../run/index.ts";

export interface DaemonOptions {
  project: Project;
  store: StateStore;
  signal: AbortSignal;
  log(line: string): void;
  /** Clock (tests inject one). @default Date.now */
  now?: () => number;
  /** Loop period. @default 1000 */
  tickMs?: number;
  /** Automation evaluation period. @default 30_000 */
  automationMs?: number;
  /** Freshness evaluation period (transitions are recorded as ticks of "freshness"). @default 10_000 */
  freshnessMs?: number;
  /** Most requests per automation evaluation. @default 50 */
  maxAutomationRequests?: number;
  /** Runs at once. @default 2 */
  maxRuns?: number;
  /** Steps at once inside a run. */
  concurrency: number;
  /** `workers.enqueue`: runs go to the workers' queue (io/daemon/launcher.ts `enqueue`). */
  enqueue?: LauncherOptions["enqueue"];
  /**
   * The deployment's election (Postgres state): the daemon stands by until elected, ticks only
   * while it leads (each tick fenced by its term), and stands by again when it loses the lead.
   * Without one (DuckDB state) it ticks from the start, alone by the project's file lock.
   */
  election?: DaemonElection;
}

/** Hold the project's daemon lock (one daemon per project), or throw naming the holder. */
export async function lockDaemon(project: Project): Promise<() => void> {
  // a project never materialized has no .dagx yet (the state store creates it lazily)
  mkdirSync(project.storage.dagxDir, { recursive: true, mode: 0o700 });
  const lock = await openFileLock(join(project.storage.dagxDir, "daemon.lock"));
  if (!lock) return () => {};
  if (!lock.tryLock()) {
    throw new DagxError("USAGE", `Another dagx daemon (pid ${lock.holderPid() ?? "?"}) already runs schedules and sensors for this project: stop it first, or run \`dagx materialize\` for one-off runs`);
  }
  return () => lock.unlock();
}

/** Who runs the daemon of a project on the DuckDB state: the holder of its file lock, if any. */
export async function fileLockDaemonStatus(project: Project): Promise<DaemonStatus> {
  const none: DaemonStatus = { election: "file-lock", leader: null, standbys: [], timeoutMs: null };
  if (!existsSync(join(project.storage.dagxDir, "daemon.lock"))) return none;
  const lock = await openFileLock(join(project.storage.dagxDir, "daemon.lock"));
  if (!lock) return none;
  if (lock.tryLock()) {
    lock.unlock();
    return none;
  }
  return { ...none, leader: { host: hostname(), pid: lock.holderPid() ?? 0, since: null, lastBeatAt: null, term: null, stale: false } };
}

/**
 * Run until `signal` aborts; then stop starting runs, cancel running ones gracefully, return.
 * With an election: stand by, lead while elected, stand by again when the lead is lost.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { election } = options;
  if (!election) return lead(options, null);
  try {
    while (!options.signal.aborted) {
      const leadership = await election.campaign(options.signal);
      if (!leadership) break;
      try {
        await lead({ ...options, signal: AbortSignal.any([options.signal, leadership.lost]) }, leadership);
      } catch (e) {
        // the state became unreachable right after the election (say, Postgres restarting): stand by again
        if (!(e instanceof StateStoreError)) throw e;
        options.log(`daemon: ${e.message}; standing by`);
      } finally {
        await leadership.resign();
      }
    }
  } finally {
    await election.close();
  }
}

/** The store a leader ticks through: each tick commits only under its term, and only while it leads. */
function fencedStore(store: StateStore, leadership: Leadership): StateStore {
  const lapsed = () => new NotLeaderError(`Tick refused: this daemon's leadership (term ${leadership.term}) lapsed before the tick was committed`);
  return new Proxy(store, {
    get(target, prop, receiver) {
      // a sensor's new partitions are written just before its tick: not by a daemon that lost the lead
      if (prop === "addDynamicPartitions") {
        const add: StateStore["addDynamicPartitions"] = (...args) => (leadership.holds() ? target.addDynamicPartitions(...args) : Promise.reject(lapsed()));
        return add;
      }
      if (prop !== "recordTick") return Reflect.get(target, prop, receiver);
      const recordTick: StateStore["recordTick"] = (tick, requests, patch) =>
        leadership.holds()
          ? target.recordTick(tick, requests, patch, { term: leadership.term })
          : Promise.reject(lapsed());
      return recordTick;
    },
  });
}

/** Tick schedules, sensors and automation and launch their runs until `signal` aborts (or the lead is lost). */
async function lead(options: DaemonOptions, leadership: Leadership | null): Promise<void> {
  if (leadership) options = { ...options, store: fencedStore(options.store, leadership) };
  const now = options.now ?? Date.now;
  // alerts watch the ticks recorded through this store (sensor and schedule failures) and freshness
  const alerts = createDaemonAlerts(options.project, options.store, { now, log: options.log });
  const o = { ...options, store: alerts.store };
  const { schedules, sensors, automation, freshness } = o.project.instigators;
  const launcher = createLauncher({ project: o.project, store: o.store, maxRuns: o.maxRuns ?? 2, concurrency: o.concurrency, log: o.log, now, ...(o.enqueue ? { enqueue: o.enqueue } : {}) });
  const resolve = selectionResolver(o.project.graph);
  // the sensors' resources: set up on the first tick that needs each, kept for the daemon's life
  const resources = projectResources(o.project);
  const t0 = now();
  const base = (name: string, kind: InstigatorState["kind"]): InstigatorState => ({ name, kind, status: "running", createdAt: t0, lastTickAt: null, cursor: null, data: {}, updatedAt: t0 });
  await o.store.ensureInstigators([
    ...schedules.map((s) => base(s.name, "schedule")),
    ...sensors.map((s) => base(s.name, "sensor")),
    ...(automation.size ? [base(AUTOMATION, "automation")] : []),
    ...(freshness.size ? [base(FRESHNESS, "automation")] : []),
  ]);
  o.log(`daemon started: ${schedules.length} schedule(s), ${sensors.length} sensor(s), ${automation.size} automated asset(s)`);
  let lastAutomation = 0;
  /** Schedules evaluated by this process: ticks they miss later were missed by a late loop, not downtime. */
  const evaluated = new Set<string>();
  let lastFreshness = 0;
  while (!o.signal.aborted) {
    const started = now();
    try {
      const states = new Map((await o.store.listInstigators()).map((s) => [s.name, s]));
      for (const s of schedules) {
        const st = states.get(s.name);
        if (st?.status !== "running") continue;
        await tickSchedule(o, s, st, now(), launcher.running(s.name), resolve, evaluated.has(s.name));
        evaluated.add(s.name);
      }
      for (const s of sensors) {
        const st = states.get(s.name);
        if (st?.status === "running" && sensorDue(st, s, now())) await tickSensor(o, s, st, now(), resolve, resources);
      }
      const auto = states.get(AUTOMATION);
      if (automation.size && auto?.status === "running" && now() - lastAutomation >= (o.automationMs ?? 30_000)) {
        lastAutomation = now();
        // in progress: what runs, and what is queued to run (a schedule's run requested this very loop)
        const queued = await o.store.listRunRequests({ status: "requested" });
        await tickAutomation(o, auto, new Set([...launcher.busyKeys(), ...queued.flatMap((r) => r.selection)]), now());
      }
      const fr = states.get(FRESHNESS);
      if (freshness.size && fr && now() - lastFreshness >= (o.freshnessMs ?? 10_000)) {
        lastFreshness = now();
        await tickFreshness(o, fr, now(), alerts);
      }
      await alerts.flush();
      // a daemon that lost the lead starts no run (the new leader launches what is queued)
      if (!leadership || leadership.holds()) await launcher.pump();
    } catch (e) {
      if (e instanceof NotLeaderError || leadership?.lost.aborted) {
        o.log(`daemon: ${(e as Error).message}; standing by`);
        break;
      }
      o.log(`daemon: evaluation failed, retrying next tick: ${(e as Error).message}`);
    }
    const wait = Math.max(10, (o.tickMs ?? 1000) - (now() - started));
    await new Promise<void>((r) => {
      // the listener goes with the wait: one left per loop would pile up over a daemon's life
      const done = () => {
        clearTimeout(t);
        o.signal.removeEventListener("abort", done);
        r();
      };
      const t = setTimeout(done, wait);
      o.signal.addEventListener("abort", done, { once: true });
    });
  }
  o.log(`daemon ${leadership?.lost.aborted ? "lost the lead" : "stopping"}: canceling ${launcher.active} run(s) in progress`);
  await launcher.stop(5000);
  await resources.teardown((message) => o.log(`daemon: ${message}`));
}

/** Why ticks were missed while this daemon was running: its loop came round late (busy, or a loaded machine). */
const LATE_TICK_REASON = "missed while the daemon loop ran late";

async function tickSchedule(o: DaemonOptions, s: ScheduleInfo, st: InstigatorState, now: number, running: boolean, resolve: (i: readonly SelectItem[]) => string[], wasRunning: boolean): Promise<void> {
  const due = dueTicks({ createdAt: st.createdAt, lastTickAt: st.lastTickAt }, s, now, croner);
  if (due.latest === null) return;
  const tick = (tickAt: number, status: TickRecord["status"], reason: string | null): TickRecord => ({ name: s.name, kind: "schedule", tickAt, evaluatedAt: now, status, reason, requestIds: [] });
  if (due.missed.length) {
    // one record for the missed ticks; when none runs (catchUp "none"), the latest is among them
    const n = due.missed.length + (due.omitted ?? 0);
    const last = due.missed[due.missed.length - 1]!;
    const why = wasRunning ? LATE_TICK_REASON : MISSED_TICK_REASON;
    const reason = n === 1 ? why : `${n} tick(s) ${why} (${new Date(due.missed[0]!).toISOString()} … ${new Date(last).toISOString()})`;
    await o.store.recordTick(tick(last, "skipped", reason), [], due.runs.length === 0 ? { lastTickAt: due.latest, updatedAt: now } : {});
    o.log(`schedule ${s.name}: ${n} tick(s) ${why}${due.runs.length ? ", running the latest" : ""}`);
  }
  if (due.runs.length === 0) return;
  const decision = overlapDecision(s, running);
  if (!decision.launch) {
    await o.store.recordTick(tick(due.latest, "skipped", decision.reason ?? "previous run still running"), [], { lastTickAt: due.latest, updatedAt: now });
    o.log(`schedule ${s.name}: tick ${new Date(due.latest).toISOString()} skipped: ${decision.reason}`);
    return;
  }
  const spaces = await spacesAt(o.project, o.store);
  for (const t of due.runs) {
    const rr = scheduleRunRequest(s, t);
    const keys = resolve(rr.select);
    const lastTickAt = t === due.runs[due.runs.length - 1] ? due.latest : t;
    // checked against the partitions as they were at the tick: a request that cannot run fails its tick now, not at launch
    const problem = runRequestProblem({ keys, partitions: rr.partitions }, spaces(t)) ?? (rr.config ? await resolveRunConfig(o.project.graph, new Set(keys), rr.config).then(() => null, (e: Error) => `config: ${e.message}`) : null);
    if (problem) {
      const reason = `Invalid run request of schedule "${s.name}": ${problem}`;
      await o.store.recordTick(tick(t, "failed", reason), [], { lastTickAt, updatedAt: now });
      o.log(`schedule ${s.name}: tick ${new Date(t).toISOString()} failed: ${reason}`);
      continue;
    }
    const req = newRunRequest({ source: s.name, kind: "schedule", keys, partitions: rr.partitions, runKey: rr.runKey, reason: `tick ${new Date(t).toISOString()}`, tags: rr.tags, asOf: rr.asOf, ...(rr.config ? { config: rr.config } : {}) }, now);
    const r = await o.store.recordTick({ ...tick(t, "requested", null), requestIds: [req.requestId] }, [req], { lastTickAt, updatedAt: now });
    o.log(`schedule ${s.name}: tick ${new Date(t).toISOString()} ${r.created.length ? "requested a run" : "already requested (run key)"}`);
  }
}

async function tickSensor(o: DaemonOptions, s: SensorInfo, st: InstigatorState, now: number, resolve: (i: readonly SelectItem[]) => string[], pool: ResourcePool): Promise<void> {
  const tick = (status: TickRecord["status"], reason: string | null, ids: string[] = []): TickRecord => ({ name: s.name, kind: "sensor", tickAt: now, evaluatedAt: now, status, reason, requestIds: ids });
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), s.timeoutMs);
  const onStop = () => timeout.abort();
  o.signal.addEventListener("abort", onStop, { once: true });
  let raw: unknown;
  try {
    const log = (level: string) => (...args: unknown[]) => o.log(`sensor ${s.name} ${level}: ${args.map(String).join(" ")}`);
    const logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
    const resources = await pool.acquire(s.def.options.resources, `Sensor "${s.name}"`, logger);
    const ctx = { name: s.name, cursor: st.cursor, lastTickAt: st.lastTickAt === null ? null : new Date(st.lastTickAt), now: new Date(now), signal: timeout.signal, log: logger, resources };
    const site = { root: o.project.root, definedAt: s.location, what: `Sensor "${s.name}"` };
    raw = await Promise.race([
      Promise.resolve().then(() => callUserCode(site, () => s.def.fn(ctx))),
      new Promise((_, reject) => timeout.signal.addEventListener("abort", () => reject(new Error(o.signal.aborted ? "daemon stopping" : `timed out after ${s.timeoutMs} ms`)), { once: true })),
    ]);
  } catch (e) {
    // the tick keeps the sensor's own words; the log line adds where it threw
    await o.store.recordTick(tick("failed", `sensor threw: ${thrownMessage(e)}`), [], { lastTickAt: now, updatedAt: now });
    o.log(`sensor ${s.name}: tick failed: ${thrownMessage(e)}${e instanceof UserCodeError && e.location ? ` (at ${e.location})` : ""}`);
    return;
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener("abort", onStop);
  }
  const res = normalizeSensorResult(raw, s);
  if (!res.ok) {
    await o.store.recordTick(tick("failed", res.error), [], { lastTickAt: now, updatedAt: now });
    o.log(`sensor ${s.name}: tick failed: ${res.error}`);
    return;
  }
  // everything is checked before anything is stored: an invalid request fails the tick and the cursor stays
  const { requests, problems } = await sensorRequests(o.project, o.store, s.name, res, resolve, now);
  if (problems.length) {
    const reason = invalidSensorReason(s.name, problems);
    await o.store.recordTick(tick("failed", reason), [], { lastTickAt: now, updatedAt: now });
    o.log(`sensor ${s.name}: tick failed: ${reason}`);
    return;
  }
  for (const p of res.addPartitions) await o.store.addDynamicPartitions(p.name, p.keys, now);
  const status = requests.length ? "requested" : "skipped";
  const patch = { lastTickAt: now, updatedAt: now, ...(res.cursor !== undefined ? { cursor: res.cursor } : {}) };
  const r = await o.store.recordTick(tick(status, res.skipReason ?? (requests.length ? null : "no run requests"), requests.map((x) => x.requestId)), requests, patch);
  if (requests.length) o.log(`sensor ${s.name}: ${r.created.length} run(s) requested${r.duplicates.length ? `, ${r.duplicates.length} skipped (run key already used)` : ""}`);
}

async function tickAutomation(o: DaemonOptions, st: InstigatorState, busy: ReadonlySet<string>, now: number): Promise<void> {
  const max = o.maxAutomationRequests ?? 50;
  const { result, requests: all, data } = await evaluateProjectAutomation(o.project, o.store, st, busy, now, max);
  // each request is checked on its own: one that cannot run is left out (and said so), the others are queued
  const spaces = (await spacesAt(o.project, o.store))(now);
  const invalid: string[] = [];
  const requests = all.filter((r) => {
    const problem = runRequestProblem({ keys: r.selection, partitions: r.partitions }, spaces);
    if (problem) invalid.push(`${r.selection.join(", ")}: ${problem}`);
    return problem === null;
  });
  const notes = [
    ...(result.capped ? [`capped at ${max} request(s): ${result.leftOut} left for the next evaluation`] : []),
    ...(invalid.length ? [`invalid run request(s) left out: ${invalid.join("; ")}`] : []),
  ];
  const reason = notes.length ? notes.join("; ") : requests.length ? null : "nothing to do";
  const status = requests.length ? "requested" : invalid.length ? "failed" : "skipped";
  await o.store.recordTick({ name: AUTOMATION, kind: "automation", tickAt: now, evaluatedAt: now, status, reason, requestIds: requests.map((r) => r.requestId) }, requests, { lastTickAt: now, data: data as Record<string, unknown>, updatedAt: now });
  if (result.capped) o.log(`automation: capped at ${max} request(s): ${result.leftOut} left for the next evaluation — a guard against surprise mass runs; raise it with --max-automation-requests`);
  for (const x of invalid) o.log(`automation: invalid run request left out: ${x}`);
  for (const r of requests) o.log(`automation: requested ${r.selection.join(", ")}${r.partitions ? ` [${r.partitions}]` : ""}: ${r.reason}`);
}

/** Record freshness transitions (fresh → late → overdue and back) as ticks, and log them. */
async function tickFreshness(o: DaemonOptions, st: InstigatorState, now: number, alerts: DaemonAlerts): Promise<void> {
  const assetState = await readAssetState(o.project.graph, o.project.storage, o.store, { now, perPartition: false });
  const results = projectFreshness(o.project, assetState, now);
  const previous = (st.data.states ?? {}) as Record<string, string>;
  const states: Record<string, string> = {};
  const changes: string[] = [];
  for (const [key, r] of results) {
    states[key] = r.state;
    if (previous[key] !== undefined && previous[key] !== r.state) changes.push(`${key}: ${previous[key]} → ${r.state} (${r.reason})`);
    else if (previous[key] === undefined && r.state !== "fresh") changes.push(`${key}: ${r.state} (${r.reason})`);
  }
  if (!changes.length && Object.keys(previous).length === Object.keys(states).length) return;
  await o.store.recordTick({ name: FRESHNESS, kind: "automation", tickAt: now, evaluatedAt: now, status: changes.length ? "success" : "skipped", reason: changes.join("; ") || null, requestIds: [] }, [], { lastTickAt: now, data: { states }, updatedAt: now });
  for (const c of changes) o.log(`freshness ${c}`);
  await alerts.freshness(previous, results);
}
