/**
 * A minimal Parquet writer for *staging* files: flat columns, PLAIN encoding, no compression,
 * no statistics. It exists because moving JS values into DuckDB one by one costs ~0.6 µs per
 * string (one N-API call each), while DuckDB reads an uncompressed Parquet file in parallel at
 * memory speed. dagx writes this file, lets DuckDB `COPY` it into the real (compressed,
 * dictionary-encoded, with statistics) output, and deletes it. Never a user-facing format.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { hashBytes } from "../storage/index.ts";
import { ThriftWriter } from "./_thrift.ts";

/** Where a column chunk (one page) sits; `raw` is its size before compression. */
interface Chunk {
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
}

/** A column the stager can write: it encodes any row range on demand. */
export interface PlainColumn {
  name: string;
  type: PhysicalType;
  convertedType?: number;
  encode(start: number, count: number): PlainPage;
}

const TYPE_ID: Record<PhysicalType, number> = { BOOLEAN: 0, INT32: 1, INT64: 2, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6 };
const ENC_PLAIN = 0;
const ENC_RLE = 3;
const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // "PAR1"

/** Rows per staging row group: DuckDB scans row groups in parallel, so keep several. */
export const STAGE_ROW_GROUP = 131_072;

/** Write `columns` (all `numRows` long) to `path` as an uncompressed PLAIN Parquet file. */
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
  try {
    let offset = MAGIC.length;
    out([MAGIC]);
    const rowGroups: { chunks: Chunk[]; rows: number }[] = [];
    for (let start = 0; start < numRows; start += STAGE_ROW_GROUP) {
      const count = Math.min(STAGE_ROW_GROUP, numRows - start);
      const chunks: Chunk[] = [];
      const bodies = columns.map((col) => {
        const page = col.encode(start, count);
        return [definitionLevels(page.validity, count), page.values];
      });
      // the columns' pages are compressed at once, on the thread pool
      const packed = await Promise.all(
        bodies.map((b) => (opts.zstd && b[0]!.length + b[1]!.length >= COMPRESS_MIN ? Bun.zstdCompress(Buffer.concat(b), { level: 1 }) : null)),
      );
      bodies.forEach((body, i) => {
        const raw = body[0]!.length + body[1]!.length;
        const data = packed[i] ? [packed[i]] : body;
        const header = pageHeader(count, raw, packed[i]?.length ?? raw);
        const size = header.length + (packed[i]?.length ?? raw);
        out([header, ...data]);
        chunks.push({ offset, size, raw: header.length + raw, zstd: packed[i] !== null, values: count });
        offset += size;
      });
      rowGroups.push({ chunks, rows: count });
    }
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
    closeSync(fd);
  }
}

/** write(2) may write less than asked: loop until every byte is out. */
function writeAll(fd: number, parts: readonly Uint8Array[]): void {
  for (const p of parts) {
    let off = 0;
    while (off < p.length) off += writeSync(fd, p, off, p.length - off);
  }
}

/** Header of one data page (format v1) of `count` values, `body` bytes (definition levels + values), `stored` of them on disk. */
function pageHeader(count: number, body: number, stored: number): Uint8Array {
  const h = new ThriftWriter();
  h.i32(1, 0); // DATA_PAGE
  h.i32(2, body);
  h.i32(3, stored);
  h.beginStruct(5);
  h.i32(1, count);
  h.i32(2, ENC_PLAIN);
  h.i32(3, ENC_RLE);
  h.i32(4, ENC_RLE);
  h.endStruct();
  h.stop();
  return h.bytes();
}

/**
 * Definition levels of an OPTIONAL column (bit width 1) as one bit-packed run of the RLE
 * hybrid encoding, prefixed by its 4-byte length: the run's bytes are exactly the bitmap.
 */
function definitionLevels(validity: Uint8Array | null, count: number): Uint8Array {
  const groups = Math.ceil(count / 8);
  const header = varint(groups * 2 + 1);
  const out = new Uint8Array(4 + header.length + groups);
  new DataView(out.buffer).setUint32(0, header.length + groups, true);
  out.set(header, 4);
  if (validity) out.set(validity.subarray(0, groups), 4 + header.length);
  else out.fill(0xff, 4 + header.length);
  return out;
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
          w.listI32(2, [ENC_PLAIN, ENC_RLE]);
          w.listBinary(3, [col.name]);
          w.i32(4, chunk.zstd ? CODEC_ZSTD : 0); // ZSTD or UNCOMPRESSED
          w.i64(5, chunk.values);
          w.i64(6, chunk.raw);
          w.i64(7, chunk.size);
          w.i64(9, chunk.offset);
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
