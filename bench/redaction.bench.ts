/**
 * What redaction costs a run: the same project materialized with a resource whose `env()` value
 * is secret (every output channel then passes the redactor: terminal lines, each event written
 * to state) and with the same value marked `secret: false` (the redactor knows nothing: its fast
 * path). Each of N assets requests the resource and logs one line holding the value. Interleaved
 * A/B rounds; medians of wall and CPU time; the ratio is what to read.
 *
 *   bun bench/redaction.bench.ts [--assets 300] [--rounds 7]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { measureOk } from "./_measure.ts";
import { BUN, CLI, median } from "./_util.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ASSETS = arg("assets", 300);
const ROUNDS = arg("rounds", 7);

function project(secret: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dagx-bench-redact-${secret ? "on" : "off"}-`));
  fs.writeFileSync(
    path.join(dir, "dagx.config.ts"),
    `import { defineConfig, defineResource, env } from "dagx";
const api = defineResource({ config: { token: env("DAGX_BENCH_VALUE", { secret: ${secret} }) }, setup: ({ config }) => config });
export default defineConfig({ resources: { api } });
`,
  );
  const lines = [`import { asset } from "dagx";`];
  for (let i = 0; i < ASSETS; i++) lines.push(`export const a${i} = asset({ resources: ["api"] }, (ctx) => { ctx.log.info("calling with " + ctx.resources.api.token); return { i: ${i} }; });`);
  fs.writeFileSync(path.join(dir, "a.asset.ts"), `${lines.join("\n")}\n`);
  return dir;
}

const dirs = { off: project(false), on: project(true) };
const env = { ...process.env, NO_COLOR: "1", CI: "1", DAGX_BENCH_VALUE: "tok-bench-0123456789abcdef" };
const wall: Record<"on" | "off", number[]> = { on: [], off: [] };
const cpu: Record<"on" | "off", number[]> = { on: [], off: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const k of r % 2 ? (["on", "off"] as const) : (["off", "on"] as const)) {
    fs.rmSync(path.join(dirs[k], ".dagx"), { recursive: true, force: true });
    const m = await measureOk([BUN, "--no-env-file", CLI, "materialize", "*"], { cwd: dirs[k], env });
    if (k === "on" && m.stderr.includes(env.DAGX_BENCH_VALUE)) throw new Error("the secret was printed");
    wall[k].push(m.ms);
    cpu[k].push(m.cpuMs);
  }
}
const load = os.loadavg()[0]!.toFixed(2);
const f = (x: number) => x.toFixed(0);
console.log(`${ASSETS} assets, ${ROUNDS} rounds, load ${load}`);
console.log(`redaction off: wall ${f(median(wall.off))} ms, cpu ${f(median(cpu.off))} ms`);
console.log(`redaction on:  wall ${f(median(wall.on))} ms, cpu ${f(median(cpu.on))} ms`);
console.log(`ratio on/off:  wall ${(median(wall.on) / median(wall.off)).toFixed(3)}, cpu ${(median(cpu.on) / median(cpu.off)).toFixed(3)}`);
for (const d of Object.values(dirs)) fs.rmSync(d, { recursive: true, force: true });
