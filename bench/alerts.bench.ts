/**
 * What alerts cost a run: `dagx materialize` of one trivial asset, spawned, with and without an
 * `alerts` webhook (to a local server in this process), for a run that succeeds (alerts: one more
 * state transaction, the incident check) and one that fails (alerts: the incident, one POST, the
 * delivery record, the log event). `.dagx` is removed before every run so each failure is a new
 * incident. Interleaved rounds; medians of wall and CPU time.
 *
 *   bun bench/alerts.bench.ts [--rounds 9]
 */
import fs from "node:fs";
import path from "node:path";
import { BUN, CLI, cliEnv, makeTempProject, median, removeDir, spawnTimed } from "./_util.ts";

const at = process.argv.indexOf("--rounds");
const ROUNDS = at > 0 ? Number(process.argv[at + 1]) : 9;

let posts = 0;
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: async (req) => (await req.text(), posts++, new Response("ok")) });
const url = `http://127.0.0.1:${server.port}/hook`;

const asset = (fail: boolean) => `import { asset } from "dagx";\nexport const a = asset(() => { ${fail ? 'throw new Error("boom");' : "return [{ x: 1 }];"} });\n`;
const config = (alerts: boolean) => `import { defineConfig } from "dagx";\nexport default defineConfig({ ${alerts ? `alerts: [{ on: "run_failure", webhook: "${url}" }]` : ""} });\n`;
const cases = {
  "success, no alerts": makeTempProject({ "dagx.config.ts": config(false), "a.asset.ts": asset(false) }),
  "success, alerts": makeTempProject({ "dagx.config.ts": config(true), "a.asset.ts": asset(false) }),
  "failure, no alerts": makeTempProject({ "dagx.config.ts": config(false), "a.asset.ts": asset(true) }),
  "failure, alerts (1 POST)": makeTempProject({ "dagx.config.ts": config(true), "a.asset.ts": asset(true) }),
};
type Case = keyof typeof cases;
const wall = new Map<Case, number[]>();
const cpu = new Map<Case, number[]>();
const names = Object.keys(cases) as Case[];
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) {
      fs.rmSync(path.join(cases[name], ".dagx"), { recursive: true, force: true });
      const m = await spawnTimed([BUN, "--no-env-file", CLI, "materialize"], { cwd: cases[name], env: cliEnv() });
      if (m.code !== (name.startsWith("failure") ? 1 : 0)) throw new Error(`${name}: exit ${m.code}\n${m.stderr}`);
      wall.set(name, [...(wall.get(name) ?? []), m.ms]);
      cpu.set(name, [...(cpu.get(name) ?? []), m.cpuMs]);
    }
  }
} finally {
  server.stop(true);
  for (const dir of Object.values(cases)) removeDir(dir);
}
if (posts !== ROUNDS) throw new Error(`expected ${ROUNDS} alerts, got ${posts}`);
console.log(`rounds ${ROUNDS}, load ${(await import("node:os")).loadavg()[0]!.toFixed(1)}`);
console.log("| case | wall (median ms) | CPU (median ms) |\n|---|---|---|");
for (const name of names) console.log(`| ${name} | ${median(wall.get(name)!).toFixed(0)} | ${median(cpu.get(name)!).toFixed(0)} |`);
