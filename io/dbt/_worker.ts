/**
 * dbt commands through long-lived dbt workers: one Python process (io/dbt/_worker-py.ts) imports
 * dbt once and runs command after command with dbt's `dbtRunner`, so only the first dbt call of a
 * dagx process pays for Python's start and `import dbt` (~1.3–1.8 s of CPU; a build of a small
 * project then takes ~0.5 s of CPU instead of ~3 s). Used when the dbt executable is a Python
 * console script (its shebang names the interpreter): a venv's `bin/dbt`, `dbt` on PATH. Anything
 * else — an argv such as `["uv", "run", "dbt"]`, a shell wrapper, dbt Fusion — and
 * `DAGX_DBT_WORKER=0` run `dbt` per command as before (io/dbt/_spawn.ts).
 *
 * - One command at a time per worker; a process keeps idle workers per interpreter and starts
 *   another when all are busy (builds of one project are serialized by io/dbt anyway).
 * - An idle worker exits after `DAGX_DBT_WORKER_IDLE_MS` (default 60 s), and after 100 commands
 *   (dbt is not made to run forever in one process). An idle one never keeps dagx alive (unref'd;
 *   ref'd only while dbt is imported or a command runs, which dagx awaits anyway), and ends
 *   when dagx's end closes its stdin.
 * - Cancel (the signal): the worker is killed (SIGTERM), as a `dbt` process would be; a worker that
 *   dies in the middle of a command (killed, out of memory) fails that command with what it said,
 *   and the next command starts a new one.
 */
import { existsSync, openSync, readSync, closeSync } from "node:fs";
import { basename, isAbsolute } from "node:path";
import { WORKER_PY } from "./_worker-py.ts";

const MARK = "\u001edagx-dbt ";
const MAX_COMMANDS = 100;


interface Command {
  readonly onLine: (line: string) => void;
  readonly done: (exitCode: number, error: string | null) => void;
}

interface Worker {
  readonly proc: ReturnType<typeof Bun.spawn>;
  readonly python: string;
  /** Resolves true once dbt is imported, false when it cannot be (then the worker has exited). */
  readonly ready: Promise<{ ok: true } | { ok: false; error: string }>;
  current: Command | null;
  commands: number;
  dead: boolean;
  idle: ReturnType<typeof setTimeout> | null;
  /** The last lines it wrote outside a command (why it died, when it does). */
  stray: string[];
}

const idleWorkers = new Map<string, Worker[]>();
/** Interpreters whose dbt has no dbtRunner (or no dbt): commands are spawned for them. */
const unusable = new Set<string>();
let nextId = 0;

function idleMs(): number {
  const v = Number(process.env.DAGX_DBT_WORKER_IDLE_MS);
  return Number.isFinite(v) && v >= 0 ? v : 60_000;
}

/**
 * The Python interpreter of a dbt executable when it is a Python console script, else null.
 * `argv`: the executable as configured; `path`: the PATH dbt would be looked up on.
 */
export function dbtInterpreter(argv: readonly string[], path: string | undefined): string | null {
  if (argv.length !== 1) return null;
  const exe = argv[0]!;
  const file = isAbsolute(exe) ? exe : exe.includes("/") ? null : Bun.which(exe, path === undefined ? {} : { PATH: path });
  if (!file || !existsSync(file)) return null;
  let head: string;
  try {
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(1024);
      head = buf.subarray(0, readSync(fd, buf, 0, 1024, 0)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  if (!head.startsWith("#!")) return null;
  const lines = head.split("\n");
  const shebang = lines[0]!.slice(2).trim().split(/\s+/);
  const isPython = (p: string | undefined) => p !== undefined && /^python[0-9.]*$/.test(basename(p));
  if (isPython(shebang[0])) return existsSync(shebang[0]!) ? shebang[0]! : null;
  if (basename(shebang[0] ?? "") === "env" && isPython(shebang[1])) return Bun.which(shebang[1]!, path === undefined ? {} : { PATH: path });
  // pip's form for a long interpreter path: #!/bin/sh, then '''exec' "/…/python" "$0" "$@"
  const exec = /^'''exec' "([^"]+)" "\$0" "\$@"/.exec(lines[1] ?? "");
  if (basename(shebang[0] ?? "") === "sh" && exec && isPython(exec[1]) && existsSync(exec[1]!)) return exec[1]!;
  return null;
}

/** Whether commands for `python` go through a worker (not disabled, dbt importable as far as known). */
export function workerUsable(python: string | null): python is string {
  return python !== null && process.env.DAGX_DBT_WORKER !== "0" && !unusable.has(python);
}

/**
 * Runs one dbt command (`args`: as dbt's CLI takes them) in a worker of `python`, handing each line
 * it writes (dbt's JSON log, stderr, the error dbt raised) to `onLine`; null when that interpreter
 * cannot run dbtRunner (the caller spawns `dbt` instead).
 */
export async function runInWorker(
  python: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string | undefined>,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ exitCode: number } | null> {
  let worker = await acquire(python);
  while (worker?.dead) worker = await acquire(python); // died while idle: take another
  if (!worker) return null;
  const id = ++nextId;
  const onAbort = () => worker.proc.kill("SIGTERM");
  signal?.addEventListener("abort", onAbort, { once: true });
  let result: { exitCode: number; error: string | null };
  try {
    result = await new Promise((resolve) => {
      worker.current = { onLine, done: (exitCode, error) => resolve({ exitCode, error }) };
      if (worker.dead) return resolve({ exitCode: 1, error: `dbt stopped: its process (pid ${worker.proc.pid}) exited before the command` });
      const cleanEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"));
      try {
        const stdin = worker.proc.stdin as import("bun").FileSink;
        stdin.write(`${JSON.stringify({ id, args, cwd, env: cleanEnv })}\n`);
        stdin.flush();
      } catch {
        // the worker is gone: its exit ends the command (start() below)
      }
      if (signal?.aborted) onAbort();
    });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (result.error) onLine(result.error);
  release(worker);
  return { exitCode: result.exitCode };
}

async function acquire(python: string): Promise<Worker | null> {
  const pool = idleWorkers.get(python) ?? [];
  while (pool.length > 0) {
    const w = pool.pop()!;
    if (w.idle) clearTimeout(w.idle);
    w.idle = null;
    if (!w.dead) {
      w.proc.ref(); // busy again: see start()
      return w;
    }
  }
  let w: Worker;
  try {
    w = start(python);
  } catch {
    unusable.add(python); // it cannot be started: spawning `dbt` says why
    return null;
  }
  const ready = await w.ready;
  if (!ready.ok) {
    unusable.add(python);
    return null;
  }
  return w;
}

function release(w: Worker): void {
  w.current = null;
  w.commands++;
  if (w.dead) return;
  w.proc.unref(); // idle: it must not keep dagx alive
  if (w.commands >= MAX_COMMANDS) return stop(w);
  const pool = idleWorkers.get(w.python) ?? idleWorkers.set(w.python, []).get(w.python)!;
  pool.push(w);
  w.idle = setTimeout(() => {
    const i = pool.indexOf(w);
    if (i >= 0) pool.splice(i, 1);
    stop(w);
  }, idleMs());
  w.idle.unref?.();
}

/** Let a worker go: closing its stdin ends it. */
function stop(w: Worker): void {
  try {
    (w.proc.stdin as import("bun").FileSink).end();
  } catch {
    // already gone
  }
}

function start(python: string): Worker {
  const proc = Bun.spawn([python, "-u", "-c", WORKER_PY], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: process.env.PYTHONDONTWRITEBYTECODE ?? "1" },
  });
  // ref'd while dbt is imported and while a command runs (release() unrefs it when idle): under
  // `bun test`, awaiting only an unref'd child busy-polls the event loop (a core for as long as dbt runs)
  let settle!: (r: { ok: true } | { ok: false; error: string }) => void;
  const w: Worker = {
    proc,
    python,
    ready: new Promise((r) => (settle = r)),
    current: null,
    commands: 0,
    dead: false,
    idle: null,
    stray: [],
  };
  const onStdout = (l: string) => {
    if (l.startsWith(MARK)) {
      let m: { ready?: boolean; error?: string | null; done?: number; exit?: number };
      try {
        m = JSON.parse(l.slice(MARK.length));
      } catch {
        return;
      }
      if (m.ready === true) settle({ ok: true });
      else if (m.ready === false) settle({ ok: false, error: m.error ?? "dbt cannot be imported" });
      else if (m.done !== undefined && w.current) w.current.done(m.exit ?? 1, m.error ?? null);
      return;
    }
    onAny(l);
  };
  const onAny = (l: string) => {
    if (l.trim() === "") return;
    if (w.current) w.current.onLine(l);
    else {
      w.stray.push(l);
      if (w.stray.length > 20) w.stray.shift();
    }
  };
  const out = readLines(proc.stdout as ReadableStream<Uint8Array>, onStdout);
  const err = readLines(proc.stderr as ReadableStream<Uint8Array>, onAny);
  void Promise.all([out, err, proc.exited]).then(([, , code]) => {
    w.dead = true;
    if (w.idle) clearTimeout(w.idle);
    const pool = idleWorkers.get(python);
    const i = pool ? pool.indexOf(w) : -1;
    if (i >= 0) pool!.splice(i, 1);
    const how = proc.signalCode ? `was killed (${proc.signalCode})` : `exited with code ${code}`;
    settle({ ok: false, error: `the dbt worker (${python}) ${how} before dbt was imported: ${w.stray.slice(-5).join(" ") || "(no output)"}` });
    if (w.current) {
      const c = w.current;
      w.current = null;
      c.done(typeof code === "number" && code !== 0 ? code : 1, `dbt stopped: its process (pid ${proc.pid}) ${how}`);
    }
  });
  return w;
}

async function readLines(stream: ReadableStream<Uint8Array>, handle: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  try {
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        handle(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf("\n");
      }
    }
  } catch {
    // the pipe broke with the process: its exit is reported
  }
  if (pending) handle(pending);
}
