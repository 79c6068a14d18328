/**
 * What the process that observed a change says about incidents, and the deliveries that follow.
 * The run's process reports run and check failures (`alertOnRun`); `dagx daemon` reports freshness
 * and sensor/schedule failures (`createDaemonAlerts`). The state store decides which observations
 * open an incident (one open per subject across every process), so each incident is alerted once,
 * by whoever saw it first. Observing never throws: a failure becomes a warning line.
 */
import { basename } from "node:path";
import {
  type AlertDeliveryRecord, type AlertKind, alertPayload, alertsFor, freshnessObservations, type IncidentObservations, type IncidentRecord,
  type NormalizedAlert, type ObservedTick, runObservations, testAlertPayload, tickObservations,
} from "../../core/alerts/index.ts";
import { DagxError } from "../../core/errors.ts";
import { didYouMean } from "../../core/suggest.ts";
import type { StepResult } from "../../core/execute.ts";
import type { FreshnessResult } from "../../core/freshness.ts";
import { resolveSelection } from "../../core/selection/index.ts";
import type { AlertStore, StateStore } from "../../core/state-store.ts";
import type { CheckResult, EventRecord } from "../../core/types.ts";
import { thrownMessage } from "../../core/user-code.ts";
import type { Project } from "../project/index.ts";
import { projectEnv } from "../secrets/index.ts";
import { alertsOf } from "./config.ts";
import { deliverAlert } from "./deliver.ts";

/** A line for the log of whoever observed (the run's events and stderr, the daemon's log). */
export interface AlertLogLine {
  level: "info" | "warn";
  message: string;
}

/** Test seams of delivery. */
export interface AlertOptions {
  /** Wait between attempts. @default setTimeout */
  sleep?(ms: number): Promise<void>;
}

/** Deliveries at once: enough for a few targets, few enough that a run failing 500 assets does not open 500 connections. */
const PARALLEL_DELIVERIES = 4;

/** Every kind some alert fires on. */
const kindsOf = (alerts: readonly NormalizedAlert[]): Set<AlertKind> => new Set(alerts.flatMap((a) => [...a.on]));

/**
 * After a run is recorded: open incidents for the assets that failed and the checks that failed,
 * resolve those that recovered, and alert on what opened (and on what resolved, for alerts that ask).
 * Returns the lines to log; never throws.
 */
export async function alertOnRun(
  project: Project,
  store: AlertStore,
  run: { runId: string; steps: readonly StepResult[]; checks: readonly CheckResult[]; now: () => number },
  options: AlertOptions = {},
): Promise<AlertLogLine[]> {
  const alerts = alertsOf(project.config);
  if (alerts.length === 0) return [];
  const observed = runObservations({ runId: run.runId, at: run.now(), steps: run.steps, checks: run.checks, kinds: kindsOf(alerts) });
  return observeAndDeliver(project, store, alerts, observed, `run ${run.runId}`, run.now, options);
}

/** What `dagx daemon` uses: a store that notes every recorded tick, the freshness hook, and `flush` once per loop. */
export interface DaemonAlerts {
  /** `store`, noting the ticks recorded through it (the same object when no alert watches sensors or schedules). */
  store: StateStore;
  /** After a freshness evaluation: `previous` states by asset, the new results. */
  freshness(previous: Readonly<Record<string, string>>, results: ReadonlyMap<string, FreshnessResult>): Promise<void>;
  /** Alert on the ticks noted since the last call. */
  flush(): Promise<void>;
}

/** Alerts of the daemon's observations; lines go to `log`. */
export function createDaemonAlerts(project: Project, store: StateStore, o: { now: () => number; log(line: string): void } & AlertOptions): DaemonAlerts {
  const alerts = alertsOf(project.config);
  const kinds = kindsOf(alerts);
  const say = (lines: AlertLogLine[]) => lines.forEach((l) => o.log(l.message));
  const watchesTicks = kinds.has("sensor_failure") || kinds.has("schedule_failure");
  let ticks: ObservedTick[] = [];
  const watched: StateStore = !watchesTicks
    ? store
    : {
        ...store,
        recordTick: async (tick, requests, patch) => {
          const r = await store.recordTick(tick, requests, patch);
          ticks.push({ name: tick.name, kind: tick.kind, status: tick.status, reason: tick.reason });
          return r;
        },
      };
  return {
    store: watched,
    async freshness(previous, results) {
      if (!kinds.has("freshness_overdue")) return;
      say(await observeAndDeliver(project, store, alerts, freshnessObservations({ at: o.now(), previous, results }), "fresh again", o.now, o));
    },
    async flush() {
      if (ticks.length === 0) return;
      const seen = ticks;
      ticks = [];
      say(await observeAndDeliver(project, store, alerts, tickObservations({ at: o.now(), ticks: seen, kinds }), "a successful tick", o.now, o));
    },
  };
}

/**
 * `dagx alerts --test`: send a test payload through each alert named (all when none), with their
 * retries, and report how each went; nothing is recorded. An unknown name is a usage error.
 */
export async function sendTestAlerts(project: Project, names: readonly string[], now: () => number, options: AlertOptions = {}): Promise<AlertDeliveryRecord[]> {
  const alerts = alertsOf(project.config);
  if (alerts.length === 0) throw new DagxError("USAGE", `No alerts to test: dagx.config.ts has no alerts — add alerts: [{ on: "run_failure", webhook: env("SLACK_WEBHOOK_URL") }] (docs/alerts.md)`);
  const known = alerts.map((a) => a.name);
  for (const n of names) if (!known.includes(n)) throw new DagxError("USAGE", `Unknown alert "${n}"${didYouMean(n, known) || ` — the alerts are ${known.map((k) => `"${k}"`).join(", ")}`}`);
  const chosen = names.length ? alerts.filter((a) => names.includes(a.name)) : alerts;
  const deps = { root: project.root, env: projectEnv(project.root), now, sleep: options.sleep, userAgent: "dagx" };
  return inParallel(chosen, PARALLEL_DELIVERIES, (a) => deliverAlert(a, testAlertPayload(a, basename(project.root), now()), deps));
}

async function observeAndDeliver(
  project: Project,
  store: AlertStore,
  alerts: readonly NormalizedAlert[],
  observed: IncidentObservations,
  resolvedBy: string,
  now: () => number,
  options: AlertOptions,
): Promise<AlertLogLine[]> {
  if (observed.open.length + observed.resolve.length === 0) return [];
  const lines: AlertLogLine[] = [];
  try {
    const open = observed.open.map((c) => ({ ...c, incidentId: Bun.randomUUIDv7() }));
    const { opened, resolved } = await store.observeIncidents({ open, resolve: observed.resolve, at: now(), resolvedBy });
    const selected = selections(project, lines);
    const jobs = [
      ...opened.flatMap((i) => alertsFor(i, "opened", alerts, selected).map((a) => ({ i, event: "opened" as const, a }))),
      ...resolved.flatMap((i) => alertsFor(i, "resolved", alerts, selected).map((a) => ({ i, event: "resolved" as const, a }))),
    ];
    const name = basename(project.root);
    const deps = { root: project.root, env: projectEnv(project.root), now, sleep: options.sleep, userAgent: "dagx" };
    const records = await inParallel(jobs, PARALLEL_DELIVERIES, ({ i, event, a }) => deliverAlert(a, alertPayload(i, event, a.name, name), deps));
    await store.recordAlertDeliveries(records);
    jobs.forEach((job, n) => lines.push(deliveryLine(job.i, records[n]!)));
  } catch (e) {
    lines.push({ level: "warn", message: `alerts: cannot record incidents: ${thrownMessage(e)} (no alert was sent for them)` });
  }
  return lines;
}

function deliveryLine(i: IncidentRecord, d: AlertDeliveryRecord): AlertLogLine {
  const what = `${d.event === "resolved" ? "resolved " : ""}${i.kind} of ${i.assetKey ? `"${i.assetKey}"${i.checkName ? ` check "${i.checkName}"` : ""}` : `"${i.instigator}"`}`;
  if (d.status === "sent") return { level: "info", message: `alert "${d.alert}" sent: ${what} (${d.attempts} attempt${d.attempts === 1 ? "" : "s"})` };
  return { level: "warn", message: `alert "${d.alert}" failed: ${what}: ${d.error} (${d.attempts} attempt${d.attempts === 1 ? "" : "s"}; recorded, see \`dagx alerts\`)` };
}

/** Each alert's selection resolved once against the project's graph; one that no longer resolves is said once and matches nothing. */
function selections(project: Project, lines: AlertLogLine[]): (a: NormalizedAlert) => ReadonlySet<string> | null {
  const cache = new Map<string, ReadonlySet<string> | null>();
  return (a) => {
    if (a.select === null) return null;
    if (!cache.has(a.name)) {
      try {
        cache.set(a.name, resolveSelection(a.select, project.graph));
      } catch (e) {
        cache.set(a.name, null);
        lines.push({ level: "warn", message: `alert "${a.name}": its select matches nothing now: ${thrownMessage(e).split("\n")[0]}` });
      }
    }
    return cache.get(a.name) ?? null;
  };
}

/** `fn` over `items`, at most `limit` at once, results in order. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const n = next++;
      out[n] = await fn(items[n]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The log lines of a run's alerts as `log` events of that run (so `dagx logs` and the UI show them), numbered by `nextSeq`. */
export function alertLogEvents(runId: string, lines: readonly AlertLogLine[], nextSeq: () => number, now: () => number): EventRecord[] {
  return lines.map((l) => ({ runId, seq: nextSeq(), at: now(), type: "log", assetKey: null, partitionKey: null, payload: { level: l.level, message: l.message } }));
}
