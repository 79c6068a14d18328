/**
 * `dagx check`: evaluate the checks of selected assets on their current outputs, without
 * materializing. It is recorded as a run (trigger "check") so its results and `check_evaluation`
 * events are traceable with `dagx runs` / `dagx logs` like those of a materialization.
 */
import { hostname } from "node:os";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { isErrorFailure } from "../../core/checks/outcome.ts";
import type { AssetCheck } from "../../core/checks/types.ts";
import { requireOne, resolveAcross } from "../../core/targeting.ts";
import type { CheckResult, EventRecord, EventType, MaterializationRecord, RunStatus } from "../../core/types.ts";
import type { StateStore } from "../../core/state-store.ts";
import { checkEventPayload } from "./check-results.ts";
import { runAssetChecks } from "./checks.ts";
import { keyColumns } from "../tabular/index.ts";
import { enterProjectDir } from "../storage/index.ts";
import { type AssetPartitions, readPartitionState } from "../status/index.ts";
import type { Project } from "../project/index.ts";
import { partitionContext } from "./step-context.ts";
import { type RunCancel, runCancel } from "./cancel-watch.ts";
import { createStateWriter } from "../state/index.ts";
import { projectResources } from "./resources.ts";
import { type CheckConfig, runConfigRecord } from "./run-config.ts";
import { DagxError } from "../../core/errors.ts";
import { alertLogEvents, alertOnRun } from "../alerts/index.ts";

export interface CheckCommandOptions {
  selected: ReadonlySet<string>;
  selectionText: string;
  /** `--partition` / `--partitions` text; partitioned assets default to every materialized partition. */
  partitionSelection: string | null;
  /** The selection came from `--partition KEY`: it must name one partition of each asset. */
  singlePartition: boolean;
  signal: AbortSignal;
  onAssetChecked?(key: string, results: readonly CheckResult[]): void;
  onLog?(key: string, level: string, message: string): void;
  /** The clock (epoch ms). */
  now: () => number;
  /** `--config` / `--config-file`, validated (`resolveCheckConfig`): `ctx.config` of check functions, recorded with the run. */
  config?: CheckConfig;
}

export interface CheckCommandOutcome {
  /** Null when nothing was checked (no checks, or no stored output). */
  runId: string | null;
  status: RunStatus | "nothing";
  results: CheckResult[];
  /** Selected assets that have checks. */
  checked: string[];
  /** Of those, the ones with no stored output (in the partition range) to check. */
  notMaterialized: string[];
  /** Selected assets' `checkSpec()` checks, which only their asset's step reports (not run here): by key, their names. */
  reportedOnly: { key: string; checks: string[] }[];
}

export async function runCheckCommand(project: Project, store: StateStore, o: CheckCommandOptions): Promise<CheckCommandOutcome> {
  const graph = project.graph;
  // a reported check runs here only when its integration can run it alone (a dbt test); others run with their step
  const runsHere = (c: AssetCheck) => c.kind !== "reported" || c.rerun !== undefined;
  const checked = graph.order.filter((k) => o.selected.has(k) && graph.assets.get(k)!.checks.some(runsHere));
  const reportedOnly = graph.order
    .filter((k) => o.selected.has(k))
    .map((k) => ({ key: k, checks: graph.assets.get(k)!.checks.filter((c) => !runsHere(c)).map((c) => c.name) }))
    .filter((r) => r.checks.length > 0);
  const partitioned = checked.filter((k) => graph.assets.get(k)!.partitionsDef);
  const [latest, parts] = await Promise.all([
    store.latestMaterializations(checked, { unpartitioned: true }),
    partitioned.length ? readPartitionState(graph, store, o.now(), partitioned) : Promise.resolve(new Map<string, AssetPartitions>()),
  ]);
  const partitionKeys = partitionsToCheck(parts, o);
  const targets = new Map<string, MaterializationRecord[]>();
  for (const k of checked) {
    const keys = partitionKeys.get(k);
    const records = keys ? (keys.length ? await store.latestPartitionMaterializations(k, keys) : []) : latest.filter((m) => m.assetKey === k);
    if (records.length) targets.set(k, records);
  }
  const notMaterialized = checked.filter((k) => !targets.has(k));
  if (targets.size === 0) return { runId: null, status: "nothing", results: [], checked, notMaterialized, reportedOnly };

  const runId = Bun.randomUUIDv7();
  const t0 = o.now();
  const config = o.config?.values ?? new Map();
  const recordedConfig = runConfigRecord(config, targets.keys());
  await store.createRun({ runId, status: "running", selection: o.selectionText, trigger: "check", pid: process.pid, host: hostname(), startedAt: t0, endedAt: null, heartbeatAt: t0, ...(recordedConfig ? { config: recordedConfig } : {}) });
  // a cancel from another process (`dagx cancel`, the UI) aborts as Ctrl-C does; its poll joins the writer's sessions
  let cancel: RunCancel | null = null;
  const writer = createStateWriter({ write: (b) => store.write(b).then(() => cancel?.afterWrite()), recordCheckResults: (r) => store.recordCheckResults(r) }, { flushMs: 250 });
  let seq = 0;
  const event = (type: EventType, key: string | null, partitionKey: string | null, payload: Record<string, unknown>) => {
    const e: EventRecord = { runId, seq: ++seq, at: o.now(), type, assetKey: key, partitionKey, payload };
    writer.event(e);
  };
  event("run_started", null, null, { selection: o.selectionText, trigger: "check", assets: targets.size });
  cancel = runCancel(store, runId, o.signal, { notice: (message) => {
    event("log", null, null, { level: "warn", message });
    o.onLog?.("dagx", "warn", message);
  } });
  const { signal } = cancel;
  const leaveProjectDir = enterProjectDir(project.storage.root);
  let instance: DuckDBInstance | null = null;
  let conn: DuckDBConnection | null = null;
  const getConn = async () => (conn ??= await (instance ??= await DuckDBInstance.create(":memory:")).connect());
  const results: CheckResult[] = [];
  let status: RunStatus = "failed";
  const resources = projectResources(project);
  try {
    const onLog = (key: string, level: string, message: string) => {
      event("log", key, null, { level, message });
      o.onLog?.(key, level, message);
    };
    const configOf = (key: string): unknown => {
      const why = o.config?.missing.get(key);
      if (why !== undefined) throw new DagxError("RUN_CONFIG", why);
      return config.get(key)?.value;
    };
    const run = { storage: project.storage, runId, ioManagers: project.ioManagers, resources, conn: getConn, now: o.now, onLog, configOf, rerunReported: true };
    for (const [key, records] of targets) {
      if (signal.aborted) break;
      const space = parts.get(key)?.space;
      const list = records.map((record) => ({
        record,
        partition: partitionContext(parts.get(key), record.partitionKey ? [record.partitionKey] : null),
        keyColumns: space && record.partitionKey ? keyColumns(space, record.partitionKey) : null,
      }));
      const got = await runAssetChecks(run, graph.assets.get(key)!, list, signal);
      writer.checkResults(got);
      for (const r of got) event("check_evaluation", r.assetKey, r.partitionKey, checkEventPayload(r));
      results.push(...got);
      o.onAssetChecked?.(key, got);
    }
    status = signal.aborted ? "canceled" : results.some(isErrorFailure) ? "failed" : "success";
  } finally {
    cancel.stop();
    await resources.teardown((message) => event("log", null, null, { level: "warn", message }));
    (conn as DuckDBConnection | null)?.closeSync();
    (instance as DuckDBInstance | null)?.closeSync();
    leaveProjectDir();
    event("run_finished", null, null, { status, durationMs: o.now() - t0 });
    await writer.close();
    await store.updateRun(runId, { status, endedAt: o.now() });
  }
  // check failures of `dagx check` open incidents as a materialization's do (io/alerts), after the run is recorded
  const alertLines = o.signal.aborted ? [] : await alertOnRun(project, store, { runId, steps: [], checks: results, now: o.now });
  for (const l of alertLines) o.onLog?.("dagx", l.level, l.message);
  if (alertLines.length) await store.write({ events: alertLogEvents(runId, alertLines, () => ++seq, o.now) }).catch(() => {});
  return { runId, status, results, checked, notMaterialized, reportedOnly };
}

/** Partition keys to check per partitioned asset: the materialized ones, within the range when given. */
function partitionsToCheck(parts: ReadonlyMap<string, AssetPartitions>, o: CheckCommandOptions): Map<string, string[]> {
  const text = o.partitionSelection;
  const wanted = text === null ? null : resolveAcross(text, parts, { clip: false });
  if (text !== null && o.singlePartition) requireOne(text, wanted!, parts, false);
  return new Map([...parts].map(([key, p]) => [key, [...(wanted ? wanted.get(key)!.intersect(p.materialized) : p.materialized)].map((i) => p.space.keyAt(i))]));
}
