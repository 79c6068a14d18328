// The dbt worker (io/dbt/_worker.ts) with the real dbt: commands of one process share one Python
// process, which lets dbt-duckdb's file go between commands and sees each command's environment; a
// failing node and an error dbt raises leave it running; a worker killed in the middle of a build
// fails that build with a clear message and the next command gets a new one; a cancel kills it.
// ~10 s with the venv cached (dbt is imported three times: at the start, after the kill, after the cancel).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { runInWorker } from "../../../io/dbt/_worker.ts";
import { buildDbt, type DbtInvocation } from "../../../io/dbt/index.ts";
import { DBT_ENV, dbtExecutable, dbtPython, dbtUnavailable } from "../../support/dbt.ts";
import { duck, miniProject } from "./mini.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt/worker: ${unavailable}`);

let dir: string;
let python: string;

interface Ran {
  exitCode: number;
  lines: string[];
  pid: number | undefined;
}

/** One dbt command in a worker, with the lines it wrote and the pid dbt's log names. */
async function dbt(args: string[], o: { env?: Record<string, string>; signal?: AbortSignal; onLine?: (line: string, pid: number | undefined) => void } = {}): Promise<Ran> {
  const lines: string[] = [];
  let pid: number | undefined;
  const full = [...args, "--log-format", "json", "--project-dir", join(dir, "dbt"), "--profiles-dir", join(dir, "dbt"), "--target-path", join(dir, "target")];
  const r = await runInWorker(python, full, join(dir, "dbt"), { ...process.env, ...DBT_ENV, DAGX_PROJECT_ROOT: dir, ...o.env }, (line) => {
    lines.push(line);
    try {
      pid ??= (JSON.parse(line) as { info?: { pid?: number } }).info?.pid;
    } catch {
      // not a log line
    }
    o.onLine?.(line, pid);
  }, o.signal);
  if (!r) throw new Error("the venv's dbt has no dbtRunner");
  return { exitCode: r.exitCode, lines, pid };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(unavailable !== undefined)("dbt worker", () => {
  beforeAll(async () => {
    python = await dbtPython();
    dir = miniProject("dagx-dbt-worker-", {
      "dbt/models/a.sql": "{{ config(materialized='table') }}\nselect '{{ env_var('WORKER_TEST_COLOUR', 'none') }}' as colour\n",
      "dbt/models/slow.sql": "{{ config(materialized='table') }}\nselect sum(i) as s from range(20000000000) t(i)\n",
    });
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("commands share one process; each sees its own environment; dbt-duckdb's file is free between them", async () => {
    const parse = await dbt(["parse"]);
    expect(parse.exitCode).toBe(0);
    const red = await dbt(["build", "--select", "a"], { env: { WORKER_TEST_COLOUR: "red" } });
    expect(red.exitCode).toBe(0);
    expect(red.pid).toBe(parse.pid!);
    // free while the worker waits: this process opens it read-write
    const file = join(dir, "dbt/mini.duckdb");
    const db = await DuckDBInstance.create(file);
    const conn = await db.connect();
    expect((await conn.runAndReadAll("select colour from a")).getRowObjectsJS()).toEqual([{ colour: "red" }]);
    conn.closeSync();
    db.closeSync();
    const blue = await dbt(["build", "--select", "a"], { env: { WORKER_TEST_COLOUR: "blue" } });
    expect(blue.pid).toBe(parse.pid!);
    expect(await duck(`attach '${file}' as mini (read_only)`, "select colour from mini.main.a")).toEqual([{ colour: "blue" }]);
  }, 120_000);

  test("a failing model (exit 1) and an error dbt raises (exit 2) leave the worker running", async () => {
    const before = await dbt(["ls", "--select", "a"]);
    const failed = await dbt(["build", "--select", "a"], { env: { WORKER_TEST_COLOUR: "it's" } }); // a quote breaks the SQL
    expect(failed.exitCode).toBe(1);
    expect(failed.lines.join("\n")).toMatch(/Parser Error|syntax error/);
    const raised = await dbt(["build", "--no-such-option"]);
    expect(raised.exitCode).toBe(2);
    expect(raised.lines.at(-1)).toMatch(/no-such-option/);
    const after = await dbt(["build", "--select", "a"]);
    expect(after.exitCode).toBe(0);
    expect(after.pid).toBe(before.pid!);
  }, 120_000);

  test("a worker killed in the middle of a build fails it, naming the process; the next command starts a new one", async () => {
    let killed: number | undefined;
    const r = await dbt(["build", "--select", "slow"], {
      onLine: (line, pid) => {
        if (killed === undefined && pid !== undefined && line.includes('"LogStartLine"')) {
          killed = pid;
          process.kill(pid, "SIGKILL");
        }
      },
    });
    expect(killed).toBeDefined();
    expect(r.exitCode).not.toBe(0);
    expect(r.lines.at(-1)).toBe(`dbt stopped: its process (pid ${killed}) was killed (SIGKILL)`);
    const next = await dbt(["ls", "--select", "a"]);
    expect(next.exitCode).toBe(0);
    expect(next.pid).not.toBe(killed!);
  }, 120_000);

  test("cancel (buildDbt's signal) stops dbt in the middle of a build and frees its file", async () => {
    const inv: DbtInvocation = { dir: join(dir, "dbt"), executable: await dbtExecutable(), workDir: join(dir, ".dagx/dbt"), env: { ...DBT_ENV, DAGX_PROJECT_ROOT: dir } };
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 500); // in the middle of the command, whichever part of it
    const outcome = await buildDbt(inv, { select: ["fqn:mini.slow"], signal: abort.signal });
    expect(outcome.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    const file = join(dir, "dbt/mini.duckdb");
    const db = await DuckDBInstance.create(file); // not held by a dbt still running
    db.closeSync();
  }, 120_000);

  test("an idle worker exits after DAGX_DBT_WORKER_IDLE_MS", async () => {
    const saved = process.env.DAGX_DBT_WORKER_IDLE_MS;
    process.env.DAGX_DBT_WORKER_IDLE_MS = "100";
    try {
      const r = await dbt(["ls", "--select", "a"]);
      expect(r.exitCode).toBe(0);
      const until = Date.now() + 10_000;
      while (alive(r.pid!) && Date.now() < until) await Bun.sleep(50);
      expect(alive(r.pid!)).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.DAGX_DBT_WORKER_IDLE_MS;
      else process.env.DAGX_DBT_WORKER_IDLE_MS = saved;
    }
  }, 60_000);
});
