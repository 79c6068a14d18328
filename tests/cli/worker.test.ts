/**
 * `dagx worker` and `--queue` end to end (issue 17 items 2 and 4): a real Postgres state, real
 * worker processes (`bun cli/main.ts worker`) each in its own copy of the project standing in for
 * a machine; their `.dagx/data` folders are one shared folder (a network filesystem's stand-in,
 * declared with DAGX_WORKERS_SHARED_STORAGE=1), except where the refusal of local outputs is tested.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createPostgresStateStore } from "../../io/state/index.ts";
import { startPostgres, type PostgresServer } from "../support/postgres.ts";
import { until, type Worker, workerFixtures } from "../support/workers.ts";
import { dagx, ok, runDagx, writeFile } from "./helpers.ts";
import { dagxCommand } from "../support/dagx-command.ts";

let pg: PostgresServer;
const fx = workerFixtures("dagx-worker-");
const { machine, sharedFolder } = fx;
const startWorker = (dir: string, env: Record<string, string>, args: string[] = []): Worker => fx.startWorker(dir, env, { args });
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

const ASSETS = {
  "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => [{ x: 1 }, { x: 2 }, { x: 3 }]);\n`,
  "b.asset.ts": `import { asset } from "dagx";\nimport { a } from "./a.asset";\nexport const b = asset({ ins: { a } }, (ctx, { a }) => ctx.sql\`select x * 10 as y from \${a}\`);\n`,
  "c.asset.ts": `import { asset } from "dagx";\nimport { a } from "./a.asset";\nexport const c = asset({ ins: { a } }, (ctx, { a }) => ctx.sql\`select x + 1 as z from \${a}\`);\n`,
  "d.asset.ts": `import { asset } from "dagx";\nimport { b } from "./b.asset";\nimport { c } from "./c.asset";\nexport const d = asset({ ins: { b, c } }, (ctx, { b, c }) => ctx.sql\`select (select sum(y) from \${b}) + (select sum(z) from \${c}) as total\`);\n`,
  "shop.asset.ts": [
    `import { asset, multiAsset, unique } from "dagx";`,
    `export const raw = asset(() => [{ id: 1, customer: "ana", amount: 10 }, { id: 2, customer: "bo", amount: 5 }]);`,
    `export const shop = multiAsset({ ins: { raw }, outs: { customers: { checks: [unique("customer")] }, orders: {} } },`,
    `  (ctx, { raw }) => ({ customers: ctx.sql\`select distinct customer from \${raw}\`, orders: ctx.sql\`select id, amount from \${raw}\` }));`,
    `export const revenue = asset({ ins: { orders: shop.outs.orders } }, (ctx, { orders }) => ctx.sql\`select sum(amount)::int as revenue from \${orders}\`);`,
  ].join("\n"),
  // fails its first attempt (no mark yet in the shared data folder), then succeeds: a retry may run on any worker
  "flaky.asset.ts": [
    `import { asset } from "dagx";`,
    `import { existsSync, writeFileSync } from "node:fs";`,
    `export const flaky = asset({ retry: { maxRetries: 1, delay: "0s" } }, () => {`,
    `  const mark = ".dagx/data/flaky-tried";`,
    `  if (!existsSync(mark)) { writeFileSync(mark, ""); throw new Error("first attempt fails"); }`,
    `  return [{ ok: 1 }];`,
    `});`,
  ].join("\n"),
  "events.asset.ts": `import { asset, daily } from "dagx";\nexport const events = asset({ partitions: daily({ start: "2024-01-01" }) }, (ctx) => [{ day: ctx.partition!.key }]);\n`,
  // its first attempt blocks its worker's event loop (no lease renewal) for 4 s, then returns "stale"; a later attempt returns "fresh" at once
  "stall.asset.ts": [
    `import { asset } from "dagx";`,
    `import { existsSync, writeFileSync } from "node:fs";`,
    `export const stall = asset({ retry: { maxRetries: 2, delay: "0s" } }, () => {`,
    `  const mark = ".dagx/data/stall-started";`,
    `  if (existsSync(mark)) return [{ who: "fresh" }];`,
    `  writeFileSync(mark, "");`,
    `  const end = Date.now() + 4000;`,
    `  while (Date.now() < end) {}`,
    `  return [{ who: "stale" }];`,
    `});`,
  ].join("\n"),
  // sleeps, after leaving a mark named by the process that runs it (the test kills that worker)
  "slow.asset.ts": [
    `import { asset } from "dagx";`,
    `import { writeFileSync } from "node:fs";`,
    `import { join } from "node:path";`,
    `export const slow = asset({ retry: { maxRetries: 1, delay: "0s" } }, async () => {`,
    `  if (process.env.MARK_DIR) writeFileSync(join(process.env.MARK_DIR, String(process.pid)), "");`,
    `  await Bun.sleep(2500);`,
    `  return [{ done: 1 }];`,
    `});`,
  ].join("\n"),
};

const stateUrl = (schema: string) => `${pg.url}?schema=${schema}`;

describe("dagx worker and --queue", () => {
  test("--queue without a Postgres state is a usage error that says why (exit 2)", async () => {
    const dir = machine(ASSETS, null);
    const r = await runDagx(dir, ["materialize", "a", "--queue"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--queue needs a Postgres state");
    const w = await runDagx(dir, ["worker"]);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain("dagx worker needs a Postgres state");
  });

  test("a submitter killed before its run is enqueued leaves no run behind (the run record and the queue rows are one transaction)", async () => {
    const dir = machine(ASSETS, sharedFolder());
    const env = { DAGX_STATE_URL: stateUrl("crash"), DAGX_WORKERS_SHARED_STORAGE: "1" };
    const proc = Bun.spawn([...(await dagxCommand()), "materialize", "a", "--queue", "--detach"], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", ...env, DAGX_CRASH_AT: "before-enqueue" } });
    expect(await proc.exited).not.toBe(0);
    expect(ok(await runDagx(dir, ["runs", "--json"], { env })).json<unknown[]>()).toEqual([]);
    // without the fault the same submission is recorded and queued
    ok(await runDagx(dir, ["materialize", "a", "--queue", "--detach"], { env }));
    expect(ok(await runDagx(dir, ["runs", "--json"], { env })).json<{ status: string }[]>().map((r) => r.status)).toEqual(["queued"]);
  });

  test("queued runs wait for a worker; a worker with other code refuses; two workers complete the graph with a local run's results", async () => {
    const data = sharedFolder();
    const env = { DAGX_STATE_URL: stateUrl("graph"), DAGX_WORKERS_SHARED_STORAGE: "1", DAGX_LEASE_MS: "3000" };
    const submitter = machine(ASSETS, data);
    // detached: the run id, at once; no worker yet: `runs` says it is queued and that nobody takes it
    const detached = ok(await runDagx(submitter, ["materialize", "a", "b", "c", "d", "--queue", "--detach"], { env })).stdout.trim();
    const runs = ok(await runDagx(submitter, ["runs"], { env }));
    expect(runs.stdout).toContain("queued");
    expect(runs.stderr).toContain("no worker is alive");
    // a machine with another checkout (a's code differs) refuses a's step, once, and leaves it
    const stale = startWorker(machine({ ...ASSETS, "a.asset.ts": ASSETS["a.asset.ts"].replace("{ x: 3 }", "{ x: 4 }") }, data), env);
    await until("the refusal", () => stale.log().includes(`refused asset "a" of run ${detached}`));
    await Bun.sleep(1_500); // it polls meanwhile: still one message
    expect(stale.log().split("refused asset").length - 1).toBe(1);
    const refusedRuns = ok(await runDagx(submitter, ["runs"], { env }));
    expect(refusedRuns.stderr).toContain("refused by workers running other code");
    const logs = ok(await runDagx(submitter, ["logs", detached], { env }));
    expect(logs.stdout + logs.stderr).toContain("this worker's project has");
    stale.proc.kill("SIGTERM");
    expect(await stale.proc.exited).toBe(0);
    // two good machines
    const w1 = startWorker(machine(ASSETS, data), env);
    const w2 = startWorker(machine(ASSETS, data), env);
    const store = createPostgresStateStore(env.DAGX_STATE_URL);
    try {
      await until("the detached run's end", async () => (await store.getRun(detached))?.status === "success");
      // followed: the same progress and exit code as a local run
      const followed = ok(await runDagx(submitter, ["materialize", "a", "b", "c", "d", "--queue", "--json"], { env }));
      const outcome = followed.json<{ status: string; steps: { key: string; status: string }[] }>();
      expect(outcome.status).toBe("success");
      expect(outcome.steps.map((s) => [s.key, s.status])).toEqual([["a", "success"], ["b", "success"], ["c", "success"], ["d", "success"]]);
      // both workers took steps; every step once per run
      const events = await store.getEvents(detached);
      expect(events.filter((e) => e.type === "materialization").map((e) => e.assetKey).sort()).toEqual(["a", "b", "c", "d"]);
      // the same data as a local run
      const local = machine(ASSETS, null);
      ok(await runDagx(local, ["materialize", "a", "b", "c", "d", "--json"]));
      const versions = async (dir: string, e: Record<string, string>) =>
        new Map(ok(await runDagx(dir, ["status", "--json"], { env: e })).json<{ key: string; lastMaterialization: { dataVersion: string } | null }[]>().map((s) => [s.key, s.lastMaterialization?.dataVersion]));
      const queued = await versions(submitter, env);
      const here = await versions(local, {});
      for (const k of ["a", "b", "c", "d"]) expect(queued.get(k)).toBe(here.get(k)!);
      // a multi-asset: its outs are one unit of work (one call), its check runs on the worker
      const shop = ok(await runDagx(submitter, ["materialize", "raw+", "--queue", "--json"], { env })).json<{ status: string; runId: string; steps: { key: string; status: string }[] }>();
      expect(shop.steps.map((x) => [x.key, x.status]).sort()).toEqual([["customers", "success"], ["orders", "success"], ["raw", "success"], ["revenue", "success"]]);
      const shopEvents = await store.getEvents(shop.runId);
      expect(shopEvents.filter((e) => e.type === "materialization").map((e) => e.assetKey).sort()).toEqual(["customers", "orders", "raw", "revenue"]);
      expect(shopEvents.filter((e) => e.type === "check_evaluation").map((e) => e.assetKey)).toEqual(["customers"]);
      // a failed attempt is released for a retry (any worker), counted by the asset's retry policy
      const flaky = ok(await runDagx(submitter, ["materialize", "flaky", "--queue", "--json"], { env })).json<{ runId: string; steps: { status: string }[] }>();
      expect(flaky.steps).toMatchObject([{ status: "success" }]);
      const flakyEvents = await store.getEvents(flaky.runId);
      expect(flakyEvents.find((e) => e.type === "step_success")?.payload).toMatchObject({ attempts: 2 });
      expect(flakyEvents.filter((e) => e.type === "step_retry").map((e) => (e.payload as { error: string }).error)).toEqual([expect.stringContaining("first attempt fails")]);
      // a backfill on the queue: every partition once, recorded in the backfill as a local one is
      const b = ok(await runDagx(submitter, ["backfill", "events", "--partitions", "2024-01-01..2024-01-06", "--queue", "--json"], { env })).json<{ status: string; runId: string; counts: { success: number } }>();
      expect([b.status, b.counts.success]).toEqual(["success", 6]);
      const mats = (await store.getEvents(b.runId)).filter((e) => e.type === "materialization").map((e) => e.partitionKey).sort();
      expect(mats).toEqual(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06"]);
    } finally {
      await store.close();
      w1.proc.kill("SIGTERM");
      w2.proc.kill("SIGTERM");
      expect(await w1.proc.exited).toBe(0);
      await w2.proc.exited;
    }
    expect(w1.log() + w2.log()).toContain("started");
  }, 60_000);

  test("a worker killed with kill -9 mid-step: its lease expires, another worker runs the step again as a retry, one materialization", async () => {
    const data = sharedFolder();
    const marks = sharedFolder();
    const env = { DAGX_STATE_URL: stateUrl("kill"), DAGX_WORKERS_SHARED_STORAGE: "1", DAGX_LEASE_MS: "600", MARK_DIR: marks };
    const submitter = machine(ASSETS, data);
    const workers = [startWorker(machine(ASSETS, data), env), startWorker(machine(ASSETS, data), env)];
    const run = ok(await runDagx(submitter, ["materialize", "slow", "--queue", "--detach"], { env })).stdout.trim();
    await until("the step to start", () => readdirSync(marks).length > 0);
    const victim = workers.find((w) => String(w.proc.pid) === readdirSync(marks)[0])!;
    victim.proc.kill(9);
    const store = createPostgresStateStore(env.DAGX_STATE_URL);
    try {
      await until("the run's end", async () => ["success", "failed"].includes((await store.getRun(run))?.status ?? ""), 20_000);
      expect((await store.getRun(run))?.status).toBe("success");
      const events = await store.getEvents(run);
      expect(events.filter((e) => e.type === "materialization").length).toBe(1);
      const retry = events.find((e) => e.type === "step_retry");
      expect(String((retry?.payload as { error?: string }).error)).toContain("stopped renewing its lease");
      expect(events.find((e) => e.type === "step_success")?.payload).toMatchObject({ attempts: 2 });
      expect((await store.latestMaterializations(["slow"])).length).toBe(1);
    } finally {
      await store.close();
      for (const w of workers) w.proc.kill("SIGTERM");
    }
  }, 60_000);

  test("a worker that lost its lease while stalled does not replace the output the new holder committed", async () => {
    const data = sharedFolder();
    const env = { DAGX_STATE_URL: stateUrl("stall"), DAGX_WORKERS_SHARED_STORAGE: "1", DAGX_LEASE_MS: "300" };
    const submitter = machine(ASSETS, data);
    const first = startWorker(machine(ASSETS, data), env);
    const run = ok(await runDagx(submitter, ["materialize", "stall", "--queue", "--detach"], { env })).stdout.trim();
    await until("the first attempt", () => existsSync(join(data, "stall-started")));
    // the first worker's loop is blocked: its lease expires, a second worker takes the step and commits "fresh"
    const second = startWorker(machine(ASSETS, data), env);
    const store = createPostgresStateStore(env.DAGX_STATE_URL);
    try {
      await until("the run's end", async () => (await store.getRun(run))?.status === "success");
      await until("the first worker's late attempt", () => first.log().includes("lease lost"), 10_000);
      const rows = ok(await runDagx(submitter, ["query", "select who from stall", "--json"], { env })).json<{ who: string }[] | { rows: { who: string }[] }>();
      expect(JSON.stringify(rows)).toContain("fresh");
      expect(JSON.stringify(rows)).not.toContain("stale");
      expect((await store.getEvents(run)).filter((e) => e.type === "materialization").length).toBe(1);
    } finally {
      await store.close();
      first.proc.kill("SIGTERM");
      second.proc.kill("SIGTERM");
    }
  }, 60_000);

  test("--stale on workers applies the early cutoff as a local run: a's code changed but not its data, b and what reads it are skipped as fresh", async () => {
    const chain = {
      "a.asset.ts": ASSETS["a.asset.ts"],
      "b.asset.ts": ASSETS["b.asset.ts"],
      "e.asset.ts": `import { asset } from "dagx";\nimport { b } from "./b.asset";\nexport const e = asset({ ins: { b } }, (ctx, { b }) => ctx.sql\`select sum(y) as s from \${b}\`);\n`,
    };
    // a new layout of a's function: a new code version, the same rows
    const edited = ASSETS["a.asset.ts"].replace("{ x: 3 }", "{ x: 1 + 2 }");
    type Step = { key: string; status: string; reason?: string };
    type Logs = { events: { type: string; assetKey: string | null; payload: Record<string, unknown> }[] };
    const summary = (steps: Step[], logs: Logs) => ({
      steps: steps.map((s) => [s.key, s.status, s.reason ?? null]),
      events: logs.events.filter((e) => e.type.startsWith("step_")).map((e) => [e.type, e.assetKey, e.payload.reason ?? null, e.payload.fresh ?? null]),
    });
    // locally
    const local = machine(chain, null);
    ok(await runDagx(local, ["materialize", "a+"]));
    writeFile(local, "a.asset.ts", edited);
    const localRun = ok(await dagx(local, ["materialize", "a+", "--stale", "--json"])).json<{ runId: string; status: string; steps: Step[] }>();
    const localLogs = ok(await runDagx(local, ["logs", localRun.runId, "--json"])).json<Logs>(); // logs and runs load no asset file: in this process
    // on a worker, against the Postgres state: the same step statuses, reasons and events
    const data = sharedFolder();
    const env = { DAGX_STATE_URL: stateUrl("cutoff"), DAGX_WORKERS_SHARED_STORAGE: "1" };
    const submitter = machine(chain, data);
    ok(await runDagx(submitter, ["materialize", "a+"], { env }));
    writeFile(submitter, "a.asset.ts", edited);
    const w = startWorker(machine({ ...chain, "a.asset.ts": edited }, data), env);
    try {
      const queued = ok(await dagx(submitter, ["materialize", "a+", "--stale", "--queue", "--json"], { env })).json<{ runId: string; status: string; steps: Step[] }>();
      const queuedLogs = ok(await runDagx(submitter, ["logs", queued.runId, "--json"], { env })).json<Logs>();
      expect(localRun.status).toBe("success");
      expect(summary(localRun.steps, localLogs).steps).toEqual([["a", "success", null], ["b", "skipped", "fresh: upstream outputs unchanged (early cutoff)"], ["e", "skipped", "fresh: upstream outputs unchanged (early cutoff)"]]);
      expect(queued.status).toBe(localRun.status);
      expect(summary(queued.steps, queuedLogs)).toEqual(summary(localRun.steps, localLogs));
      const runs = ok(await runDagx(submitter, ["runs", "--json"], { env })).json<{ runId: string; status: string }[]>();
      expect(runs.find((r) => r.runId === queued.runId)?.status).toBe("success");
      // b kept the materialization of the first run, and is fresh
      const status = ok(await dagx(submitter, ["status", "--json"], { env })).json<{ key: string; status: string }[]>();
      expect(Object.fromEntries(status.map((s) => [s.key, s.status]))).toEqual({ a: "fresh", b: "fresh", e: "fresh" });
    } finally {
      w.proc.kill("SIGTERM");
    }
  }, 60_000);

  test("a multi-asset unit with one failed out reports each out's own outcome, as a local run", async () => {
    const files = {
      "pair.asset.ts": [
        `import { asset, multiAsset } from "dagx";`,
        `export const pair = multiAsset({ outs: { good: {}, bad: {} } }, () => ({ good: [{ x: 1 }] }) as never);`,
        `export const afterBad = asset({ ins: { bad: pair.outs.bad } }, (ctx, { bad }) => ctx.sql\`select * from \${bad}\`);`,
      ].join("\n"),
    };
    type Run = { runId: string; status: string; steps: { key: string; status: string; reason?: string; error?: string }[] };
    type Logs = { events: { type: string; assetKey: string | null; payload: Record<string, unknown> }[] };
    const summary = (r: Run, logs: Logs) => ({
      status: r.status,
      steps: r.steps.map((s) => [s.key, s.status, s.reason ?? null]).sort(),
      ends: logs.events.filter((e) => ["step_success", "step_failed", "step_skipped"].includes(e.type)).map((e) => [e.type, e.assetKey, String(e.payload.error ?? e.payload.reason ?? "").split(":")[0]]).sort(),
      materialized: logs.events.filter((e) => e.type === "materialization").map((e) => e.assetKey),
    });
    const local = machine(files, null);
    const localRun = (await runDagx(local, ["materialize", "good", "bad", "afterBad", "--json"])).json<Run>();
    const localLogs = ok(await runDagx(local, ["logs", localRun.runId, "--json"])).json<Logs>();
    const env = { DAGX_STATE_URL: stateUrl("multifail"), DAGX_WORKERS_SHARED_STORAGE: "1" };
    const data = sharedFolder();
    const submitter = machine(files, data);
    const w = startWorker(machine(files, data), env);
    try {
      const queued = (await runDagx(submitter, ["materialize", "good", "bad", "afterBad", "--queue", "--json"], { env })).json<Run>();
      const queuedLogs = ok(await runDagx(submitter, ["logs", queued.runId, "--json"], { env })).json<Logs>();
      expect(summary(localRun, localLogs).steps).toEqual([["afterBad", "skipped", 'upstream "bad" failed'], ["bad", "failed", null], ["good", "success", null]]);
      expect(summary(queued, queuedLogs)).toEqual(summary(localRun, localLogs));
      const failed = queuedLogs.events.find((e) => e.type === "step_failed")!;
      expect(String(failed.payload.error)).toContain('did not return out "bad"');
    } finally {
      w.proc.kill("SIGTERM");
    }
  }, 60_000);

  test("dagx cancel of a queued run that no worker took: canceled at once, from any machine", async () => {
    const env = { DAGX_STATE_URL: stateUrl("cancel") };
    const run = ok(await runDagx(machine(ASSETS, null), ["materialize", "a", "b", "--queue", "--detach"], { env })).stdout.trim();
    const r = ok(await runDagx(machine(ASSETS, null), ["cancel", run, "--wait", "--json"], { env })).json<{ status: string }>();
    expect(r.status).toBe("canceled");
  }, 30_000);

  test("a worker refuses an asset whose IO manager writes local files, naming it and the fix", async () => {
    const env = { DAGX_STATE_URL: stateUrl("local") };
    const submitter = machine(ASSETS, null);
    const w = startWorker(machine(ASSETS, null), env);
    try {
      const r = await runDagx(submitter, ["materialize", "a", "--queue"], { env });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain(`asset "a" stores its output with the IO manager "parquet"`);
      expect(r.stdout + r.stderr).toContain("s3Parquet");
    } finally {
      w.proc.kill("SIGTERM");
    }
  }, 60_000);
});
