/**
 * DELTA_BINARY_PACKED (Parquet's delta encoding for integers) of int64 values held as JS doubles,
 * for the direct writer's BIGINT and TIMESTAMP pages. Ids and timestamps usually grow by a steady
 * step, so their deltas pack into a few bits (zero bits for a constant step): a page of 131,072
 * sequential ids is ~6 KB instead of 1 MB, and zstd has next to nothing left to compress — the
 * compression of these columns was a third of a 1M-row write's CPU time.
 *
 * Layout (parquet-format Encodings.md): header = block size (128), miniblocks per block (4),
 * value count, first value (zigzag ULEB128); then per block of 128 deltas: the minimum delta
 * (zigzag ULEB128), 4 bit widths, and each miniblock's 32 (delta − min) values bit-packed
 * LSB-first. Everything is computed in doubles, exactly: the encoder gives up (returns -1, the
 * caller writes PLAIN) when a delta or the first value leaves the exact range, or a miniblock
 * needs more than 32 bits — unusual data, for which PLAIN + zstd does as well.
 */

const BLOCK = 128;
const MINIBLOCKS = 4;
const MINI = BLOCK / MINIBLOCKS; // 32 values
const TWO_52 = 2 ** 52;
const TWO_53 = 2 ** 53;
const UINT32_MAX = 4294967295;

/** The deltas of the page being encoded (one page at a time: encoding is synchronous). */
let scratch = new Float64Array(0);

/** Bytes the encoding of `m` values can take at most (header, then a full-width block per 128). */
export function deltaMaxBytes(m: number): number {
  return 4 * 10 + Math.ceil(m / BLOCK) * (10 + MINIBLOCKS + BLOCK * 4);
}

/**
 * Encode the `m` values `data[i] · scale` of rows i in [start, end) that `valid` marks present
 * (all when null) into `out` (at least deltaMaxBytes(m) long). Returns the bytes written, or -1
 * when the values do not fit this encoder (see above). `data` holds safe integers.
 */
export function encodeDelta(data: Float64Array, valid: Uint8Array | null, start: number, end: number, m: number, scale: number, out: Uint8Array): number {
  if (scratch.length < m) scratch = new Float64Array(m);
  const deltas = scratch.subarray(0, Math.max(0, m - 1)); // (x_i − x_{i−1}), unscaled
  let first = 0;
  let prev = 0;
  let j = -1;
  for (let i = start; i < end; i++) {
    if (valid && !valid[i]) continue;
    const x = data[i]!;
    if (j < 0) first = x;
    else {
      const d = x - prev;
      if (!(d > -TWO_53 && d < TWO_53)) return -1; // not exact
      deltas[j] = d;
    }
    prev = x;
    j++;
  }
  let pos = uleb(out, 0, BLOCK);
  pos = uleb(out, pos, MINIBLOCKS);
  pos = uleb(out, pos, m);
  if (m === 0) return pos;
  const firstScaled = first * scale;
  pos = Math.abs(firstScaled) < TWO_52 ? uleb(out, pos, zigzag(firstScaled)) : ulebBig(out, pos, zigzagBig(BigInt(first) * BigInt(scale)));
  const packed = new Float64Array(MINI);
  for (let b = 0; b < deltas.length; b += BLOCK) {
    const n = Math.min(BLOCK, deltas.length - b);
    let min = deltas[b]!;
    for (let k = 1; k < n; k++) if (deltas[b + k]! < min) min = deltas[b + k]!;
    const minScaled = min * scale;
    if (!(Math.abs(minScaled) < TWO_52)) return -1;
    pos = uleb(out, pos, zigzag(minScaled));
    const widthsAt = pos;
    pos += MINIBLOCKS;
    for (let mb = 0; mb < MINIBLOCKS; mb++) {
      const from = b + mb * MINI;
      const count = Math.min(MINI, b + n - from);
      if (count <= 0) {
        out[widthsAt + mb] = 0; // unused miniblock of the last block: a width, no data
        continue;
      }
      let max = 0;
      for (let k = 0; k < count; k++) {
        const u = (deltas[from + k]! - min) * scale;
        if (u > UINT32_MAX) return -1;
        packed[k] = u;
        if (u > max) max = u;
      }
      const width = max === 0 ? 0 : 32 - Math.clz32(max);
      out[widthsAt + mb] = width;
      if (width === 0) continue;
      for (let k = count; k < MINI; k++) packed[k] = 0; // padding of the last miniblock
      pos = bitPack(packed, width, out, pos);
    }
  }
  return pos;
}

/** 32 values below 2^width, LSB-first: exactly 4 · width bytes. */
function bitPack(values: Float64Array, width: number, out: Uint8Array, pos: number): number {
  let acc = 0; // < 2^(7 + 32): exact in a double
  let bits = 0;
  let scale = 1; // 2^bits
  for (let k = 0; k < MINI; k++) {
    acc += values[k]! * scale;
    bits += width;
    while (bits >= 8) {
      const byte = acc % 256;
      out[pos++] = byte;
      acc = (acc - byte) / 256;
      bits -= 8;
    }
    scale = 2 ** bits;
  }
  return pos;
}

/** Zigzag of an integer |v| < 2^52 (exact in doubles). */
function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function zigzagBig(v: bigint): bigint {
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}

function uleb(out: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

function ulebBig(out: Uint8Array, pos: number, v: bigint): number {
  while (v >= 0x80n) {
    out[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  out[pos++] = Number(v);
  return pos;
}

/**
 * `n` values below 2^width (width 1…32) as one bit-packed run of the RLE/bit-packing hybrid
 * (dictionary indices): the run header, then the values LSB-first, padded to a multiple of 8.
 * Returns the end position; `out` needs hybridRunBytes(n, width) bytes from `pos`.
 */
export function bitPackedRun(values: Int32Array, n: number, width: number, out: Uint8Array, pos: number): number {
  const groups = Math.ceil(n / 8);
  pos = uleb(out, pos, groups * 2 + 1);
  let acc = 0;
  let bits = 0;
  let scale = 1;
  for (let k = 0; k < groups * 8; k++) {
    acc += (k < n ? values[k]! : 0) * scale;
    bits += width;
    while (bits >= 8) {
      const byte = acc % 256;
      out[pos++] = byte;
      acc = (acc - byte) / 256;
      bits -= 8;
    }
    scale = 2 ** bits;
  }
  return pos;
}

/** Bytes of bitPackedRun(…, n, width, …). */
export function hybridRunBytes(n: number, width: number): number {
  const groups = Math.ceil(n / 8);
  let header = 1;
  for (let v = groups * 2 + 1; v >= 0x80; v = Math.floor(v / 0x80)) header++;
  return header + groups * width;
}
