/**
 * The floor of `dagx status` at 1,000,000 partitions with a partitioned upstream (docs/benchmarks.md,
 * "Issue 12 (5 Dec)"): on states prepared by `bun bench/status-1m.bench.ts --sizes "" --upstream-sizes ""
 * --partitioned-sizes 1000000 --keep`, interleaved rounds of, per case: `dagx --version` (process
 * start), the floor entry (bench/status-floor-entry.ts compiled like dagx) with `attach`, `compare`
 * and `both` (summaries + comparison), then `dagx status --json` of this tree and of a base binary.
 * Wall ms and peak RSS (VmHWM from /usr/bin/time) medians.
 *
 *   bun bench/status-floor.bench.ts --dirs name=dir,… [--runs 7] [--base other/dagx]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BINARY, median, REPO, round } from "./_util.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(arg("--runs") ?? 7);
const base = arg("--base");
const dirs = (arg("--dirs") ?? "").split(",").filter(Boolean).map((p) => p.split("=") as [string, string]);
const floor = path.join(os.tmpdir(), `dagx-status-floor-${process.pid}`);
const build = Bun.spawnSync([process.execPath, path.join(REPO, "scripts", "build.ts"), path.join(REPO, "bench", "status-floor-entry.ts"), floor], { stdout: "pipe", stderr: "pipe" });
if (build.exitCode !== 0) throw new Error(build.stderr.toString());

const MAPPING: Record<string, string> = { "1m-hourlyUpstream": "identity", "1m-dailyUpstream": "daily", "1m-allUpstream": "all" };
const rssFile = path.join(os.tmpdir(), `dagx-status-floor-rss-${process.pid}`);
function timed(cmd: string[], cwd: string): { ms: number; rssMB: number } {
  const t0 = performance.now();
  const r = Bun.spawnSync(["/usr/bin/time", "-f", "%M", "-o", rssFile, ...cmd], { cwd, stdout: "ignore", stderr: "pipe" });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
  return { ms, rssMB: Number(fs.readFileSync(rssFile, "utf8").trim().split("\n").at(-1)) / 1024 };
}

const samples = new Map<string, { ms: number[]; rssMB: number[] }>();
for (let round_ = 0; round_ <= runs; round_++) {
  for (const [name, dir] of dirs) {
    const state = path.join(dir, ".dagx", "state.duckdb");
    const m = MAPPING[name] ?? "identity";
    const steps: [string, string[]][] = [
      ["start (dagx --version)", [BINARY, "--version"]],
      ["floor: attach", [floor, state, "attach", m]],
      ["floor: compare", [floor, state, "compare", m]],
      ["floor: compare, exact (no digests)", [floor, state, "exact", m]],
      ["floor: summaries + compare", [floor, state, "both", m]],
      ["dagx status --json", [BINARY, "status", "--json"]],
      ...(base ? [["base status --json", [base, "status", "--json"]] as [string, string[]]] : []),
    ];
    for (const [label, cmd] of steps) {
      const r = timed(cmd, dir);
      if (round_ === 0) continue; // warm-up
      const key = `${name} | ${label}`;
      const s = samples.get(key) ?? samples.set(key, { ms: [], rssMB: [] }).get(key)!;
      s.ms.push(r.ms);
      s.rssMB.push(r.rssMB);
    }
  }
}
fs.rmSync(floor, { force: true });
fs.rmSync(rssFile, { force: true });
console.log(`load: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
for (const [key, s] of samples) console.log(`${key.padEnd(60)} ${String(round(median(s.ms))).padStart(8)} ms ${String(round(median(s.rssMB))).padStart(8)} MB`);
