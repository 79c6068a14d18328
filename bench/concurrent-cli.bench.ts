/**
 * Concurrent CLI processes on one project (DESIGN §10: 20 concurrent CLI commands → 0 errors, 0 lost
 * events; DuckDB's own lock would make most of them fail at once). A temp project with 10 assets is
 * materialized once (setup), then 20 processes start at the same moment: 10 `status --json` and
 * 10 `materialize <one asset> --json`. Every process must exit 0 with no "lock" in its stderr.
 * Afterwards each materialize run is read back with `dagx logs <runId> --json`: its events must be
 * complete (run_started, step_started / materialization / step_success per step, run_finished,
 * seq 1..n without gaps) and the run count must be exactly 10 per round (+ the setup run).
 * `dagx dev` does not exist yet, so the "+ a running dagx dev" part of the target is not covered.
 *
 *   bun bench/concurrent-cli.bench.ts [--rounds N] [--source]
 */
import fs from "node:fs";
import path from "node:path";
import {
  BUN, CLI, cliEnv, ensureBinary, type Figures, machineFigures, makeTempDir, makeTempProject, median, percentile, printFigures,
  printTargets, removeDir, resetState, round, spawnOk, spawnTimed, type SpawnResult, type Target,
} from "./_util.ts";

export const targets: Target[] = [
  { figure: "errors", label: "20 concurrent CLI commands: errors", op: "==", value: 0, unit: "" },
  { figure: "lostEvents", label: "20 concurrent CLI commands: lost events", op: "==", value: 0, unit: "" },
];

/** 10 assets: JSON values and row sets (Parquet), with ins and deps between them. */
export const PROJECT: Record<string, string> = {
  "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`,
  "raw.asset.ts": [
    `import { asset } from "dagx";`,
    `export const settings = asset(() => ({ currency: "EUR", factor: 2 }));`,
    `export const orders = asset(() => Array.from({ length: 200 }, (_, i) => ({ id: i, customer: i % 17, amount: (i * 7) % 101 })));`,
    `export const customers = asset(() => Array.from({ length: 17 }, (_, i) => ({ id: i, name: \`c\${i}\` })));`,
    `export const events = asset(() => [1, 2, 3]);`,
    ``,
  ].join("\n"),
  "marts.asset.ts": [
    `import { asset } from "dagx";`,
    `import { customers, events, orders, settings } from "./raw.asset.ts";`,
    `export const order_count = asset({ ins: { orders } }, async (_ctx, { orders }) => (await orders.rows()).length);`,
    `export const revenue = asset({ ins: { orders, settings } }, async (_ctx, { orders, settings }) => ({ total: (await orders.rows()).reduce((s, r) => s + Number(r.amount), 0) * settings.factor }));`,
    `export const by_customer = asset({ ins: { orders } }, (ctx, { orders }) => ctx.sql\`select customer, sum(amount) as amount from \${orders} group by 1\`);`,
    `export const customer_names = asset({ ins: { customers }, deps: ["by_customer"] }, async (_ctx, { customers }) => (await customers.rows()).map((c) => c.name));`,
    `export const event_sum = asset({ ins: { events } }, (_ctx, { events }) => events.reduce((a, b) => a + b, 0));`,
    `export const report = asset({ ins: { revenue, order_count }, deps: [event_sum] }, (_ctx, { revenue, order_count }) => ({ ...revenue, orders: order_count }));`,
    ``,
  ].join("\n"),
};

const ASSETS = ["settings", "orders", "customers", "events", "order_count", "revenue", "by_customer", "customer_names", "event_sum", "report"];

interface LogsJson {
  run: { runId: string; status: string };
  events: { seq: number; type: string; assetKey: string | null }[];
}

/** Problems with one run's stored events (empty when complete). */
function checkEvents(logs: LogsJson, steps: string[]): string[] {
  const problems: string[] = [];
  const ev = logs.events;
  const seqs = ev.map((e) => e.seq);
  for (let i = 0; i < seqs.length; i++) if (seqs[i] !== i + 1) problems.push(`seq gap: expected ${i + 1}, found ${seqs[i]}`);
  const has = (type: string, key: string | null = null) => ev.some((e) => e.type === type && (key === null || e.assetKey === key));
  if (ev[0]?.type !== "run_started") problems.push("first event is not run_started");
  if (ev.at(-1)?.type !== "run_finished") problems.push("last event is not run_finished");
  for (const k of steps) for (const t of ["step_started", "materialization", "step_success"]) if (!has(t, k)) problems.push(`missing ${t} of ${k}`);
  if (logs.run.status !== "success") problems.push(`run status ${logs.run.status}`);
  return problems;
}

export async function run(options: { rounds?: number; source?: boolean; processes?: number } = {}): Promise<Figures> {
  const rounds = options.rounds ?? 3;
  const half = Math.floor((options.processes ?? 20) / 2);
  const bin = options.source ? null : await ensureBinary();
  const cmd = (args: string[]) => (bin ? [bin.path, ...args] : [BUN, CLI, ...args]);
  const project = makeTempProject(PROJECT, "dagx-bench-concurrent-");
  const scratch = makeTempDir("dagx-bench-concurrent-out-");
  const env = cliEnv();
  let errors = 0;
  let lostEvents = 0;
  const problems: string[] = [];
  const walls: number[] = [];
  const statusMs: number[] = [];
  const materializeMs: number[] = [];
  let runsCounted = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      resetState(project);
      const setup = await spawnOk(cmd(["materialize", "--json"]), { cwd: project, env });
      const setupRun = JSON.parse(setup.stdout) as { runId: string; status: string };
      if (setupRun.status !== "success") throw new Error(`setup run ${setupRun.status}`);

      // 20 processes at once: half status, half materialize of one asset each.
      const jobs: { kind: "status" | "materialize"; asset: string | null; args: string[] }[] = [];
      for (let i = 0; i < half; i++) {
        jobs.push({ kind: "status", asset: null, args: ["status", "--json"] });
        const asset = ASSETS[i % ASSETS.length]!;
        jobs.push({ kind: "materialize", asset, args: ["materialize", asset, "--json"] });
      }
      const t0 = performance.now();
      const results: SpawnResult[] = await Promise.all(jobs.map((j) => spawnTimed(cmd(j.args), { cwd: project, env, timeoutMs: 120_000 })));
      walls.push(performance.now() - t0);

      const runIds: { runId: string; asset: string }[] = [];
      results.forEach((res, i) => {
        const job = jobs[i]!;
        (job.kind === "status" ? statusMs : materializeMs).push(res.ms);
        const fail = (why: string) => {
          errors++;
          problems.push(`round ${r + 1}: \`dagx ${job.args.join(" ")}\` ${why}: ${res.stderr.trim().split("\n").slice(-3).join(" | ")}`);
        };
        if (res.code !== 0) return fail(`exited ${res.code}`);
        if (/lock/i.test(res.stderr)) return fail(`printed "lock" on stderr`);
        try {
          const out = JSON.parse(res.stdout) as unknown;
          if (job.kind === "status") {
            if (!Array.isArray(out) || out.length !== ASSETS.length) return fail(`listed ${Array.isArray(out) ? out.length : "no"} assets`);
          } else {
            const o = out as { runId: string; status: string };
            if (o.status !== "success") return fail(`run ${o.status}`);
            runIds.push({ runId: o.runId, asset: job.asset! });
          }
        } catch {
          return fail("printed no valid JSON");
        }
      });

      // Read back: every run recorded, every run's events complete.
      const runs = JSON.parse((await spawnOk(cmd(["runs", "--limit", "1000", "--json"]), { cwd: project, env })).stdout) as { runId: string }[];
      const concurrentRuns = runs.filter((x) => x.runId !== setupRun.runId).length;
      runsCounted += concurrentRuns;
      if (concurrentRuns !== half) {
        problems.push(`round ${r + 1}: ${concurrentRuns} runs recorded, expected ${half}`);
        lostEvents += Math.abs(half - concurrentRuns);
      }
      for (const { runId, asset } of runIds) {
        if (!runs.some((x) => x.runId === runId)) problems.push(`round ${r + 1}: run ${runId} missing from \`dagx runs\``);
        const logsFile = path.join(scratch, `${runId}.json`);
        const logs = JSON.parse((await spawnOk(cmd(["logs", runId, "--json"]), { cwd: project, env, stdoutFile: logsFile })).stdout) as LogsJson;
        const p = checkEvents(logs, [asset]);
        if (p.length) {
          lostEvents += p.length;
          problems.push(...p.map((x) => `round ${r + 1}: run ${runId} (${asset}): ${x}`));
        }
        fs.rmSync(logsFile, { force: true });
      }
    }
    const figures: Figures = {
      ...machineFigures(),
      binary: bin !== null,
      processes: half * 2,
      rounds,
      errors,
      lostEvents,
      runsRecorded: runsCounted,
      runsExpected: half * rounds,
      "wallMs.median": round(median(walls)),
      "wallMs.max": round(Math.max(...walls)),
      "status.ms.median": round(median(statusMs)),
      "status.ms.p95": round(percentile(statusMs, 0.95)),
      "materialize.ms.median": round(median(materializeMs)),
      "materialize.ms.p95": round(percentile(materializeMs, 0.95)),
    };
    if (problems.length) figures.problems = problems.slice(0, 20).join("\n");
    return figures;
  } finally {
    removeDir(project);
    removeDir(scratch);
  }
}

if (import.meta.main) {
  const i = process.argv.indexOf("--rounds");
  const figures = await run({ rounds: i > 0 ? Number(process.argv[i + 1]) : undefined, source: process.argv.includes("--source") });
  printFigures("20 concurrent CLI processes on one project (ms)", figures);
  process.exitCode = printTargets(figures, targets) ? 0 : 1;
}
