/**
 * Large buffers of a finished write, kept for a moment for the next one. The column buffers and
 * page frames of a 1M-row write are ~40 MB of fresh memory, and this VM takes ~4 µs to fault in
 * each fresh 4 KiB page: before reuse, ~30 ms of a 1M-row write went to page faults alone
 * (docs/benchmarks.md, "Rows → Parquet at 1M"). A run writing several large outputs — or a
 * benchmark — pays them once. The pool is dropped after KEEP_MS without use, so an idle process
 * holds nothing, and it never holds more than MAX_BYTES.
 */
const KEEP_MS = 1000;
const MAX_BYTES = 64 * 1024 * 1024;

const spare: ArrayBuffer[] = [];
let spareBytes = 0;
let dropTimer: ReturnType<typeof setTimeout> | null = null;

/** A pooled buffer of at least `bytes` (and at most twice that), or null: allocate one yourself. Its contents are stale. */
export function takeBuffer(bytes: number): ArrayBuffer | null {
  let best = -1;
  for (let i = 0; i < spare.length; i++) {
    const size = spare[i]!.byteLength;
    if (size >= bytes && size <= 2 * bytes && (best < 0 || size < spare[best]!.byteLength)) best = i;
  }
  if (best < 0) return null;
  const buf = spare.splice(best, 1)[0]!;
  spareBytes -= buf.byteLength;
  return buf;
}

/** Hand back a buffer nothing uses any more (ignored when the pool is full or already has it). */
export function giveBuffer(buf: ArrayBuffer): void {
  if (spareBytes + buf.byteLength > MAX_BYTES || spare.includes(buf)) return;
  spare.push(buf);
  spareBytes += buf.byteLength;
  scheduleDrop();
}

/** JS arrays of finished gathers (emptied), kept like the buffers. */
const spareArrays: unknown[][] = [];

/** A pooled JS array of exactly `n` holes-or-undefined slots (at most twice as long before), or null. */
export function takeArray(n: number): unknown[] | null {
  const i = spareArrays.findIndex((a) => a.length >= n && a.length <= 2 * n);
  if (i < 0) return null;
  const a = spareArrays.splice(i, 1)[0]!;
  a.length = n;
  return a;
}

/** Hand back a JS array nothing uses any more; it is emptied first, so it holds no values alive. */
export function giveArray(a: unknown[]): void {
  if (spareArrays.length >= 4 || spareArrays.includes(a)) return;
  a.fill(undefined);
  spareArrays.push(a);
  scheduleDrop();
}

function scheduleDrop(): void {
  if (dropTimer) clearTimeout(dropTimer);
  dropTimer = setTimeout(dropPool, KEEP_MS);
  dropTimer.unref?.();
}

function dropPool(): void {
  spareArrays.length = 0;
  spare.length = 0;
  spareBytes = 0;
  dropTimer = null;
}

/** What the pool holds now (for tests). */
export function pooled(): { bytes: number; arrays: number } {
  return { bytes: spareBytes, arrays: spareArrays.length };
}
