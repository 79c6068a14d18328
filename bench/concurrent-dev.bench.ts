/**
 * 20 concurrent CLI commands while `dagx dev` runs (DESIGN §10: 0 errors, 0 lost events; Dagster
 * on SQLite says "database is locked"). The temp project is bench/concurrent-cli's 10 assets plus
 * a small daily-partitioned pair (`daily_raw` → `daily_sum`, January 2024), a trivial asset the
 * bench edits (`dev_edit`), and a schedule that ticks every second (`* * * * * *`, materializing
 * `events`). `dagx dev` (with its daemon worker) is started, and the bench waits until a scheduled
 * run has finished. Then, per round, 20 processes start at the same moment:
 *
 *   6 `status --json`, 8 `materialize <asset> --json`, 3 `query "…" --json`,
 *   3 `backfill daily_raw+ --partitions <2 days> --json` (disjoint ranges),
 *
 * and at the same moment `dev_edit.asset.ts` is saved, so dev reloads, restarts its daemon worker
 * and runs `dev_edit` as well. Every command must exit 0 with no "lock" on stderr and valid JSON
 * (runs with status success); dev must print "up to date" for the edit and no error line.
 * Lost events: after the last round dev is stopped (SIGINT) and EVERY run in the state file (CLI
 * materializes, backfills, dev runs, scheduled runs) is read back with `dagx logs <id> --json`:
 * no run left `running`, run_started first and run_finished last, `seq` 1..n without gaps, every
 * step_started closed by a step_success/step_failed; the CLI materialize runs must also hold
 * step_started / materialization / step_success of their asset, and every run id a command
 * printed must be in `dagx runs`.
 *
 *   bun bench/concurrent-dev.bench.ts [--rounds N] [--source]
 */
import fs from "node:fs";
import path from "node:path";
import { PROJECT } from "./concurrent-cli.bench.ts";
import {
  BUN, CLI, cliEnv, ensureBinary, type Figures, machineFigures, makeTempDir, makeTempProject, median, percentile, printFigures, printTargets,
  removeDir, round, sleep, spawnOk, spawnTimed, type SpawnResult, type Target,
} from "./_util.ts";

export const targets: Target[] = [
  { figure: "errors", label: "20 concurrent CLI commands + `dagx dev`: errors", op: "==", value: 0, unit: "" },
  { figure: "lostEvents", label: "20 concurrent CLI commands + `dagx dev`: lost events", op: "==", value: 0, unit: "" },
];

const ASSETS = ["settings", "orders", "customers", "events", "order_count", "revenue", "by_customer", "customer_names", "event_sum", "report"];
const editFile = (v: number) => `import { asset } from "dagx";\nexport const dev_edit = asset(() => ({ v: ${v} }));\n`;

export const DEV_PROJECT: Record<string, string> = {
  ...PROJECT,
  "daily.asset.ts": [
    `import { asset, daily } from "dagx";`,
    `const JAN = daily({ start: "2024-01-01", end: "2024-02-01" });`,
    `export const daily_raw = asset({ partitions: JAN }, (ctx) => [{ day: ctx.partition.key, n: ctx.partition.key.length }]);`,
    `export const daily_sum = asset({ ins: { daily_raw }, partitions: JAN }, async (_ctx, { daily_raw }) => ({ n: (await daily_raw.rows()).length }));`,
    ``,
  ].join("\n"),
  "dev_edit.asset.ts": editFile(0),
  "schedules.asset.ts": [`import { schedule } from "dagx";`, `export const every_second = schedule({ cron: "* * * * * *", select: "events" });`, ``].join("\n"),
};

interface LogsJson {
  run: { runId: string; status: string; trigger: string };
  events: { seq: number; type: string; assetKey: string | null; partitionKey: string | null }[];
}

/** Problems with one run's stored events (empty when complete). */
function checkRun(logs: LogsJson, asset: string | null): string[] {
  const problems: string[] = [];
  const ev = logs.events;
  ev.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push(`seq gap: expected ${i + 1}, found ${e.seq}`);
  });
  if (ev[0]?.type !== "run_started") problems.push("first event is not run_started");
  if (ev.at(-1)?.type !== "run_finished") problems.push("last event is not run_finished");
  const open = new Map<string, number>();
  for (const e of ev) {
    const k = `${e.assetKey}\0${e.partitionKey ?? ""}`;
    if (e.type === "step_started") open.set(k, (open.get(k) ?? 0) + 1);
    if (e.type === "step_success" || e.type === "step_failed" || e.type === "step_canceled") open.set(k, (open.get(k) ?? 0) - 1);
  }
  for (const [k, n] of open) if (n > 0) problems.push(`step ${k.replace("\0", " ")} started but never ended`);
  if (asset) for (const t of ["step_started", "materialization", "step_success"]) if (!ev.some((e) => e.type === t && e.assetKey === asset)) problems.push(`missing ${t} of ${asset}`);
  if (logs.run.status === "running" || logs.run.status === "abandoned") problems.push(`run left ${logs.run.status}`);
  return problems;
}

interface Job {
  kind: "status" | "materialize" | "query" | "backfill";
  asset: string | null;
  args: string[];
}

function jobs(round: number): Job[] {
  const out: Job[] = [];
  for (let i = 0; i < 6; i++) out.push({ kind: "status", asset: null, args: ["status", "--json"] });
  for (let i = 0; i < 8; i++) {
    const asset = ASSETS[(i + round * 3) % ASSETS.length]!;
    out.push({ kind: "materialize", asset, args: ["materialize", asset, "--json"] });
  }
  const queries = ["select count(*) as n from orders", "select customer, amount from by_customer order by amount desc limit 3", "select * from settings"];
  for (const q of queries) out.push({ kind: "query", asset: null, args: ["query", q, "--json"] });
  for (let i = 0; i < 3; i++) {
    const d = 1 + (round * 3 + i) * 2; // two days each, disjoint across rounds and jobs
    const day = (n: number) => `2024-01-${String(n).padStart(2, "0")}`;
    out.push({ kind: "backfill", asset: "daily_raw", args: ["backfill", "daily_raw+", "--partitions", `${day(d)}..${day(d + 1)}`, "--json"] });
  }
  // interleave the kinds so the spawn order does not group them
  return out.map((j, i) => ({ j, k: (i * 7) % out.length })).sort((a, b) => a.k - b.k).map((x) => x.j);
}

export async function run(options: { rounds?: number; source?: boolean } = {}): Promise<Figures> {
  const rounds = Math.min(options.rounds ?? 3, 5);
  const bin = options.source ? null : await ensureBinary();
  const cmd = (args: string[]) => (bin ? [bin.path, ...args] : [BUN, CLI, ...args]);
  const project = makeTempProject(DEV_PROJECT, "dagx-bench-cdev-");
  const scratch = makeTempDir("dagx-bench-cdev-out-");
  const env = cliEnv();
  let errors = 0;
  let lostEvents = 0;
  const problems: string[] = [];
  const walls: number[] = [];
  const ms: Record<Job["kind"], number[]> = { status: [], materialize: [], query: [], backfill: [] };
  const printedRuns: { runId: string; asset: string | null; kind: string }[] = [];
  let devText = "";
  let dev: ReturnType<typeof Bun.spawn> | null = null;
  try {
    await spawnOk(cmd(["materialize", ...ASSETS, "dev_edit", "--json"]), { cwd: project, env });
    dev = Bun.spawn(cmd(["dev"]), { cwd: project, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const read = async (s: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      for await (const chunk of s) devText += dec.decode(chunk, { stream: true });
    };
    void read(dev.stderr as ReadableStream<Uint8Array>);
    void read(dev.stdout as ReadableStream<Uint8Array>);
    const waitDev = async (re: RegExp, from: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(devText.slice(from));
        if (m) return m;
        if (dev!.exitCode !== null) throw new Error(`dagx dev exited (${dev!.exitCode}):\n${devText.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`dagx dev: no ${re} within ${timeoutMs} ms:\n${devText.slice(from).slice(-3000)}`);
        await sleep(25);
      }
    };
    await waitDev(/watching for changes/, 0, 60_000);
    await waitDev(/schedule every_second: run \S+ success/, 0, 30_000);
    let scheduledBefore = (devText.match(/schedule every_second: run \S+ \w+/g) ?? []).length;
    let scheduledDuring = 0;

    for (let r = 0; r < rounds; r++) {
      const list = jobs(r);
      const from = devText.length;
      const t0 = performance.now();
      const pending = list.map((j) => spawnTimed(cmd(j.args), { cwd: project, env, timeoutMs: 180_000 }));
      fs.writeFileSync(path.join(project, "dev_edit.asset.ts"), editFile(r + 1));
      const results: SpawnResult[] = await Promise.all(pending);
      walls.push(performance.now() - t0);
      try {
        const m = await waitDev(/^✔ up to date \(run (\S+)\)|^run (\S*) ?(failed|canceled|error)|^nothing stale/m, from, 60_000);
        if (m[1]) printedRuns.push({ runId: m[1], asset: "dev_edit", kind: "dev" });
        else {
          errors++;
          problems.push(`round ${r + 1}: dev reload did not end in a successful run: ${m[0]}\n  dev printed: ${devText.slice(from).trim().split("\n").slice(0, 12).join("\n  ")}`);
        }
      } catch (e) {
        errors++;
        problems.push(`round ${r + 1}: ${(e as Error).message.split("\n")[0]}`);
      }
      results.forEach((res, i) => {
        const job = list[i]!;
        ms[job.kind].push(res.ms);
        const fail = (why: string) => {
          errors++;
          problems.push(`round ${r + 1}: \`dagx ${job.args.join(" ")}\` ${why}: ${res.stderr.trim().split("\n").slice(-3).join(" | ")}`);
        };
        if (res.code !== 0) return fail(`exited ${res.code}`);
        if (/lock/i.test(res.stderr)) return fail(`printed "lock" on stderr`);
        let out: unknown;
        try {
          out = JSON.parse(res.stdout);
        } catch {
          return fail("printed no valid JSON");
        }
        if (job.kind === "status" && (!Array.isArray(out) || out.length < ASSETS.length)) return fail(`listed ${Array.isArray(out) ? out.length : "no"} assets`);
        if (job.kind === "query" && !(Array.isArray(out) || (typeof out === "object" && out !== null))) return fail("returned no rows");
        if (job.kind === "materialize" || job.kind === "backfill") {
          const o = out as { runId: string | null; status: string };
          if (o.status !== "success") return fail(`run ${o.status}`);
          if (o.runId) printedRuns.push({ runId: o.runId, asset: job.kind === "materialize" ? job.asset : null, kind: job.kind });
          else if (job.kind === "materialize") return fail("printed no run id");
        }
      });
      const now = (devText.match(/schedule every_second: run \S+ \w+/g) ?? []).length;
      scheduledDuring += now - scheduledBefore;
      scheduledBefore = now;
      await sleep(1500); // let a scheduled run or two go through between bursts
    }

    // stop dev (cancels its daemon worker's run, if any), then read every run back
    dev.kill("SIGINT");
    const killer = setTimeout(() => dev?.kill(9), 15_000);
    const devCode = await dev.exited;
    clearTimeout(killer);
    if (devCode !== 0) problems.push(`dagx dev exited ${devCode} on SIGINT`);
    for (const line of devText.split("\n")) {
      if (/lock|evaluation failed|internal error|✗/i.test(line)) {
        errors++;
        problems.push(`dagx dev: ${line.trim()}`);
      }
    }
    const runsFile = path.join(scratch, "runs.json");
    const runs = JSON.parse((await spawnOk(cmd(["runs", "--limit", "100000", "--json"]), { cwd: project, env, stdoutFile: runsFile })).stdout) as { runId: string; trigger: string; status: string }[];
    const byId = new Map(runs.map((x) => [x.runId, x]));
    for (const p of printedRuns) {
      if (!byId.has(p.runId)) {
        lostEvents++;
        problems.push(`${p.kind} run ${p.runId} missing from \`dagx runs\``);
      }
    }
    const expectAsset = new Map(printedRuns.filter((p) => p.kind === "materialize").map((p) => [p.runId, p.asset]));
    const triggers: Record<string, number> = {};
    for (const x of runs) {
      const t = x.trigger.startsWith("schedule") ? "schedule" : x.trigger;
      triggers[t] = (triggers[t] ?? 0) + 1;
      const file = path.join(scratch, `${x.runId}.json`);
      const logs = JSON.parse((await spawnOk(cmd(["logs", x.runId, "--json"]), { cwd: project, env, stdoutFile: file })).stdout) as LogsJson;
      fs.rmSync(file, { force: true });
      const p = checkRun(logs, expectAsset.get(x.runId) ?? null);
      if (p.length) {
        lostEvents += p.length;
        problems.push(...p.map((q) => `run ${x.runId} (${x.trigger}, ${x.status}): ${q}`));
      }
    }
    const all = Object.values(ms).flat();
    const figures: Figures = {
      ...machineFigures(),
      binary: bin !== null,
      processes: 20,
      rounds,
      errors,
      lostEvents,
      runsChecked: runs.length,
      printedRuns: printedRuns.length,
      scheduledRunsDuringBursts: scheduledDuring,
      "wallMs.median": round(median(walls)),
      "wallMs.max": round(Math.max(...walls)),
      "all.ms.median": round(median(all)),
      "all.ms.p95": round(percentile(all, 0.95)),
    };
    for (const [t, n] of Object.entries(triggers)) figures[`runs.${t.replace(/[^\w]+/g, "_")}`] = n;
    for (const [k, xs] of Object.entries(ms)) {
      figures[`${k}.ms.median`] = round(median(xs));
      figures[`${k}.ms.p95`] = round(percentile(xs, 0.95));
    }
    if (problems.length) figures.problems = problems.slice(0, 25).join("\n");
    return figures;
  } finally {
    if (dev && dev.exitCode === null) {
      dev.kill(9);
      await dev.exited;
    }
    removeDir(project);
    removeDir(scratch);
  }
}

if (import.meta.main) {
  const i = process.argv.indexOf("--rounds");
  const figures = await run({ rounds: i > 0 ? Number(process.argv[i + 1]) : undefined, source: process.argv.includes("--source") });
  printFigures("20 concurrent CLI processes + a running `dagx dev` (ms)", figures);
  process.exitCode = printTargets(figures, targets) ? 0 : 1;
}
