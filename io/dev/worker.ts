/**
 * The worker side of `dagx dev`: a fresh process per reload (so edits to helper modules take
 * effect — Bun caches imported modules for the life of a process). It starts warm (runtime,
 * dagx and DuckDB loaded, no user code), then on request loads the project, reports the graph,
 * and runs either a materialization or the daemon loop until told to cancel.
 */
import { DagxError } from "../../core/errors.ts";
import { redactor } from "../secrets/index.ts";
import { lockDaemon, runDaemon } from "../daemon/index.ts";
import { type DevStatus, readDevStatus } from "./status.ts";
import type { StateStore } from "../../core/state-store.ts";
import { readRunConfigInput, resolveRunConfig, runMaterialize } from "../run/index.ts";
import { loadErrorsBefore } from "../../core/load-errors.ts";
import { adoptCodeVersions, loadProject, openStateAt, type Project, stateUrlAt } from "../project/index.ts";
import { createDaemonElection } from "../state/index.ts";
import { hostname } from "node:os";

/** The worker is a process entry: it reads the wall clock here and passes it down. */
const wallClock = (): number => Date.now();

/** `dagx dev --config … --config-file …`: applied to each dev materialization (see `devRunConfig`). */
export interface DevRunConfig {
  args: string[];
  /** Absolute, or relative to `cwd`. */
  file: string | null;
  cwd: string;
}

export type ToWorker =
  /** Load the definitions; with `config`, say at once what is wrong with it (each run validates it again). */
  | { type: "load"; config?: DevRunConfig }
  /** Run `keys` with `--stale` (none: no run), then report the status of `touched` (the assets the save touched). */
  | { type: "materialize"; keys: string[]; touched: string[]; concurrency: number; config?: DevRunConfig }
  | { type: "daemon"; automationMs: number; concurrency: number; maxRuns: number }
  | { type: "cancel" };

export interface GraphSummary {
  assets: { key: string; codeVersion: string; deps: string[]; partitioned: boolean }[];
  /** Files that failed to load, then what is left out because of them (`consequence`). */
  errors: { message: string; frame?: string; consequence?: boolean }[];
  schedules: number;
  sensors: number;
  /** Assets with an automation condition. */
  automation: number;
}

export type FromWorker =
  | { type: "ready" }
  | { type: "graph"; graph: GraphSummary }
  | { type: "load-error"; message: string; frame?: string; loadErrors?: GraphSummary["errors"] }
  | { type: "step-started"; key: string; at: number }
  | { type: "done"; status: string; runId: string | null; report?: DevStatus }
  | { type: "log"; line: string };

/**
 * The config of one dev materialization: `dagx dev --config/--config-file`, read now (so an edited
 * file counts from the next save) and validated as `materialize` validates it, for the assets this
 * run selects — given config of an asset the run leaves out is kept for a later run, not an error; an
 * unknown asset or field, or a value the schema refuses, fails the run (RUN_CONFIG) and dev goes on
 * watching.
 */
async function devRunConfig(project: Project, selected: ReadonlySet<string>, flags: DevRunConfig | undefined, onlyGiven = false) {
  const given = readRunConfigInput(project.graph, { args: flags?.args ?? [], file: flags?.file ?? null, cwd: flags?.cwd ?? project.root });
  const input = Object.fromEntries(Object.entries(given.input).filter(([key]) => selected.has(key) || !project.graph.assets.has(key)));
  // onlyGiven: the assets the config names (a required field of another asset is not this check's business)
  const targets = onlyGiven ? new Set(Object.keys(input).filter((k) => project.graph.assets.has(k))) : selected;
  return resolveRunConfig(project.graph, targets, input, given.problems);
}

/**
 * Run the worker protocol over Bun's IPC channel (`process.send` / "message" events) until
 * `stop` aborts (the supervisor's SIGTERM, a Ctrl-C) or the supervisor goes away. Returns the
 * exit code; 130 when a canceled step did not end within 10 s.
 */
export async function runDevWorker(root: string, stop: AbortSignal): Promise<number> {
  const send = (m: FromWorker) => {
    try {
      // what the supervisor prints: the worker's secrets are hidden before they leave it
      process.send?.(redactor.value(m));
    } catch {
      // the supervisor is gone: "disconnect" stops this worker
    }
  };
  let project: Project | null = null;
  /** A materialization or the daemon loop runs: it ends this worker when canceled; an idle worker ends at once. */
  let working = false;
  const controller = new AbortController();
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((r) => (finish = r));
  // the project's state (its file or Postgres), chosen from the config alone while the project loads
  const opening = openStateAt(root);
  opening.catch(() => {}); // reported by the load
  let store: StateStore = null as unknown as StateStore; // set by "load", which every other message follows
  // warm the state store while idle (host DuckDB instance, file gate, schema check), so the first
  // run after a save pays only its own session (bench/dev-latency: state reads + createRun 64–132 → 42–51 ms)
  void opening.then((s) => s.getRun("")).catch(() => {});

  process.on("message", async (m: ToWorker) => {
    try {
      if (m.type === "cancel") {
        controller.abort();
        if (!working) finish(0);
        return;
      }
      if (m.type === "load") {
        try {
          project = await loadProject(root, { exactRoot: true, now: () => performance.now() });
          store = await opening;
          await adoptCodeVersions(project, store, wallClock()).catch(() => {}); // a state file in use elsewhere: next load
        } catch (e) {
          const loadErrors = loadErrorsBefore(e).map((le) => ({ message: le.message, frame: le.frame, consequence: le.consequence }));
          send({ type: "load-error", message: (e as Error).message, loadErrors });
          return finish(2);
        }
        const g = project.graph;
        send({
          type: "graph",
          graph: {
            assets: g.order.map((k) => ({ key: k, codeVersion: g.assets.get(k)!.codeVersion, deps: [...(g.upstream.get(k) ?? [])], partitioned: g.assets.get(k)!.partitioned })),
            errors: g.errors.map((e) => ({ message: e.message, frame: e.frame, consequence: e.consequence })),
            schedules: project.instigators.schedules.length,
            sensors: project.instigators.sensors.length,
            automation: project.instigators.automation.size,
          },
        });
        if (m.config && (m.config.args.length > 0 || m.config.file !== null)) {
          // every asset the config names, validated now: a typo shows at start, not at the first save
          await devRunConfig(project, new Set(project.graph.assets.keys()), m.config, true).catch((e: Error) => send({ type: "log", line: `✗ ${e.message}` }));
        }
        return;
      }
      if (!project) throw new Error("worker: load first");
      if (m.type === "materialize") {
        working = true;
        const config = m.keys.length === 0 ? undefined : await devRunConfig(project, new Set(m.keys), m.config);
        const r = m.keys.length === 0 ? { status: "nothing", runId: null } : await runMaterialize(project, store, {
          config,
          selectionText: m.keys.join(" "),
          selected: new Set(m.keys),
          stale: true,
          concurrency: m.concurrency,
          dryRun: false,
          trigger: "dev",
          now: wallClock,
          signal: controller.signal,
          reporter: {
            onStepStart: (s) => send({ type: "step-started", key: s.key, at: wallClock() }),
            onStepEnd: (s, res) =>
              send({ type: "log", line: res.status === "failed" ? `✗ ${s.key} failed: ${res.error}` : res.status === "success" ? `✓ ${s.key}${res.rows !== null ? ` ${res.rows} rows` : ""} ${Math.round(res.durationMs)}ms` : `- ${s.key} ${res.status}${res.status === "skipped" ? `: ${res.reason}` : ""}` }),
            onLog: (key, level, message) => send({ type: "log", line: `  ${key} │ ${level} ${message}` }),
          },
        });
        // what is still behind after the run, from the same status code as `dagx status` (skipped when canceled: a new plan comes)
        const report = m.touched.length && !controller.signal.aborted ? await readDevStatus(project, store, m.touched, wallClock()) : undefined;
        send({ type: "done", status: r.status, runId: r.runId, report });
        return finish(0);
      }
      if (m.type === "daemon") {
        working = true;
        const log = (line: string) => send({ type: "log", line });
        // a Postgres state: this session joins the deployment's election like any `dagx daemon` (it
        // ticks only when elected); the DuckDB file: one daemon per project, `dagx daemon` (or another
        // `dagx dev`) running here keeps this one off
        const url = await stateUrlAt(root);
        let unlock: () => void = () => {};
        if (url === null) {
          try {
            unlock = await lockDaemon(project);
          } catch (e) {
            send({ type: "log", line: `schedules, sensors and automation are not run by this dev session: ${(e as Error).message}` });
            return finish(0);
          }
        }
        try {
          const election = url === null ? undefined : createDaemonElection(url, { host: hostname(), pid: process.pid, log });
          await runDaemon({ project, store, signal: controller.signal, log, automationMs: m.automationMs, concurrency: m.concurrency, maxRuns: m.maxRuns, ...(election ? { election } : {}) });
        } finally {
          unlock();
        }
        return finish(0);
      }
    } catch (e) {
      send({ type: "log", line: `✗ ${(e as Error).message}` });
      send({ type: "done", status: "error", runId: null });
      finish(e instanceof DagxError ? e.exitCode : 1);
    }
  });
  // stop when told to, and when the supervisor is gone (killed with -9, the IPC channel closes):
  // a worker must never outlive `dagx dev`, least of all one running schedules and sensors
  let overdue = false;
  const onStop = () => {
    controller.abort();
    if (!working) finish(0);
    setTimeout(() => {
      overdue = true;
      finish(130);
    }, 10_000).unref();
  };
  if (stop.aborted) onStop();
  else stop.addEventListener("abort", onStop, { once: true });
  process.on("disconnect", onStop);
  send({ type: "ready" });
  const code = await finished;
  // a step that ignores its signal may still hold the store: leave it to the process exit
  if (!overdue) await (await opening.catch(() => null))?.close();
  return code;
}
