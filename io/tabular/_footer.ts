/**
 * The key-value metadata of a Parquet file, read from its footer in JS: a few reads and a Thrift
 * compact-protocol walk that skips everything but field 5 of FileMetaData. For the few files a
 * step reads this takes microseconds, where asking DuckDB (`parquet_kv_metadata`) costs a query,
 * ~0.5 ms. Anything unexpected throws; callers then ask DuckDB, which gives the real error.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const decoder = new TextDecoder();

class CompactReader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.b.length) throw new Error("Parquet footer: truncated");
    return this.b[this.pos++]!;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const x = this.byte();
      result += (x & 0x7f) * mul;
      if (x < 0x80) return result;
      mul *= 128;
      if (mul > 2 ** 63) throw new Error("Parquet footer: bad varint");
    }
  }

  binary(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.b.length) throw new Error("Parquet footer: truncated");
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Field header: [id, type] (type 0 = stop). */
  field(last: number): [number, number] {
    const h = this.byte();
    const type = h & 0x0f;
    if (type === 0) return [0, 0];
    const delta = h >> 4;
    if (delta !== 0) return [last + delta, type];
    const z = this.varint();
    return [(z >>> 1) ^ -(z & 1), type];
  }

  listHeader(): [number, number] {
    const h = this.byte();
    const size = h >> 4 === 15 ? this.varint() : h >> 4;
    return [size, h & 0x0f];
  }

  skip(type: number): void {
    switch (type) {
      case 1: // true
      case 2: // false
        return;
      case 3: // byte
        this.pos++;
        return;
      case 4: // i16
      case 5: // i32
      case 6: // i64
        this.varint();
        return;
      case 7: // double
        this.pos += 8;
        return;
      case 8: // binary
        this.binary();
        return;
      case 9: // list
      case 10: {
        // set
        const [size, elem] = this.listHeader();
        for (let i = 0; i < size; i++) this.skipElement(elem);
        return;
      }
      case 11: {
        // map
        const size = this.varint();
        if (size === 0) return;
        const kv = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipElement(kv >> 4);
          this.skipElement(kv & 0x0f);
        }
        return;
      }
      case 12:
        this.skipStruct();
        return;
      default:
        throw new Error(`Parquet footer: unknown Thrift type ${type}`);
    }
  }

  /** Inside a list, booleans take a byte each. */
  skipElement(type: number): void {
    if (type === 1 || type === 2) this.pos++;
    else this.skip(type);
  }

  skipStruct(): void {
    let last = 0;
    for (;;) {
      const [id, type] = this.field(last);
      if (type === 0) return;
      this.skip(type);
      last = id;
    }
  }
}

/** The footer's Thrift bytes (FileMetaData) of the Parquet file at `path`. */
function footerBytes(path: string): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size < 12) throw new Error("Parquet footer: file too small");
    const tail = new Uint8Array(8);
    readSync(fd, tail, 0, 8, size - 8);
    if (decoder.decode(tail.subarray(4)) !== "PAR1") throw new Error("Parquet footer: no magic");
    const len = new DataView(tail.buffer).getUint32(0, true);
    if (len + 12 > size) throw new Error("Parquet footer: bad length");
    const meta = new Uint8Array(len);
    let off = 0;
    while (off < len) {
      const n = readSync(fd, meta, off, len - off, size - 8 - len + off);
      if (n === 0) throw new Error("Parquet footer: truncated");
      off += n;
    }
    return meta;
  } finally {
    closeSync(fd);
  }
}

/** The key-value metadata of the Parquet file at `path`, in file order (throws when it cannot tell). */
export function readKeyValueMetadata(path: string): [string, string][] {
  const r = new CompactReader(footerBytes(path));
  const out: [string, string][] = [];
  let last = 0;
  for (;;) {
    const [id, type] = r.field(last);
    if (type === 0) return out;
    last = id;
    if (id !== 5 || type !== 9) {
      r.skip(type);
      continue;
    }
    const [size, elem] = r.listHeader();
    if (elem !== 12) throw new Error("Parquet footer: key_value_metadata is not a list of structs");
    for (let i = 0; i < size; i++) {
      let key: string | null = null;
      let value: string | null = null;
      let f = 0;
      for (;;) {
        const [fid, ft] = r.field(f);
        if (ft === 0) break;
        f = fid;
        if (fid === 1 && ft === 8) key = decoder.decode(r.binary());
        else if (fid === 2 && ft === 8) value = decoder.decode(r.binary());
        else r.skip(ft);
      }
      if (key !== null && value !== null) out.push([key, value]);
    }
  }
}
