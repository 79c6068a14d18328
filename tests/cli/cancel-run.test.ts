/**
 * `dagx cancel RUN`: the journey spawns a real long `dagx materialize` and cancels it from a
 * second spawned process (two processes on one state file is the point). The id forms, unknown,
 * finished, dead-process and backfill cases run in-process (`runDagx`) on run records written
 * straight into the state file: they need no running process.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { RunRecord } from "../../core/types.ts";
import { createDuckDBStateStore } from "../../io/state/index.ts";
import { dagx, makeProject, ok, removeProject, runDagx, startDagx, type StepJson } from "./helpers.ts";
import { liveFixtures, startLive } from "./live.ts";
import { dagxCommand } from "../support/dagx-command.ts";

const dirs: string[] = [];
const fx = liveFixtures("dagx-cancel-dev-");
afterAll(async () => {
  dirs.forEach(removeProject);
  await fx.cleanup();
});

const PROJECT = {
  ".dagx/.keep": "",
  "a.asset.ts": `
import { asset } from "dagx";
export const fast = asset(() => [{ id: 1 }]);
export const slow = asset({ deps: [fast] }, async (ctx) => {
  ctx.log.info("slow started");
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, Number(process.env.SLOW_MS ?? 0));
    ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped by signal")); });
  });
  return [{ id: 2, run: process.env.RUN_NO ?? "1" }];
});
export const after_slow = asset({ deps: [slow] }, () => 1);
`,
};

function project(): string {
  const dir = makeProject(PROJECT, "dagx-cancel-run-");
  dirs.push(dir);
  return dir;
}

/** Write run records straight into the project's state file. */
async function withStore(dir: string, fn: (store: ReturnType<typeof createDuckDBStateStore>) => Promise<void>): Promise<void> {
  const store = createDuckDBStateStore(join(dir, ".dagx/state.duckdb"));
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

const record = (runId: string, patch: Partial<RunRecord> = {}): RunRecord => ({ runId, status: "running", selection: "*", trigger: "cli", pid: process.pid, host: hostname(), startedAt: Date.now(), endedAt: null, heartbeatAt: Date.now(), ...patch });

interface CancelJson {
  runId: string;
  result: string;
  alreadyRequested: boolean;
  status: string;
  cancelRequestedAt: string | null;
  endedAt: string | null;
  backfillId: string | null;
  waitedMs: number | null;
}

describe("dagx cancel RUN from another process", () => {
  test("a long materialize ends canceled about a second at most after the request: the running step canceled, its downstream skipped, the previous output intact; --wait returns when it ended", async () => {
    const dir = project();
    ok(await runDagx(dir, ["materialize"]));
    const output = join(dir, ".dagx/data/slow/data.parquet");
    const before = readFileSync(output);

    // a process of its own: the run polls the state file another process writes
    const proc = Bun.spawn([...(await dagxCommand()), "materialize", "--json"], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", CI: "1", SLOW_MS: "30000", RUN_NO: "2" } });
    const stdout = new Response(proc.stdout).text();
    let stderr = "";
    const reader = proc.stderr.getReader();
    const deadline = Date.now() + 20_000;
    while (!stderr.includes("slow started")) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the slow step; stderr:\n${stderr}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`materialize exited early:\n${stderr}`);
      stderr += new TextDecoder().decode(value);
    }
    const rest = (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) stderr += new TextDecoder().decode(r.value);
    })();
    const runs = (await runDagx(dir, ["runs", "--json"])).json<{ runId: string; status: string }[]>();
    expect(runs[0]!.status).toBe("running");
    const prefix = runs[0]!.runId.slice(-12); // a unique part of the id, as `dagx logs` takes it

    const c = await dagx(dir, ["cancel", prefix, "--wait", "--json"]);
    expect(c.code).toBe(0);
    const out = c.json<CancelJson>();
    expect(out).toMatchObject({ runId: runs[0]!.runId, result: "requested", alreadyRequested: false, status: "canceled", backfillId: null });
    const requestedAt = Date.parse(out.cancelRequestedAt!);
    const endedAt = Date.parse(out.endedAt!);
    // README promises the run reads the flag within half a second (its poll period) and ends "within
    // about a second"; quiet, request -> canceled is 160-480 ms (bench/cancel.bench.ts). The bound
    // leaves a loaded machine's slack (1,424 ms seen under a full npm test at load 5-6) while still
    // failing if the poll stopped (a run that never polls ends only after SLOW_MS, 30 s) or slowed to
    // several periods.
    expect(endedAt - requestedAt).toBeLessThan(2_000);
    expect(c.stdout).not.toContain("Cancel requested:"); // --json: the human lines go to stderr
    expect(c.stderr).toContain(`Cancel requested: run ${runs[0]!.runId}`);
    expect(c.stderr).toMatch(/ended canceled after/);

    expect(await proc.exited).toBe(130); // as Ctrl-C: canceled
    await rest;
    expect(stderr).toContain("Cancel requested from another process");
    const run = JSON.parse(await stdout) as { status: string; steps: StepJson[] };
    expect(run.status).toBe("canceled");
    expect(Object.fromEntries(run.steps.map((s) => [s.key, s.status]))).toEqual({ fast: "success", slow: "canceled", after_slow: "skipped" });
    expect(readFileSync(output).equals(before)).toBe(true);
    const logs = (await runDagx(dir, ["logs", runs[0]!.runId, "--json"])).json<{ run: { status: string; cancelRequestedAt: string }; events: { type: string; assetKey: string | null }[] }>();
    expect(logs.run).toMatchObject({ status: "canceled", cancelRequestedAt: out.cancelRequestedAt });
    expect(logs.events.filter((e) => e.type === "step_canceled").map((e) => e.assetKey)).toEqual(["slow"]);
    const st = (await runDagx(dir, ["status", "--json"])).json<{ key: string; status: string }[]>();
    expect(Object.fromEntries(st.map((s) => [s.key, s.status]))).toEqual({ fast: "fresh", slow: "fresh", after_slow: "fresh" });
  }, 60_000);
});

describe("dagx cancel of a run `dagx dev` started", () => {
  test("the dev worker's run ends canceled and dev says so; dev keeps watching", async () => {
    const dir = fx.project(Object.fromEntries(Object.entries(PROJECT).filter(([k]) => k !== ".dagx/.keep")));
    ok(await runDagx(dir, ["materialize"]));
    // a process of its own: dev's worker runs the step; SLOW_MS reaches it through dev's environment
    const dev = fx.track(startLive(dir, ["dev", "--no-daemon"], { SLOW_MS: "30000" }));
    let m = await dev.waitFor("watching for changes", { timeoutMs: 30_000 });
    await Bun.write(join(dir, "a.asset.ts"), PROJECT["a.asset.ts"].replace("slow started", "slow started again"));
    m = await dev.waitFor("▶ slow", { from: m });
    const [run] = (await runDagx(dir, ["runs", "--json"])).json<{ runId: string; trigger: string; status: string }[]>();
    expect(run).toMatchObject({ trigger: "dev", status: "running" });
    const c = await runDagx(dir, ["cancel", run!.runId, "--wait", "--json"]);
    expect(c.json<CancelJson>()).toMatchObject({ result: "requested", status: "canceled" });
    await dev.waitFor(`run ${run!.runId} canceled`, { from: m, timeoutMs: 5_000 });
    expect(dev.proc.exitCode).toBeNull();
    expect(await dev.stop("SIGINT")).toBe(0);
  }, 60_000);
});

describe("dagx cancel (in-process)", () => {
  test("an unknown id exits 2 and says how to list runs; an ambiguous part too", async () => {
    const dir = project();
    const r = await runDagx(dir, ["cancel", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No run "nope"');
    expect(r.stderr).toContain("`dagx runs`");
    expect((await runDagx(dir, ["cancel", "nope", "--json"])).json()).toEqual({ error: { code: "NOT_FOUND", message: 'No run "nope": list runs with `dagx runs`' } });
    await withStore(dir, async (s) => {
      await s.createRun(record("0193aaaa-0000-7000-8000-000000000001", { status: "success", endedAt: Date.now() }));
      await s.createRun(record("0193aaaa-0000-7000-8000-000000000002", { status: "success", endedAt: Date.now() }));
    });
    const amb = await runDagx(dir, ["cancel", "0193aaaa"]);
    expect(amb.code).toBe(2);
    expect(amb.stderr).toContain('Run id "0193aaaa" is ambiguous (2 runs match)');
  });

  test("a finished run, named by a unique prefix: says it already ended, exit 0, changes nothing", async () => {
    const dir = project();
    ok(await runDagx(dir, ["materialize"]));
    const [run] = (await runDagx(dir, ["runs", "--json"])).json<{ runId: string; endedAt: string }[]>();
    const r = await runDagx(dir, ["cancel", run!.runId.slice(0, 20)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Run ${run!.runId} already ended (success): nothing to cancel\n`);
    const j = (await runDagx(dir, ["cancel", run!.runId, "--json", "--wait"])).json<CancelJson>();
    expect(j).toEqual({ runId: run!.runId, result: "finished", alreadyRequested: false, status: "success", cancelRequestedAt: null, endedAt: run!.endedAt, backfillId: null, waitedMs: null });
  });

  test("a running run whose process is gone is marked abandoned, and says so", async () => {
    const dir = project();
    // above Linux's largest pid: no such process
    await withStore(dir, (s) => s.createRun(record("run-dead", { pid: 2 ** 22 + 1 })));
    const r = await runDagx(dir, ["cancel", "run-dead", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json<CancelJson>()).toMatchObject({ result: "abandoned", status: "abandoned", cancelRequestedAt: null });
    expect(r.stderr).toContain(`its process (pid ${2 ** 22 + 1} on ${hostname()}) is gone: marked abandoned`);
    expect((await runDagx(dir, ["runs", "--json"])).json<{ status: string }[]>()[0]!.status).toBe("abandoned");
  });

  test("a live run: the flag is set once (a second cancel says it was already asked); a backfill's run names its backfill", async () => {
    const dir = project();
    await withStore(dir, async (s) => {
      // the backfill was created before its run (cancel finds it among backfills created no later than the run started;
      // `Date.now() - 10` lost that order when the state session before it took longer than 10 ms on a loaded machine)
      await s.createRun(record("run-live"));
      await s.createRun(record("run-bf", { trigger: "backfill" }));
      await s.createBackfill({ backfillId: "bf-1", status: "running", selection: "slow", partitions: "2024-01", pid: process.pid, host: hostname(), createdAt: Date.now() - 60_000, updatedAt: Date.now(), cancelRequested: false, options: { concurrency: 1 } }, [{ backfillId: "bf-1", assetKey: "slow", partitionKey: "2024-01-01", status: "pending", runId: "run-bf", error: null, updatedAt: Date.now() }]);
    });
    const first = await runDagx(dir, ["cancel", "run-live", "--json"]);
    expect(first.code).toBe(0);
    const j = first.json<CancelJson>();
    expect(j).toMatchObject({ runId: "run-live", result: "requested", alreadyRequested: false, status: "running", endedAt: null, backfillId: null, waitedMs: null });
    expect(Date.now() - Date.parse(j.cancelRequestedAt!)).toBeLessThan(10_000);
    const again = await runDagx(dir, ["cancel", "run-live"]);
    expect(again.stdout).toMatch(/^Cancel already requested .* ago: run run-live \(pid \d+\) is stopping\n$/);
    const bf = await runDagx(dir, ["cancel", "run-bf"]);
    expect(bf.stdout).toContain("It is backfill bf-1's run: the backfill ends canceled too; resume it with `dagx backfill --resume bf-1`");
    expect((await runDagx(dir, ["cancel", "run-bf", "--json"])).json<CancelJson>()).toMatchObject({ alreadyRequested: true, backfillId: "bf-1" });
  });

  test("--wait: Ctrl-C stops waiting (exit 130) and the request stays; a run whose process dies meanwhile ends the wait as abandoned", async () => {
    const dir = project();
    await withStore(dir, (s) => s.createRun(record("run-live")));
    const { terminal, done } = startDagx(dir, ["cancel", "run-live", "--wait"]);
    for (let i = 0; i < 200 && !terminal.stdoutText().includes("Cancel requested"); i++) await Bun.sleep(10);
    terminal.interrupt();
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("Stopped waiting: the cancel request stays");
    const logs = (await runDagx(dir, ["logs", "run-live", "--json"])).json<{ run: { status: string; cancelRequestedAt?: string } }>();
    expect(logs.run.status).toBe("running");
    expect(typeof logs.run.cancelRequestedAt).toBe("string");
    // a run on another host whose heartbeat goes stale (60 s) a second from now: the wait sees it gone
    await withStore(dir, (s) => s.createRun(record("run-dying", { pid: 1, host: "elsewhere", heartbeatAt: Date.now() - 59_000 })));
    const w = await runDagx(dir, ["cancel", "run-dying", "--wait", "--json"]);
    expect(w.json<CancelJson>()).toMatchObject({ result: "requested", status: "abandoned" });
    expect(w.stderr).toMatch(/ended abandoned after .* \(its process is gone\)/);
  }, 30_000);
});
