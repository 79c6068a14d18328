/**
 * Fault injection for the tests of fenced outputs (tests/cli/worker-fence.test.ts):
 * `DAGX_STALL_AT=<point>:<ms>:<mark file>` blocks the whole process (its event loop too, so no
 * lease is renewed: a long pause, a frozen VM) at `point`, once — the first process to reach it
 * creates the mark file, the others pass — until the file `<mark file>.release` exists (the test
 * says when it has seen what it waits for) or `ms` have passed, whichever comes first. Unset, it
 * costs one property read.
 */
import { existsSync, writeFileSync } from "node:fs";

/**
 * Points: "store-write" (an IO manager is writing an output, its lease already checked);
 * "store-swap" (postgresTable: its lease checked right before the swap, the swap not yet run).
 */
export function stallAt(point: string): void {
  const spec = process.env.DAGX_STALL_AT;
  if (!spec) return;
  const [at, ms, ...rest] = spec.split(":");
  const mark = rest.join(":");
  if (at !== point || !mark || existsSync(mark)) return;
  writeFileSync(mark, String(process.pid));
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + Number(ms);
  // polled in 20 ms slices: the process stays frozen (no timer, no I/O runs) between checks
  while (Date.now() < end && !existsSync(`${mark}.release`)) Atomics.wait(cell, 0, 0, Math.min(20, end - Date.now()));
}
