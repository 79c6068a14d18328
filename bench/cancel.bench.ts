/**
 * Cross-process cancel of a single run (issue 14): a spawned `dagx materialize` whose one step
 * sleeps until told to stop; once the step runs, this process asks for the cancel through the
 * DuckDB state (`cancelRun`, what `dagx cancel` and the UI call) at a random moment, and the figure
 * is the run's recorded end minus the request's recorded time. Target: < 1 s (the run polls every
 * 500 ms, io/run/cancel-watch.ts).
 *
 *   bun bench/cancel.bench.ts [--runs N]
 */
import { cancelRun } from "../io/run/index.ts";
import { createDuckDBStateStore } from "../io/state/index.ts";
import { BUN, CLI, cliEnv, type Figures, machineFigures, makeTempProject, printFigures, printTargets, removeDir, sleep, statFigures, type Target } from "./_util.ts";

export const targets: Target[] = [{ figure: "latencyMs.max", label: "cancel request → run recorded canceled (max)", op: "<", value: 1000, unit: "ms" }];

const ASSET = `import { asset } from "dagx";
export const slow = asset(async (ctx) => {
  ctx.log.info("slow started");
  await new Promise<void>((resolve) => { const t = setTimeout(resolve, 60_000); ctx.signal.addEventListener("abort", () => { clearTimeout(t); resolve(); }); });
  return 1;
});
`;

export async function run(options: { runs?: number } = {}): Promise<Figures> {
  const runs = options.runs ?? 5;
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = makeTempProject({ "slow.asset.ts": ASSET, ".dagx/.keep": "" }, "dagx-bench-cancel-");
    try {
      const proc = Bun.spawn([BUN, "--no-env-file", CLI, "materialize"], { cwd: dir, stdout: "ignore", stderr: "pipe", env: cliEnv() });
      const reader = proc.stderr.getReader();
      let err = "";
      while (!err.includes("slow started")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`materialize ended early:\n${err}`);
        err += new TextDecoder().decode(value);
      }
      void (async () => { while (!(await reader.read()).done); })();
      // anywhere in the poll period, past the first poll
      await sleep(600 + Math.random() * 500);
      const store = createDuckDBStateStore(`${dir}/.dagx/state.duckdb`);
      const [r] = await store.listRuns({ status: "running" });
      const asked = await cancelRun(store, r!.runId, Date.now());
      await store.close();
      if (asked.status !== "requested") throw new Error(`cancel: ${asked.status}`);
      await proc.exited;
      const after = createDuckDBStateStore(`${dir}/.dagx/state.duckdb`);
      const ended = (await after.getRun(r!.runId))!;
      await after.close();
      if (ended.status !== "canceled") throw new Error(`run ended ${ended.status}`);
      latencies.push(ended.endedAt! - ended.cancelRequestedAt!);
    } finally {
      removeDir(dir);
    }
  }
  return { ...machineFigures(), runs, ...statFigures("latencyMs", latencies, 0), "latencyMs.max": Math.max(...latencies) };
}

if (import.meta.main) {
  const i = process.argv.indexOf("--runs");
  const figures = await run({ runs: i > 0 ? Number(process.argv[i + 1]) : undefined });
  printFigures("cancel", figures);
  printTargets(figures, targets);
}
