/**
 * A minimal Parquet writer for flat columns, with two uses. *Staging* files (the default): PLAIN,
 * uncompressed, no statistics — moving JS values into DuckDB one by one costs ~0.6 µs per string
 * (one N-API call each), while DuckDB reads an uncompressed Parquet file in parallel at memory
 * speed, so dagx writes this file, lets DuckDB `COPY` it into the real output and deletes it.
 * *Final* files of the direct row writer (`zstd: true`): the encoders then get page frames and
 * may choose deltas or a dictionary and report statistics (io/tabular/_encode.ts), and row group
 * k is encoded while k-1 is compressed on the thread pool (docs/tabular-io.md, "The direct writer").
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { hashBytes } from "../storage/index.ts";
import { giveBuffer, takeBuffer } from "./_pool.ts";
import { ThriftWriter } from "./_thrift.ts";

/** Where a column chunk (one page) sits; `raw` is its size before compression. */
interface Chunk {
  stats?: ChunkStats;
  encoding: number;
  /** Where the data page starts, and the dictionary page when there is one (then `offset`). */
  dataOffset: number;
  dictionary: boolean;
  offset: number;
  size: number;
  raw: number;
  zstd: boolean;
  values: number;
}

/** Pages at least this large are zstd-compressed when asked (smaller ones gain nothing). */
const COMPRESS_MIN = 4096;
const CODEC_ZSTD = 6;

export type PhysicalType = "BOOLEAN" | "INT32" | "INT64" | "FLOAT" | "DOUBLE" | "BYTE_ARRAY";

/** Parquet ConvertedType ids used by the stager (parquet.thrift). */
export const CONVERTED = { UTF8: 0, DATE: 6, TIMESTAMP_MICROS: 10, UINT_8: 11, UINT_16: 12, UINT_32: 13, UINT_64: 14, INT_8: 15, INT_16: 16 } as const;

/** One page worth of a column: PLAIN bytes of its non-null values, and a validity bitmap. */
export interface PlainPage {
  values: Uint8Array;
  /** LSB-first bitmap of `count` rows (bit set = not null); null means no nulls. */
  validity: Uint8Array | null;
  /**
   * True when `values` sits in a buffer given by `frame` (see PageFrame): the `frame.prefix`
   * bytes before it are free, so the page body is built in place, without a copy.
   */
  framed?: boolean;
  /** Statistics of the page (= its column chunk), computed by encoders writing a final file (given a frame). */
  stats?: ChunkStats;
  /** The values' encoding when not PLAIN (DELTA_BINARY_PACKED, or RLE_DICTIONARY with `dictionary`). */
  encoding?: number;
  /** The dictionary page's PLAIN bytes and entry count, for RLE_DICTIONARY values. */
  dictionary?: { values: Uint8Array; count: number };
}

/** Parquet Encoding ids used here (parquet.thrift). */
export const ENCODING = { PLAIN: 0, RLE: 3, DELTA_BINARY_PACKED: 5, RLE_DICTIONARY: 8 } as const;

/** Column chunk statistics: nulls, and min/max as PLAIN bytes when the column's type has an order here. */
export interface ChunkStats {
  nulls: number;
  min?: Uint8Array;
  max?: Uint8Array;
}

/**
 * Where the writer wants a page's values: after `prefix` free bytes (the definition levels go
 * there), in the column's reusable buffer number `slot` (0 or 1: one row group's pages are
 * compressed while the next one is encoded into the other slot).
 */
export interface PageFrame {
  prefix: number;
  slot: number;
}

/** A column the stager can write: it encodes any row range on demand (into `frame` when it can). */
export interface PlainColumn {
  name: string;
  type: PhysicalType;
  convertedType?: number;
  encode(start: number, count: number, frame?: PageFrame): PlainPage;
  /** Give back the column's reusable page buffers (called once the file is written). */
  release?(): void;
}

/**
 * The two reusable page buffers of one column. Reusing them across row groups spares the page
 * faults of fresh memory (~5 µs per 4 KiB page on this VM: a 1M-row write allocated ~110 MB of
 * fresh pages, ~30k faults, before buffers were reused). Values start 8-byte aligned, so typed
 * arrays can be laid over them.
 */
export class FrameBuffers {
  private readonly slots: (ArrayBuffer | null)[] = [null, null];

  /** `size` bytes for the values of a page, with at least `frame.prefix` free bytes before them. */
  values(frame: PageFrame, size: number): Uint8Array {
    const offset = (frame.prefix + 7) & ~7;
    let buf = this.slots[frame.slot];
    if (!buf || buf.byteLength < offset + size) {
      if (buf) giveBuffer(buf);
      const want = offset + size + (size >> 3); // some room for the next, larger page
      buf = takeBuffer(want) ?? new ArrayBuffer(want);
      this.slots[frame.slot] = buf;
    }
    return new Uint8Array(buf, offset, size);
  }

  /** Give the buffers to the pool: every page encoded into them is written. */
  release(): void {
    for (let i = 0; i < this.slots.length; i++) {
      const buf = this.slots[i];
      if (buf && buf.byteLength >= POOL_MIN_BYTES) giveBuffer(buf);
      this.slots[i] = null;
    }
  }
}

/** Frames smaller than this are not worth pooling. */
const POOL_MIN_BYTES = 256 * 1024;

const TYPE_ID: Record<PhysicalType, number> = { BOOLEAN: 0, INT32: 1, INT64: 2, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6 };
const ENC_PLAIN = 0;
const ENC_RLE = 3;
const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // "PAR1"

/** Rows per staging row group: DuckDB scans row groups in parallel, so keep several. */
export const STAGE_ROW_GROUP = 131_072;

/** Write `columns` (all `numRows` long) to `path`: a PLAIN uncompressed staging file, or with `zstd` a direct writer's final file. */
export async function writePlainParquet(
  path: string,
  columns: readonly PlainColumn[],
  numRows: number,
  /**
   * Key-value metadata for the footer, the file mode (staging files default to owner-only), and
   * `hash`: for one row group, build the file in memory, write it at once and return its data
   * version (hashBytes = what hashFile would give), sparing a re-read of the file.
   */
  opts: { kv?: Readonly<Record<string, string>>; mode?: number; hash?: boolean; zstd?: boolean } = {},
): Promise<{ bytes: number; hash: string } | null> {
  const { kv, mode = 0o600 } = opts;
  const collected: Uint8Array[] | null = opts.hash && numRows <= STAGE_ROW_GROUP ? [] : null;
  // Sync writes: the data is in memory already, and page-cache writes are memcpy-fast.
  const fd = openSync(path, "w", mode);
  const out = (parts: readonly Uint8Array[]) => (collected ? collected.push(...parts) : writeAll(fd, parts));
  let previous: Promise<void> = Promise.resolve();
  try {
    let offset = MAGIC.length;
    out([MAGIC]);
    const rowGroups: { chunks: Chunk[]; rows: number }[] = [];
    // Row group k is encoded (JS, this thread) while row group k-1 is compressed on the thread
    // pool; pages are written in order. Encoders write into reusable frames only when compressing:
    // staging files (uncompressed) write pages straight from their parts.
    let k = 0;
    for (let start = 0; start < numRows; start += STAGE_ROW_GROUP, k++) {
      const count = Math.min(STAGE_ROW_GROUP, numRows - start);
      const prefix = definitionLevelsSize(count);
      const frame: PageFrame | undefined = opts.zstd ? { prefix, slot: k & 1 } : undefined;
      const stats: (ChunkStats | undefined)[] = [];
      const encodings: number[] = [];
      const dictionaries: ({ values: Uint8Array; count: number } | null)[] = [];
      const bodies = columns.map((col): Uint8Array[] => {
        const page = col.encode(start, count, frame);
        stats.push(page.stats);
        encodings.push(page.encoding ?? ENC_PLAIN);
        dictionaries.push(page.dictionary ?? null);
        if (!page.framed) return [definitionLevels(page.validity, count), page.values];
        const body = new Uint8Array(page.values.buffer, page.values.byteOffset - prefix, prefix + page.values.length);
        writeDefinitionLevels(body, page.validity, count);
        return [body];
      });
      // The codec is the column chunk's: its pages (dictionary, data) are all compressed or none.
      const compressed = bodies.map((b, i) => !!opts.zstd && b.reduce((n, x) => n + x.length, 0) + (dictionaries[i]?.values.length ?? 0) >= COMPRESS_MIN);
      const compress = (b: readonly Uint8Array[]) => Bun.zstdCompress(b.length === 1 ? b[0]! : Buffer.concat(b), { level: 1 });
      const packed = Promise.all(bodies.map((b, i) => (compressed[i] ? compress(b) : null)));
      const packedDicts = Promise.all(dictionaries.map((d, i) => (d && compressed[i] ? compress([d.values]) : null)));
      const before = previous;
      previous = (async () => {
        const zipped = await packed;
        const zippedDicts = await packedDicts;
        await before;
        const chunks: Chunk[] = [];
        bodies.forEach((body, i) => {
          const chunkStart = offset;
          let chunkRaw = 0;
          const dict = dictionaries[i];
          if (dict) {
            const zd = zippedDicts[i] ?? null;
            const header = dictionaryPageHeader(dict.count, dict.values.length, zd?.length ?? dict.values.length);
            out([header, zd ?? dict.values]);
            offset += header.length + (zd?.length ?? dict.values.length);
            chunkRaw += header.length + dict.values.length;
          }
          const raw = body.reduce((n, x) => n + x.length, 0);
          const z = zipped[i] ?? null;
          const header = pageHeader(count, raw, z?.length ?? raw, encodings[i]!);
          // (collected files have one row group: nothing is reused before they are joined)
          out([header, ...(z ? [z] : body)]);
          const dataOffset = offset;
          offset += header.length + (z?.length ?? raw);
          chunkRaw += header.length + raw;
          chunks.push({
            offset: chunkStart,
            dataOffset,
            dictionary: dict !== null,
            size: offset - chunkStart,
            raw: chunkRaw,
            zstd: compressed[i]!,
            values: count,
            stats: stats[i],
            encoding: encodings[i]!,
          });
        });
        rowGroups.push({ chunks, rows: count });
      })();
      previous.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
      // row group k-1 must be out before row group k+1 reuses its frames
      await before;
    }
    await previous;
    const meta = fileMetadata(columns, numRows, rowGroups, kv);
    const tail = new Uint8Array(8);
    new DataView(tail.buffer).setUint32(0, meta.length, true);
    tail.set(MAGIC, 4);
    out([meta, tail]);
    if (!collected) return null;
    const file = Buffer.concat(collected);
    writeAll(fd, [file]);
    return { bytes: file.length, hash: hashBytes(file) };
  } finally {
    // a failure while encoding leaves the previous row group's write in flight: let it settle
    // before the descriptor is closed (and its number possibly reused by another file)
    await previous.catch(() => {});
    closeSync(fd);
    for (const col of columns) col.release?.();
  }
}

/** write(2) may write less than asked: loop until every byte is out. */
function writeAll(fd: number, parts: readonly Uint8Array[]): void {
  for (const p of parts) {
    let off = 0;
    while (off < p.length) off += writeSync(fd, p, off, p.length - off);
  }
}

/** Header of a dictionary page of `count` PLAIN entries, `body` bytes, `stored` of them on disk. */
function dictionaryPageHeader(count: number, body: number, stored: number): Uint8Array {
  const h = new ThriftWriter();
  h.i32(1, 2); // DICTIONARY_PAGE
  h.i32(2, body);
  h.i32(3, stored);
  h.beginStruct(7);
  h.i32(1, count);
  h.i32(2, ENC_PLAIN);
  h.endStruct();
  h.stop();
  return h.bytes();
}

/** Header of one data page (format v1) of `count` values, `body` bytes (definition levels + values), `stored` of them on disk. */
function pageHeader(count: number, body: number, stored: number, encoding: number): Uint8Array {
  const h = new ThriftWriter();
  h.i32(1, 0); // DATA_PAGE
  h.i32(2, body);
  h.i32(3, stored);
  h.beginStruct(5);
  h.i32(1, count);
  h.i32(2, encoding);
  h.i32(3, ENC_RLE);
  h.i32(4, ENC_RLE);
  h.endStruct();
  h.stop();
  return h.bytes();
}

/** Bytes of the definition levels of a page of `count` rows (see definitionLevels). */
export function definitionLevelsSize(count: number): number {
  const groups = Math.ceil(count / 8);
  return 4 + varint(groups * 2 + 1).length + groups;
}

/**
 * Definition levels of an OPTIONAL column (bit width 1) as one bit-packed run of the RLE
 * hybrid encoding, prefixed by its 4-byte length: the run's bytes are exactly the bitmap.
 */
function definitionLevels(validity: Uint8Array | null, count: number): Uint8Array {
  const out = new Uint8Array(definitionLevelsSize(count));
  writeDefinitionLevels(out, validity, count);
  return out;
}

/** Write the definition levels of `count` rows at the start of `out`. */
function writeDefinitionLevels(out: Uint8Array, validity: Uint8Array | null, count: number): void {
  const groups = Math.ceil(count / 8);
  const header = varint(groups * 2 + 1);
  new DataView(out.buffer, out.byteOffset).setUint32(0, header.length + groups, true);
  out.set(header, 4);
  const at = 4 + header.length;
  if (validity) out.set(validity.subarray(0, groups), at);
  else out.fill(0xff, at, at + groups);
}

function varint(n: number): Uint8Array {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  bytes.push(n);
  return Uint8Array.from(bytes);
}

function fileMetadata(
  columns: readonly PlainColumn[],
  numRows: number,
  rowGroups: { chunks: Chunk[]; rows: number }[],
  kv?: Readonly<Record<string, string>>,
): Uint8Array {
  const w = new ThriftWriter();
  w.i32(1, 1); // version
  w.list(2, columns.length + 1, () => {
    w.beginElement();
    w.binary(4, "schema");
    w.i32(5, columns.length);
    w.endElement();
    for (const col of columns) {
      w.beginElement();
      w.i32(1, TYPE_ID[col.type]);
      w.i32(3, 1); // OPTIONAL
      w.binary(4, col.name);
      if (col.convertedType !== undefined) w.i32(6, col.convertedType);
      w.endElement();
    }
  });
  w.i64(3, numRows);
  w.list(4, rowGroups.length, () => {
    for (const rg of rowGroups) {
      w.beginElement();
      w.list(1, rg.chunks.length, () => {
        rg.chunks.forEach((chunk, i) => {
          const col = columns[i]!;
          w.beginElement();
          w.i64(2, chunk.offset);
          w.beginStruct(3);
          w.i32(1, TYPE_ID[col.type]);
          w.listI32(2, chunk.dictionary ? [ENC_PLAIN, chunk.encoding, ENC_RLE] : [chunk.encoding, ENC_RLE]);
          w.listBinary(3, [col.name]);
          w.i32(4, chunk.zstd ? CODEC_ZSTD : 0); // ZSTD or UNCOMPRESSED
          w.i64(5, chunk.values);
          w.i64(6, chunk.raw);
          w.i64(7, chunk.size);
          w.i64(9, chunk.dataOffset);
          if (chunk.dictionary) w.i64(11, chunk.offset);
          if (chunk.stats) {
            w.beginStruct(12); // Statistics: null_count, max_value, min_value
            w.i64(3, chunk.stats.nulls);
            if (chunk.stats.max && chunk.stats.min) {
              w.rawBytes(5, chunk.stats.max);
              w.rawBytes(6, chunk.stats.min);
            }
            w.endStruct();
          }
          w.endStruct();
          w.endElement();
        });
      });
      w.i64(2, rg.chunks.reduce((n, c) => n + c.size, 0));
      w.i64(3, rg.rows);
      w.endElement();
    }
  });
  const pairs = Object.entries(kv ?? {});
  if (pairs.length > 0) {
    w.list(5, pairs.length, () => {
      for (const [key, value] of pairs) {
        w.beginElement();
        w.binary(1, key);
        w.binary(2, value);
        w.endElement();
      }
    });
  }
  w.stop();
  return w.bytes();
}
