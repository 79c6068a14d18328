/**
 * Where a 1M-row direct write spends its time, phase by phase, round by round (round 1 is a fresh
 * process's first write). Run: `bun bench/parquet-write-profile.ts [ROWS] [--flat]`.
 */
import { gatherChecked } from "../io/tabular/_rows.ts";
import { releaseGathered } from "../io/tabular/_gather.ts";
import { planDirect } from "../io/tabular/_direct.ts";
import { writePlainParquet } from "../io/tabular/_stage.ts";
import { hashFile } from "../io/storage/index.ts";
import fs from "node:fs";

const BASE_MS = Date.UTC(2024, 0, 1);
const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const rows = new Array<Record<string, unknown>>(n);
// --flat: strings as JSON.parse or DuckDB would give them (template literals make ropes, flattened on first read)
const flat = process.argv.includes("--flat");
for (let i = 0; i < n; i++) rows[i] = { id: i, amount: i * 1.25 + 0.1, name: flat ? JSON.parse(`"customer_${i % 5000}"`) : `customer_${i % 5000}`, flag: i % 3 === 0, ts: new Date(BASE_MS + i * 1000) };
const file = `/tmp/rows/profile-${process.pid}.parquet`;
const t = () => performance.now();
for (let round = 0; round < 6; round++) {
  Bun.gc(true);
  await Bun.sleep(50);
  const c0 = process.cpuUsage();
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = t();
  const g = gatherChecked(rows);
  const t1 = t();
  const f1 = process.resourceUsage().minorPageFault;
  const plan = planDirect(g, n)!;
  const t2 = t();
  const enc: number[] = plan.columns.map(() => 0);
  const encf: number[] = plan.columns.map(() => 0);
  const wrapped = plan.columns.map((c, i) => ({ ...c, encode: (s: number, k: number, fr?: any) => { const a = t(); const fa = process.resourceUsage().minorPageFault; const p = c.encode(s, k, fr); enc[i]! += t() - a; encf[i]! += process.resourceUsage().minorPageFault - fa; return p; } }));
  const t3 = t();
  await writePlainParquet(file, wrapped, n, { zstd: true, mode: 0o644 });
  const t4 = t();
  hashFile(file);
  releaseGathered(g);
  const t5 = t();
  const c = process.cpuUsage(c0);
  console.log(`gather ${(t1 - t0).toFixed(1)} plan ${(t2 - t1).toFixed(1)} write ${(t4 - t3).toFixed(1)} (encode ${enc.map((x) => x.toFixed(1)).join("/")} faults ${encf.join("/")}) hash ${(t5 - t4).toFixed(1)} total ${(t5 - t0).toFixed(1)} cpu ${((c.user + c.system) / 1000).toFixed(0)} size ${fs.statSync(file).size} faults ${f1 - f0}+${process.resourceUsage().minorPageFault - f1}`);
  fs.rmSync(file);
}
