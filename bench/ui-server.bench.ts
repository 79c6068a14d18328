/**
 * The UI server (`dagx ui`): idle RSS and CPU (no page open, and one change stream open: the state
 * file is stat'ed every 250 ms), state change → SSE event latency, `/api/assets` latency on
 * examples/shop and on a 1,000-asset project, and the size of the app's bundle.
 *
 *   bun bench/ui-server.bench.ts [--idle-ms 5000] [--reps 7] [--binary]
 *
 * The server is a spawned `dagx ui --port 0 --json` (the compiled binary with --binary, else from
 * source) on a copy of examples/shop materialized once. CPU is the server's utime+stime from
 * /proc/<pid>/stat over the idle window; RSS is VmRSS. Event latency: this process writes a run
 * record into the same state file (createRun then updateRun to success, each its own session) and
 * times from the start of the write to the arrival of the `runs` change event on an open stream —
 * so it includes the write itself. The 1,000-asset project is bench/daemon-rss.bench.ts's (100 files
 * of 10 chained assets), materialized once.
 */
import fs from "node:fs";
import path from "node:path";
import { createDuckDBStateStore } from "../io/state/index.ts";
import { loadAppBundle } from "../io/ui/index.ts";
import { daemonProject } from "./daemon-rss.bench.ts";
import { BINARY, BUN, CLI, cliEnv, type Figures, machineFigures, makeTempDir, makeTempProject, median, printFigures, REPO, removeDir, round, sleep, spawnOk, type Target } from "./_util.ts";

export const targets: Target[] = [
  { figure: "event.median", label: "state change → SSE event (server side, write included)", op: "<", value: 1000, unit: "ms" },
];

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // fields 14 and 15 (utime, stime) in clock ticks (100/s); after the ") " split they are at 11, 12
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}
function rssMb(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(s)![1]) / 1024;
}

async function startUi(root: string, binary: boolean): Promise<{ proc: ReturnType<typeof Bun.spawn>; origin: string; token: string }> {
  const cmd = binary ? [BINARY, "-C", root, "ui", "--port", "0", "--json"] : [BUN, "--no-env-file", CLI, "-C", root, "ui", "--port", "0", "--json"];
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "ignore", env: cliEnv() });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("dagx ui exited before printing its URL");
    text += new TextDecoder().decode(value);
    const m = /"url":\s*"(http:\/\/[^/]+)\/\?token=([^"]+)"/.exec(text);
    if (m) return { proc, origin: m[1]!, token: m[2]! };
  }
}

async function apiLatency(origin: string, token: string, reps: number): Promise<{ first: number; median: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    const res = await fetch(`${origin}/api/assets`, { headers: { "X-Dagx-Token": token } });
    bytes = (await res.arrayBuffer()).byteLength;
    times.push(performance.now() - t0);
  }
  return { first: round(times[0]!), median: round(median(times.slice(1))), bytes };
}

export async function run(o: { idleMs?: number; reps?: number; binary?: boolean } = {}): Promise<Figures> {
  const idleMs = o.idleMs ?? 5000;
  const reps = o.reps ?? 7;
  const binary = o.binary ?? false;
  const figures: Figures = { ...machineFigures(), binary };
  const shop = makeTempDir("dagx-bench-ui-");
  fs.cpSync(path.join(REPO, "examples/shop"), shop, { recursive: true, filter: (s) => !s.includes(".dagx") });
  const big = makeTempProject(daemonProject(100, 10, 0), "dagx-bench-ui1k-");
  try {
    await spawnOk([BUN, "--no-env-file", CLI, "-C", shop, "materialize"]);
    await spawnOk([BUN, "--no-env-file", CLI, "-C", big, "materialize"], { timeoutMs: 300_000 });

    const bundle = await loadAppBundle();
    figures["bundle.bytes"] = bundle.bytes;
    figures["bundle.gzipBytes"] = [...bundle.files.values()].reduce((n, f) => n + Bun.gzipSync(f.bytes).length, 0);
    figures["bundle.files"] = bundle.files.size;

    const ui = await startUi(shop, binary);
    try {
      await sleep(1000);
      figures["rss.startMb"] = round(rssMb(ui.proc.pid));
      const a = await apiLatency(ui.origin, ui.token, reps);
      figures["shop.assets.firstMs"] = a.first;
      figures["shop.assets.medianMs"] = a.median;
      figures["shop.assets.bytes"] = a.bytes;
      // idle, no page open
      await sleep(500);
      let c0 = cpuMs(ui.proc.pid);
      await sleep(idleMs);
      figures["idle.cpuPercent"] = round(((cpuMs(ui.proc.pid) - c0) / idleMs) * 100, 2);
      figures["idle.rssMb"] = round(rssMb(ui.proc.pid));
      // idle with a change stream open: the poll runs
      const stream = await fetch(`${ui.origin}/api/events`, { headers: { Cookie: `dagx_token=${ui.token}`, Origin: ui.origin } });
      const reader = stream.body!.getReader();
      const arrivals: number[] = [];
      void (async () => {
        const dec = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          if (dec.decode(value).includes("event: change")) arrivals.push(performance.now());
        }
      })();
      await sleep(1000);
      c0 = cpuMs(ui.proc.pid);
      await sleep(idleMs);
      figures["stream.idle.cpuPercent"] = round(((cpuMs(ui.proc.pid) - c0) / idleMs) * 100, 2);
      figures["stream.idle.rssMb"] = round(rssMb(ui.proc.pid));
      // state change → event
      const lat: number[] = [];
      for (let i = 0; i < reps; i++) {
        const runId = Bun.randomUUIDv7();
        const n = arrivals.length;
        const t0 = performance.now();
        // a store per write, closed: the file is released as another process would release it
        const store = createDuckDBStateStore(path.join(shop, ".dagx/state.duckdb"));
        await store.createRun({ runId, status: "running", selection: "bench", trigger: "bench", pid: 1, host: "bench", startedAt: Date.now(), endedAt: null, heartbeatAt: Date.now() });
        await store.close();
        const deadline = performance.now() + 5000;
        while (arrivals.length === n && performance.now() < deadline) await sleep(5);
        lat.push((arrivals[n] ?? Number.NaN) - t0);
        await sleep(400);
      }
      figures["event.median"] = round(median(lat));
      figures["event.max"] = round(Math.max(...lat));
      await reader.cancel();
    } finally {
      ui.proc.kill("SIGINT");
      await ui.proc.exited;
    }
    const ui1k = await startUi(big, binary);
    try {
      await sleep(500);
      const a = await apiLatency(ui1k.origin, ui1k.token, reps);
      figures["1k.assets.firstMs"] = a.first;
      figures["1k.assets.medianMs"] = a.median;
      figures["1k.assets.bytes"] = a.bytes;
      figures["1k.rssMb"] = round(rssMb(ui1k.proc.pid));
    } finally {
      ui1k.proc.kill("SIGINT");
      await ui1k.proc.exited;
    }
  } finally {
    removeDir(shop);
    removeDir(big);
  }
  return figures;
}

if (import.meta.main) {
  const figures = await run({ idleMs: arg("idle-ms", 5000), reps: arg("reps", 7), binary: process.argv.includes("--binary") });
  printFigures("dagx ui server", figures);
}
