/**
 * PLAIN encoders for the staging Parquet file (see `_tabular-stage.ts`): each builds a
 * `PlainColumn` from a columnar JS buffer. Fixed-width columns without nulls are handed over
 * as views, no copy; strings are UTF-8-encoded in one `TextEncoder` call per page.
 */
import { bitPackedRun, deltaMaxBytes, encodeDelta, hybridRunBytes } from "./_delta.ts";
import { type ChunkStats, ENCODING, FrameBuffers, type PageFrame, type PhysicalType, type PlainColumn, type PlainPage } from "./_stage.ts";

/** One byte per row, 1 = present; `null` when the column has no nulls at all. */
export type RowValidity = Uint8Array | null;

type FixedArray = Float64Array | Float32Array | Int32Array | BigInt64Array;

const encoder = new TextEncoder();

/** LSB-first bitmap of rows [start, start+count), or null when all of them are present. */
function bitmap(valid: RowValidity, start: number, count: number): { bits: Uint8Array | null; present: number } {
  if (!valid) return { bits: null, present: count };
  const bits = new Uint8Array(Math.ceil(count / 8));
  let present = 0;
  for (let i = 0; i < count; i++) {
    if (valid[start + i]) {
      bits[i >> 3]! |= 1 << (i & 7);
      present++;
    }
  }
  return { bits: present === count ? null : bits, present };
}

/** A fixed-width column (DOUBLE, FLOAT, INT32, INT64) from a typed array. */
export function fixedColumn(name: string, type: PhysicalType, data: FixedArray, valid: RowValidity, convertedType?: number): PlainColumn {
  const frames = new FrameBuffers();
  return {
    name,
    type,
    convertedType,
    release: () => frames.release(),
    encode(start, count, frame): PlainPage {
      const { bits, present } = bitmap(valid, start, count);
      const width = data.BYTES_PER_ELEMENT;
      const Make = data.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => FixedArray;
      if (!bits) {
        const view = new Uint8Array(data.buffer, data.byteOffset + start * width, count * width);
        if (!frame) return { values: view, validity: null };
        const values = frames.values(frame, count * width);
        values.set(view);
        return { values, validity: null, framed: true, stats: fixedStats(data, null, start, count, type) };
      }
      const values = frame ? frames.values(frame, present * width) : new Uint8Array(present * width);
      const out = new Make(values.buffer as ArrayBuffer, values.byteOffset, present);
      let j = 0;
      for (let i = 0; i < count; i++) if (valid![start + i]) out[j++] = data[start + i]!;
      if (!frame) return { values, validity: bits };
      return { values, validity: bits, framed: true, stats: fixedStats(data, valid, start, count, type) };
    },
  };
}

/**
 * Statistics of rows [start, start+count) of a fixed-width column: nulls, and min/max of the
 * values (a zero min is -0.0 and a zero max +0.0, as the format asks). No min/max when there is
 * no value, or a NaN: the format leaves NaN out of min/max, but DuckDB orders NaN above every
 * number and prunes by min/max, so `where x > 1e9` would silently skip the row group holding the
 * NaN (DuckDB's own writer also drops min/max then; the test checks it).
 */
function fixedStats(data: FixedArray, valid: RowValidity, start: number, count: number, type: PhysicalType): ChunkStats {
  let nulls = 0;
  let min: number | bigint = Number.POSITIVE_INFINITY;
  let max: number | bigint = Number.NEGATIVE_INFINITY;
  for (let i = start; i < start + count; i++) {
    if (valid && !valid[i]) {
      nulls++;
      continue;
    }
    const x = data[i]!;
    if (x !== x) return { nulls: count - countPresent(valid, start, count) }; // NaN
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (!(min <= max)) return { nulls }; // no values
  if (type === "DOUBLE" || type === "FLOAT") {
    if (min === 0) min = -0;
    if (max === 0) max = 0;
  }
  const one = (x: number | bigint) => {
    const a = new (data.constructor as new (n: number) => FixedArray)(1);
    a[0] = x as never;
    return new Uint8Array(a.buffer);
  };
  return { nulls, min: one(min), max: one(max) };
}

function countPresent(valid: RowValidity, start: number, count: number): number {
  if (!valid) return count;
  let n = 0;
  for (let i = start; i < start + count; i++) n += valid[i]!;
  return n;
}

const TWO_32 = 4294967296;
const TWO_53 = 2 ** 53;

/**
 * An INT64 column from safe integers held in doubles, each multiplied by `scale` (1, or 1000 for
 * epoch ms → µs), converted page by page into the page's own buffer: no int64 copy of the
 * whole column, and no BigInt.
 */
export function int64Column(name: string, data: Float64Array, valid: RowValidity, scale: number, convertedType?: number): PlainColumn {
  const frames = new FrameBuffers();
  return {
    name,
    type: "INT64",
    convertedType,
    release: () => frames.release(),
    encode(start, count, frame): PlainPage {
      const { bits, present } = bitmap(valid, start, count);
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = start; i < start + count; i++) {
        if (valid && !valid[i]) continue;
        const x = data[i]!;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      const stats: ChunkStats = { nulls: count - present };
      if (present > 0) {
        stats.min = int64Bytes(min, scale);
        stats.max = int64Bytes(max, scale);
      }
      if (frame) {
        // a final file: deltas when they pack (ids, timestamps), else PLAIN
        const out = frames.values(frame, deltaMaxBytes(present));
        const size = encodeDelta(data, valid, start, start + count, present, scale, out);
        if (size >= 0) return { values: out.subarray(0, size), validity: bits, framed: true, stats, encoding: ENCODING.DELTA_BINARY_PACKED };
      }
      const values = frame ? frames.values(frame, present * 8) : new Uint8Array(present * 8);
      const out = new Int32Array(values.buffer, values.byteOffset, present * 2);
      let j = 0;
      for (let i = start; i < start + count; i++) {
        if (valid && !valid[i]) continue;
        putInt64(data[i]!, scale, out, j);
        j += 2;
      }
      if (!frame) return { values, validity: bits };
      return { values, validity: bits, framed: true, stats };
    },
  };
}

/** x · scale (x a safe integer) as the two int32 words of an int64 at out[j], out[j+1]. */
function putInt64(x: number, scale: number, out: Int32Array, j: number): void {
  const v = x * scale;
  if (v > -TWO_53 && v < TWO_53) {
    // exact: |v| < 2^53, and ToInt32 takes v modulo 2^32
    out[j] = v | 0;
    out[j + 1] = Math.floor(v / TWO_32) | 0;
  } else splitScaled(x, scale, out, j);
}

function int64Bytes(x: number, scale: number): Uint8Array {
  const out = new Int32Array(2);
  putInt64(x, scale, out, 0);
  return new Uint8Array(out.buffer);
}

/** x · scale as int64 words when the product passes 2^53 (x itself is a safe integer). */
function splitScaled(x: number, scale: number, out: Int32Array, j: number): void {
  let hi = Math.floor(x / TWO_32);
  let lo = (x - hi * TWO_32) * scale; // exact: below 2^32 · 1000 < 2^53
  const carry = Math.floor(lo / TWO_32);
  lo -= carry * TWO_32;
  hi = hi * scale + carry;
  out[j] = lo | 0;
  out[j + 1] = hi | 0;
}

/** A BOOLEAN column from one byte per row (0 / 1); PLAIN booleans are bit-packed, LSB first. */
export function booleanColumn(name: string, data: Uint8Array, valid: RowValidity): PlainColumn {
  return {
    name,
    type: "BOOLEAN",
    encode(start, count, frame): PlainPage {
      const { bits, present } = bitmap(valid, start, count);
      const values = new Uint8Array(Math.ceil(present / 8));
      let j = 0;
      let trues = 0;
      for (let i = 0; i < count; i++) {
        if (valid && !valid[start + i]) continue;
        if (data[start + i]) {
          values[j >> 3]! |= 1 << (j & 7);
          trues++;
        }
        j++;
      }
      if (!frame) return { values, validity: bits };
      const stats: ChunkStats = { nulls: count - present };
      if (present > 0) {
        stats.min = Uint8Array.of(trues === present ? 1 : 0);
        stats.max = Uint8Array.of(trues > 0 ? 1 : 0);
      }
      return { values, validity: bits, stats };
    },
  };
}

/** A BYTE_ARRAY column from JS strings (`null`/`undefined` = null), annotated UTF8 by default. */
export function stringColumn(name: string, values: readonly (string | null | undefined)[], convertedType?: number): PlainColumn {
  const frames = new FrameBuffers();
  let dictionaryFailed = false; // one row group with too many distinct strings: stop trying
  return {
    name,
    type: "BYTE_ARRAY",
    convertedType,
    release: () => frames.release(),
    encode(start, count, frame): PlainPage {
      const bits = new Uint8Array(Math.ceil(count / 8));
      let chars = 0;
      let present = 0;
      for (let i = 0; i < count; i++) {
        const s = values[start + i];
        if (s === null || s === undefined) continue;
        bits[i >> 3]! |= 1 << (i & 7);
        chars += s.length;
        present++;
      }
      const validity = present === count ? null : bits;
      if (frame && !dictionaryFailed && present >= DICT_MIN_VALUES) {
        const page = dictionaryPage(values, start, count, present, frame, frames);
        if (page) return { ...page, validity };
        dictionaryFailed = true;
      }
      const size = chars + 4 * present;
      const out = frame ? frames.values(frame, size) : new Uint8Array(size);
      // without a dictionary, strings get a null count only: min/max would cost a string comparison per row
      const stats: ChunkStats | undefined = frame ? { nulls: count - present } : undefined;
      if (prefixedAscii(values, start, count, out)) return { values: out, validity, framed: frame !== undefined, stats };
      const strings: string[] = [];
      for (let i = start; i < start + count; i++) {
        const s = values[i];
        if (s !== null && s !== undefined) strings.push(s);
      }
      const utf8 = encoder.encode(strings.join(""));
      // All-ASCII text has one byte per UTF-16 unit: lengths come for free.
      const byteLength = utf8.length === chars ? (s: string) => s.length : utf8Length;
      return { values: interleaveLengths(strings, utf8, byteLength), validity, stats };
    },
  };
}

/** Pages with fewer strings are written PLAIN. */
const DICT_MIN_VALUES = 16;
/**
 * Distinct strings a dictionary may hold: a quarter of the page's (past that, the column stays
 * PLAIN). And when three quarters of the first 8,192 strings are distinct (ids, free text), give
 * up early: the Map inserts of a failed attempt are wasted work.
 */
const DICT_MAX_SHARE = 4;
const DICT_PROBE = 8192;
let dictIndices = new Int32Array(0);

/**
 * The strings of rows [start, start+count) dictionary-encoded, as DuckDB's own writer does for
 * repetitive columns: each distinct string once in a dictionary page, and per row its index,
 * bit-packed. A Map lookup per row costs about what copying the row's chars did, the page shrinks
 * to a few bits per row, and readers filter and group on the dictionary. With a dictionary, the
 * string min/max are cheap (one comparison per distinct string): they are kept when every entry
 * is ASCII, where JS string order is UTF-8 byte order. Returns null when the strings are too
 * distinct for a dictionary to pay.
 */
function dictionaryPage(
  values: readonly (string | null | undefined)[],
  start: number,
  count: number,
  present: number,
  frame: PageFrame,
  frames: FrameBuffers,
): Omit<PlainPage, "validity"> | null {
  const limit = Math.floor(present / DICT_MAX_SHARE);
  if (dictIndices.length < present) dictIndices = new Int32Array(present);
  const indices = dictIndices;
  const index = new Map<string, number>();
  const keys: string[] = [];
  let j = 0;
  for (let i = start; i < start + count; i++) {
    const s = values[i];
    if (s === null || s === undefined) continue;
    let x = index.get(s);
    if (x === undefined) {
      x = keys.length;
      if (x >= limit) return null;
      index.set(s, x);
      keys.push(s);
    }
    indices[j++] = x;
    if (j === DICT_PROBE && keys.length > DICT_PROBE * 0.75) return null;
  }
  let chars = 0;
  for (const k of keys) chars += k.length;
  let dict: Uint8Array | null = new Uint8Array(chars + 4 * keys.length);
  const ascii = prefixedAscii(keys, 0, keys.length, dict);
  if (!ascii) {
    const utf8 = encoder.encode(keys.join(""));
    dict = interleaveLengths(keys, utf8, utf8.length === chars ? (s: string) => s.length : utf8Length);
  }
  const width = Math.max(1, 32 - Math.clz32(keys.length - 1));
  const out = frames.values(frame, 1 + hybridRunBytes(present, width));
  out[0] = width;
  const end = bitPackedRun(indices, present, width, out, 1);
  const stats: ChunkStats = { nulls: count - present };
  if (ascii) {
    let min = keys[0]!;
    let max = keys[0]!;
    for (const k of keys) {
      if (k < min) min = k;
      if (k > max) max = k;
    }
    stats.min = asciiBytes(min);
    stats.max = asciiBytes(max);
  }
  return { values: out.subarray(0, end), framed: true, stats, encoding: ENCODING.RLE_DICTIONARY, dictionary: { values: dict, count: keys.length } };
}

function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/**
 * PLAIN bytes of ASCII strings, copied char by char behind each one's 4-byte length into `out`
 * (sized for them: chars + 4 per string) — ~19 ms per million 13-char strings, against ~50 ms
 * for one TextEncoder call over the joined text. Returns false at the first non-ASCII char: the
 * byte count then differs from the char count, and the caller encodes with TextEncoder instead.
 */
function prefixedAscii(strings: readonly (string | null | undefined)[], start: number, count: number, out: Uint8Array): boolean {
  let pos = 0;
  for (let k = start; k < start + count; k++) {
    const s = strings[k];
    if (s === null || s === undefined) continue;
    const len = s.length;
    pos = putLength(out, pos, len);
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      out[pos++] = c;
    }
  }
  return true;
}

/** A BYTE_ARRAY column from byte arrays (BLOB). */
export function bytesColumn(name: string, values: readonly (Uint8Array | null | undefined)[]): PlainColumn {
  return {
    name,
    type: "BYTE_ARRAY",
    encode(start, count): PlainPage {
      const bits = new Uint8Array(Math.ceil(count / 8));
      let size = 0;
      let present = 0;
      for (let i = 0; i < count; i++) {
        const b = values[start + i];
        if (!b) continue;
        bits[i >> 3]! |= 1 << (i & 7);
        size += 4 + b.length;
        present++;
      }
      const out = new Uint8Array(size);
      const view = new DataView(out.buffer);
      let pos = 0;
      for (let i = 0; i < count; i++) {
        const b = values[start + i];
        if (!b) continue;
        view.setUint32(pos, b.length, true);
        out.set(b, pos + 4);
        pos += 4 + b.length;
      }
      return { values: out, validity: present === count ? null : bits };
    },
  };
}

/**
 * A BYTE_ARRAY column from Arrow's layout (value offsets + one data buffer), so Arrow strings
 * reach the stager without ever becoming JS strings.
 */
export function offsetBytesColumn(
  name: string,
  offsets: Int32Array,
  data: Uint8Array,
  valid: RowValidity,
  convertedType?: number,
): PlainColumn {
  return {
    name,
    type: "BYTE_ARRAY",
    convertedType,
    encode(start, count): PlainPage {
      const { bits, present } = bitmap(valid, start, count);
      let size = 0;
      for (let i = 0; i < count; i++) if (!valid || valid[start + i]) size += offsets[start + i + 1]! - offsets[start + i]!;
      const out = new Uint8Array(size + 4 * present);
      let pos = 0;
      for (let i = 0; i < count; i++) {
        if (valid && !valid[start + i]) continue;
        const from = offsets[start + i]!;
        const len = offsets[start + i + 1]! - from;
        pos = putLength(out, pos, len);
        if (len > 32) out.set(data.subarray(from, from + len), pos);
        else for (let k = 0; k < len; k++) out[pos + k] = data[from + k]!;
        pos += len;
      }
      return { values: out, validity: bits };
    },
  };
}

/** PLAIN BYTE_ARRAY: each value's 4-byte little-endian length, then its bytes. */
function interleaveLengths(strings: readonly string[], utf8: Uint8Array, byteLength: (s: string) => number): Uint8Array {
  const out = new Uint8Array(utf8.length + 4 * strings.length);
  let pos = 0;
  let from = 0;
  for (const s of strings) {
    const len = byteLength(s);
    pos = putLength(out, pos, len);
    // Short copies by hand: a subarray() per value costs more than the bytes it moves.
    if (len > 32) out.set(utf8.subarray(from, from + len), pos);
    else for (let k = 0; k < len; k++) out[pos + k] = utf8[from + k]!;
    pos += len;
    from += len;
  }
  return out;
}

function putLength(out: Uint8Array, pos: number, len: number): number {
  out[pos] = len & 0xff;
  out[pos + 1] = (len >>> 8) & 0xff;
  out[pos + 2] = (len >>> 16) & 0xff;
  out[pos + 3] = len >>> 24;
  return pos + 4;
}

/** UTF-8 byte length as TextEncoder counts it (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
