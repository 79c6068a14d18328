/**
 * `dagx dev`: watch the project, reload definitions in a fresh worker process on every save
 * (bursts debounced), print what changed in the graph, and re-materialize the changed assets and
 * their downstream (`--stale`, so unchanged outputs cut off early). A run in progress when a save
 * arrives is canceled gracefully and re-planned. A broken file shows its error while the last good
 * graph stays loaded. Schedules, sensors and automation run in a daemon worker, restarted on reload.
 * One worker is always pre-spawned and warm, which keeps save → first step fast.
 */
import { type Subprocess, spawn } from "bun";
import { watch } from "chokidar";
import { existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { formatPartitionsBehind } from "./status.ts";
import { startUiChild } from "./ui-child.ts";
import type { DevRunConfig, FromWorker, GraphSummary, ToWorker } from "./worker.ts";

export interface DevOptions {
  root: string;
  materialize: boolean;
  daemon: boolean;
  debounceMs: number;
  concurrency: number;
  automationMs: number;
  maxRuns: number;
  signal: AbortSignal;
  say(line: string): void;
  /** Paint helpers (the CLI passes picocolors). */
  paint: { red(s: string): string; green(s: string): string; yellow(s: string): string; dim(s: string): string; bold(s: string): string };
  /** Called once the first graph is loaded and watching started (tests and benches wait on it). */
  onReady?(): void;
  /**
   * `--config` / `--config-file` of dev's materializations: read and validated by the worker for each
   * run against the definitions it loaded (a config file edited between saves is read again).
   */
  config?: DevRunConfig;
  /** Serve the web UI from a child `dagx ui` on this port (`portGiven`: the user chose it); null: `--no-ui`. */
  ui?: { port: number; portGiven: boolean } | null;
}

interface Worker {
  proc: Subprocess;
  ready: Promise<void>;
  next(): Promise<FromWorker>;
  send(m: ToWorker): void;
  exited: Promise<number>;
}

/**
 * A file dbt parses (a model's .yml, a seed's .csv, a Python model, docs) inside a dbt project
 * folder (one holding dbt_project.yml) under `root`: saving it reloads, as `dbt parse` then runs
 * again (its cache hash changed). `.sql` files are watched anywhere already.
 */
export function isDbtFile(root: string, file: string): boolean {
  if (!/\.(yml|yaml|csv|py|md|jinja)$/.test(file)) return false;
  for (let dir = dirname(file); dir.startsWith(root) && dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "dbt_project.yml"))) return true;
    if (dir === root) break;
  }
  return false;
}

const SKIP = /(^|[/\\])(node_modules|\.dagx|dist|\.[^/\\]+)([/\\]|$)/;

/** Command that starts a worker: the compiled binary itself, or bun + the CLI entry from source. */
function workerCommand(root: string): string[] {
  // from source, Bun must not load the cwd's .env: dagx reads the project's (io/secrets/dotenv.ts)
  const entry = Bun.main.startsWith("/$bunfs") ? [] : ["--no-env-file", Bun.main];
  return [process.execPath, ...entry, "__worker", "-C", root];
}

function startWorker(root: string, onLog: (m: FromWorker) => void): Worker {
  const queue: FromWorker[] = [];
  const waiters: ((m: FromWorker) => void)[] = [];
  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((r) => (readyResolve = r));
  const proc = spawn(workerCommand(root), {
    stdio: ["ignore", "inherit", "inherit"],
    ipc(message: FromWorker) {
      if (message.type === "ready") return readyResolve();
      if (message.type === "log" || message.type === "step-started") return onLog(message);
      const w = waiters.shift();
      if (w) w(message);
      else queue.push(message);
    },
  });
  return {
    proc,
    ready,
    next: () => new Promise<FromWorker>((resolve) => {
      const m = queue.shift();
      if (m) resolve(m);
      else waiters.push(resolve);
      proc.exited.then(() => resolve({ type: "done", status: "exited", runId: null }));
    }),
    send: (m) => proc.send(m),
    exited: proc.exited,
  };
}

/** What changed between two graphs. */
export function diffGraphs(before: GraphSummary | null, after: GraphSummary): { added: string[]; removed: string[]; changed: string[] } {
  const old = new Map((before?.assets ?? []).map((a) => [a.key, a]));
  const now = new Map(after.assets.map((a) => [a.key, a]));
  const added = [...now.keys()].filter((k) => !old.has(k));
  const removed = [...old.keys()].filter((k) => !now.has(k));
  const changed = [...now.values()].filter((a) => {
    const o = old.get(a.key);
    return o && (o.codeVersion !== a.codeVersion || o.deps.join() !== a.deps.join());
  }).map((a) => a.key);
  return { added, removed, changed };
}

/** The changed/added assets and everything downstream, in graph order; `dev` re-materializes the unpartitioned ones. */
export function downstreamOf(graph: GraphSummary, keys: readonly string[]): string[] {
  const down = new Map<string, string[]>();
  for (const a of graph.assets) for (const d of a.deps) (down.get(d) ?? down.set(d, []).get(d)!).push(a.key);
  const seen = new Set<string>();
  const queue = [...keys];
  while (queue.length) {
    const k = queue.shift()!;
    if (seen.has(k)) continue;
    seen.add(k);
    queue.push(...(down.get(k) ?? []));
  }
  return graph.assets.filter((a) => seen.has(a.key)).map((a) => a.key);
}

/** The lines after a reload's run: partitions behind (with their command), then whether all is up to date — true to `dagx status`. */
function doneLines(done: Extract<FromWorker, { type: "done" }>, materialize: boolean, p: DevOptions["paint"]): string[] {
  const lines = (done.report?.partitions ?? []).map((b) => p.yellow(formatPartitionsBehind(b)));
  const behind = done.report?.notFresh ?? [];
  const fix = done.report?.partitions.length ? ` — run the command${done.report.partitions.length > 1 ? "s" : ""} above` : "";
  if (!materialize) {
    if (behind.length) lines.push(p.yellow(`stale: ${behind.join(", ")} (--no-materialize)`));
  } else if (done.status === "success") {
    lines.push(behind.length ? p.yellow(`✔ run ${done.runId} success; not up to date yet: ${behind.join(", ")}${fix}`) : p.green(`✔ up to date (run ${done.runId})`));
  } else if (done.status === "nothing") {
    lines.push(behind.length ? p.yellow(`not up to date: ${behind.join(", ")}${fix}`) : p.dim("nothing stale"));
  } else lines.push(p.yellow(`run ${done.runId ?? ""} ${done.status}`));
  return lines;
}

export async function runDev(o: DevOptions): Promise<void> {
  const { paint: p } = o;
  const log = (m: FromWorker) => {
    if (m.type === "log") o.say(m.line);
    else if (m.type === "step-started") o.say(p.dim(`▶ ${m.key}`));
  };
  let warm = startWorker(o.root, log);
  // the UI starts beside the first load (its own process: it loads the definitions itself)
  const ui = o.ui ? startUiChild({ root: o.root, port: o.ui.port, portGiven: o.ui.portGiven, say: (line) => o.say(p.yellow(line)) }) : Promise.resolve(null);
  let good: GraphSummary | null = null;
  let running: Worker | null = null;
  /** What the run in progress was started for; when it is canceled, the next reload plans it again. */
  let runningTouched: string[] = [];
  let carried = new Set<string>();
  const cancelRunning = () => {
    for (const k of runningTouched) carried.add(k);
    o.say(p.dim("canceling the run in progress to re-plan"));
  };
  let daemon: Worker | null = null;

  const stopWorker = async (w: Worker | null, ms = 5000) => {
    if (!w) return;
    try {
      w.send({ type: "cancel" });
    } catch {
      // already gone
    }
    const t = setTimeout(() => w.proc.kill(9), ms);
    await w.exited;
    clearTimeout(t);
  };

  // one daemon worker at a time: restarts are serialized (two quick reloads must not leave two
  // workers ticking the same schedules), and it runs only when there is something to run
  let daemonChain: Promise<void> = Promise.resolve();
  let stopping = false;
  const startDaemon = () => (daemonChain = daemonChain.then(restartDaemon, restartDaemon));
  const restartDaemon = async () => {
    await stopWorker(daemon);
    daemon = null;
    if (stopping || !o.daemon || !good || good.schedules + good.sensors + good.automation === 0) return;
    const w = startWorker(o.root, log);
    await w.ready;
    w.send({ type: "load", config: o.config });
    const m = await w.next();
    if (m.type !== "graph") return void (await stopWorker(w));
    w.send({ type: "daemon", automationMs: o.automationMs, concurrency: o.concurrency, maxRuns: o.maxRuns });
    daemon = w;
  };

  const reload = async (changedFiles: string[]) => {
    const w = warm;
    warm = startWorker(o.root, log);
    await w.ready;
    w.send({ type: "load", config: o.config });
    const m = await w.next();
    if (m.type === "load-error" || (m.type === "graph" && m.graph.errors.length)) {
      // the files' own errors first, then what they leave out, then (load-error) what stopped the load
      const filesFirst = (list: GraphSummary["errors"]) => [...list.filter((x) => !x.consequence), ...list.filter((x) => x.consequence)];
      const errors = m.type === "load-error" ? [...filesFirst(m.loadErrors ?? []), { message: m.message, consequence: false }] : filesFirst(m.graph.errors);
      for (const e of errors) {
        o.say(`${e.consequence ? p.yellow("note") : p.red("error")} ${e.message}${e.frame ? `\n${p.dim(e.frame)}` : ""}`);
      }
      o.say(p.yellow(good ? `Keeping the last good graph (${good.assets.length} assets) until this is fixed` : "Fix the error to load the project"));
      await stopWorker(w, 1000);
      return;
    }
    if (m.type !== "graph") return void (await stopWorker(w, 1000));
    const first = good === null;
    const d = diffGraphs(good, m.graph);
    good = m.graph;
    if (first) o.say(`${p.bold("dagx dev")} ${m.graph.assets.length} asset(s), ${m.graph.schedules} schedule(s), ${m.graph.sensors} sensor(s) — watching ${o.root}`);
    else {
      const files = changedFiles.map((f) => relative(o.root, f)).join(", ");
      o.say(`${p.bold("reloaded")} ${p.dim(files)}${d.added.length ? ` ${p.green(`+${d.added.join(", +")}`)}` : ""}${d.removed.length ? ` ${p.red(`-${d.removed.join(", -")}`)}` : ""}${d.changed.length ? ` ${p.yellow(`~${d.changed.join(", ~")}`)}` : ""}${!d.added.length && !d.removed.length && !d.changed.length ? p.dim(" (no asset changed)") : ""}`);
    }
    if (running) {
      cancelRunning();
      await stopWorker(running);
      running = null;
    }
    // a canceled run's assets too: a save that changed nothing since the canceled load still needs them
    const known = new Set(m.graph.assets.map((a) => a.key));
    const again = [...carried].filter((k) => known.has(k));
    carried = new Set();
    const touched = first ? [] : downstreamOf(m.graph, [...d.changed, ...d.added, ...again]);
    const partitioned = new Set(m.graph.assets.filter((a) => a.partitioned).map((a) => a.key));
    // partitioned assets are not re-materialized here: the report after the run says what they need
    const keys = o.materialize ? touched.filter((k) => !partitioned.has(k)) : [];
    void startDaemon();
    if (!touched.length) {
      await stopWorker(w, 1000);
      return;
    }
    running = w;
    runningTouched = touched;
    w.send({ type: "materialize", keys, touched, concurrency: o.concurrency, config: o.config });
    const done = await w.next();
    if (done.type === "done" && running === w) for (const line of doneLines(done, o.materialize, p)) o.say(line);
    if (running === w) running = null;
  };

  // serialize reloads; a burst of saves becomes one reload after `debounceMs` of quiet
  let pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let chain: Promise<void> = reload([]);
  await chain;
  const watcher = watch(o.root, { ignoreInitial: true, ignored: (path: string) => SKIP.test(relative(o.root, path).split(sep).join("/")) });
  const onChange = (file: string) => {
    if (!/\.(ts|tsx|js|mjs|json|sql|py)$/.test(file) && !isDbtFile(o.root, file)) return;
    pending.add(file);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...pending];
      pending = new Set();
      if (running) {
        cancelRunning();
        const r = running;
        void stopWorker(r).then(() => {
          if (running === r) running = null;
        });
      }
      chain = chain.then(() => reload(files));
    }, o.debounceMs);
  };
  watcher.on("add", onChange).on("change", onChange).on("unlink", onChange);
  // chokidar drops a "change" that comes within 50 ms of the previous one on the same file (its
  // throttle), so a second quick save would never reload: raw events count too (the debounce merges them)
  watcher.on("raw", (_event, path, details) => {
    const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
    if (typeof path !== "string" || path === "" || typeof watched !== "string") return;
    const file = watched === path || watched.endsWith(`${sep}${path}`) ? watched : join(watched, path);
    const rel = relative(o.root, file);
    if (rel.startsWith("..") || SKIP.test(rel.split(sep).join("/"))) return;
    onChange(file);
  });
  await new Promise<void>((r) => watcher.on("ready", () => r()));
  const uiChild = await ui;
  if (uiChild) o.say(`dagx ui: ${uiChild.url}`);
  o.onReady?.();
  await new Promise<void>((r) => (o.signal.aborted ? r() : o.signal.addEventListener("abort", () => r(), { once: true })));
  if (timer) clearTimeout(timer);
  stopping = true;
  await watcher.close();
  await daemonChain;
  await Promise.all([stopWorker(running), stopWorker(daemon), stopWorker(warm, 1000), uiChild?.stop()]);
}
