/**
 * What fenced outputs (docs/workers.md, "A lost lease never replaces a committed output") cost a
 * local run: an interleaved A/B of this tree against another checkout of dagx (`--base`, e.g. main's
 * code unpacked with `git archive <commit> | tar -x -C /tmp/base`, its node_modules linked).
 *
 *   bun bench/fenced-outputs.bench.ts --base /tmp/base [--rounds N]
 *
 * - `backfill`: `dagx backfill 'a+'`, 366 daily partitions × 3 row assets (Parquet), DuckDB state,
 *   a fresh `.dagx` per sample (the chain of bench/backfill.bench.ts).
 * - `whole-read`: with a Postgres state (embedded, tests/support/postgres.ts), `dagx materialize
 *   total`, an unpartitioned asset reading all 1,095 partitions of a daily upstream: the reader
 *   that now follows the partitions' records instead of computing their paths.
 * Prints each side's samples and median, the per-round ratio's median, and the load.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { startPostgres } from "../tests/support/postgres.ts";
import { BUN, CLI, makeTempProject, removeDir } from "./_util.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const base = arg("--base");
if (!base) {
  console.error("usage: bun bench/fenced-outputs.bench.ts --base <another dagx checkout> [--rounds N]");
  process.exit(2);
}
const rounds = Number(arg("--rounds") ?? 7);
const sides = { base: path.join(base, "cli", "main.ts"), fence: CLI } as const;
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

function run(cli: string, cwd: string, args: string[], env: Record<string, string> = {}): number {
  const t = performance.now();
  const r = Bun.spawnSync([BUN, "--no-env-file", cli, ...args], { cwd, env: { ...process.env, NO_COLOR: "1", CI: "1", ...env }, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cli} ${args.join(" ")}: ${r.stderr.toString()}`);
  return performance.now() - t;
}

function report(name: string, out: Record<"base" | "fence", number[]>): void {
  const ratios = out.fence.map((f, i) => f / out.base[i]!);
  console.log(`${name}: base ${out.base.map(Math.round).join(" ")} → median ${Math.round(med(out.base))} ms`);
  console.log(`${name}: fence ${out.fence.map(Math.round).join(" ")} → median ${Math.round(med(out.fence))} ms; ratio median ${med(ratios).toFixed(3)} (load ${load()})`);
}

const chain = makeTempProject({
  "a.asset.ts": `import { asset, daily } from "dagx";
const days = daily({ start: "2023-01-01", end: "2024-01-02" });
export const a = asset({ partitions: days }, (ctx) => [{ day: ctx.partition!.key, v: 1 }]);
export const b = asset({ partitions: days, ins: { a } }, async (_ctx, { a }) => (await a.rows()).map((r) => ({ day: r.day, v: r.v + 1 })));
export const c = asset({ partitions: days, ins: { b } }, async (_ctx, { b }) => (await b.rows()).map((r) => ({ day: r.day, v: r.v + 1 })));
`,
});
const whole = makeTempProject({
  "a.asset.ts": `import { asset, daily } from "dagx";
export const ev = asset({ partitions: daily({ start: "2021-01-01", end: "2024-01-01" }) }, (ctx) => [{ day: ctx.partition!.key, v: 1 }]);
export const total = asset({ ins: { ev } }, (ctx, { ev }) => ctx.sql\`select count(*)::int as n from \${ev}\`);
`,
});
const pg = await startPostgres();
try {
  const backfill: Record<"base" | "fence", number[]> = { base: [], fence: [] };
  for (let i = 0; i < rounds; i++) {
    for (const side of ["base", "fence"] as const) {
      removeDir(path.join(chain, ".dagx"));
      backfill[side].push(run(sides[side], chain, ["backfill", "a+", "--partitions", "2023-01-01..2024-01-01"]));
    }
  }
  report("backfill", backfill);
  const env = { DAGX_STATE_URL: `${pg.url}?schema=fence_bench` };
  run(CLI, whole, ["backfill", "ev", "--partitions", "2021-01-01..2023-12-31"], env);
  const read: Record<"base" | "fence", number[]> = { base: [], fence: [] };
  for (let i = 0; i < rounds; i++) for (const side of ["base", "fence"] as const) read[side].push(run(sides[side], whole, ["materialize", "total"], env));
  report("whole-read", read);
} finally {
  await pg.stop();
  removeDir(chain);
  removeDir(whole);
}
