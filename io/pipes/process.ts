/**
 * Run one Pipes process: write the context file, start the command in its own process group with
 * the two Pipes variables, tail the messages file while it runs and read it to the end after it
 * exits, turn stdout/stderr lines into log lines, and on cancel send SIGINT to the whole group, then
 * SIGKILL after a grace period.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyPipesLine, DAGX_CONTEXT_PATH_ENV, DAGX_MESSAGES_PATH_ENV, emptyPipesReport, PIPES_CONTEXT_ENV, PIPES_MESSAGES_ENV, type PipesContextData, type PipesLogLine, type PipesReport } from "../../core/pipes/index.ts";
import { encodePipesParam } from "./params.ts";
import { tailLines } from "./tail.ts";

/** How many stderr lines a failure keeps. */
export const STDERR_TAIL_LINES = 20;

export interface PipesProcessOptions {
  command: readonly string[];
  cwd: string;
  /** The process's whole environment (the Pipes variables are added). */
  env: Readonly<Record<string, string | undefined>>;
  context: PipesContextData;
  /** A private folder for the context and messages files (created). */
  sessionDir: string;
  /** The step's asset key, or the keys of a Pipes multi-asset step (messages for another key are refused). */
  assetKey: string | readonly string[];
  signal: AbortSignal;
  /** Time between SIGINT and SIGKILL on cancel. */
  cancelGraceMs: number;
  /** Every log line: messages' logs, stdout (info) and stderr (warn) lines. */
  onLog(line: PipesLogLine): void;
  /** How often the messages file is read while the process runs. @default 50 */
  pollMs?: number;
}

export interface PipesProcessResult {
  /** Exit code, or null when a signal ended it (or it never started). */
  exitCode: number | null;
  /** The signal that ended it, if any. */
  exitSignal: string | null;
  /** The step's signal aborted while the process ran. */
  canceled: boolean;
  /** Why it could not start (an unknown program), or null. */
  spawnError: string | null;
  report: PipesReport;
  /** The last stderr lines (at most STDERR_TAIL_LINES). */
  stderrTail: string[];
}

/** Paths of a session's files inside its folder. */
export function pipesSessionFiles(sessionDir: string): { context: string; messages: string } {
  return { context: join(sessionDir, "context.json"), messages: join(sessionDir, "messages.jsonl") };
}

export async function runPipesProcess(o: PipesProcessOptions): Promise<PipesProcessResult> {
  mkdirSync(o.sessionDir, { recursive: true, mode: 0o700 });
  const files = pipesSessionFiles(o.sessionDir);
  writeFileSync(files.context, JSON.stringify(o.context), { mode: 0o600 });
  writeFileSync(files.messages, "", { mode: 0o600 });
  const report = emptyPipesReport();
  const stderrTail: string[] = [];
  const tail = tailLines(files.messages, (line) => {
    for (const l of applyPipesLine(report, o.assetKey, line)) o.onLog(l);
  }, o.pollMs ?? 50);

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.env)) if (v !== undefined) env[k] = v;
  env[PIPES_CONTEXT_ENV] = encodePipesParam({ path: files.context });
  env[PIPES_MESSAGES_ENV] = encodePipesParam({ path: files.messages });
  env[DAGX_CONTEXT_PATH_ENV] = files.context;
  env[DAGX_MESSAGES_PATH_ENV] = files.messages;

  const [program, ...args] = o.command;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(program!, args, { cwd: o.cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    tail.finish();
    throw e;
  }
  const lineSplitter = (level: PipesLogLine["level"], keep: string[] | null) => {
    let rest = "";
    const emit = (line: string) => {
      const text = line.replace(/\r$/, "");
      if (keep) {
        keep.push(text);
        if (keep.length > STDERR_TAIL_LINES) keep.shift();
      }
      o.onLog({ level, message: text });
    };
    return {
      data(chunk: Buffer) {
        rest += chunk.toString("utf8");
        let nl: number;
        while ((nl = rest.indexOf("\n")) >= 0) {
          emit(rest.slice(0, nl));
          rest = rest.slice(nl + 1);
        }
      },
      end() {
        if (rest !== "") emit(rest);
        rest = "";
      },
    };
  };
  const out = lineSplitter("info", null);
  const err = lineSplitter("warn", stderrTail);
  child.stdout!.on("data", out.data);
  child.stderr!.on("data", err.data);
  const streamsClosed = Promise.all([child.stdout!, child.stderr!].map((s) => new Promise<void>((r) => s.once("close", () => r()))));

  let canceled = false;
  let killTimer: ReturnType<typeof setTimeout> | null = null;
  const signalGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // the group is gone already
    }
  };
  const onAbort = () => {
    canceled = true;
    signalGroup("SIGINT");
    killTimer = setTimeout(() => signalGroup("SIGKILL"), o.cancelGraceMs);
  };
  if (o.signal.aborted) onAbort();
  else o.signal.addEventListener("abort", onAbort, { once: true });

  const exit = await new Promise<{ code: number | null; signal: string | null; error: string | null }>((resolve) => {
    child.once("error", (e: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error: e.code === "ENOENT" ? `"${program}" was not found (is it installed and on PATH, or a path relative to the project root?)` : e.message }));
    child.once("exit", (code, signal) => resolve({ code, signal, error: null }));
  });
  o.signal.removeEventListener("abort", onAbort);
  if (canceled) {
    // what the group left behind (a child that ignored SIGINT) goes with the process
    if (killTimer) clearTimeout(killTimer);
    signalGroup("SIGKILL");
  }
  // a grandchild may hold the pipes open past the exit: wait a little, then stop reading
  await Promise.race([streamsClosed, new Promise((r) => setTimeout(r, 2000))]);
  child.stdout!.destroy();
  child.stderr!.destroy();
  out.end();
  err.end();
  tail.finish();
  return { exitCode: exit.code, exitSignal: exit.signal, canceled, spawnError: exit.error, report, stderrTail };
}
