/**
 * Just enough of Thrift's compact protocol to write Parquet page headers and file metadata.
 * Integers go through JS numbers: every value written here (sizes, offsets, counts) is far
 * below 2^52, where zigzag on doubles stays exact.
 */
const T_I32 = 5;
const T_I64 = 6;
const T_BINARY = 8;
const T_LIST = 9;
const T_STRUCT = 12;

const encoder = new TextEncoder();

export class ThriftWriter {
  private buf: number[] = [];
  /** Last field id of each open struct: field headers are delta-encoded against it. */
  private lastIds: number[] = [0];

  bytes(): Uint8Array {
    return Uint8Array.from(this.buf);
  }

  i32(id: number, v: number): void {
    this.field(id, T_I32);
    this.varint(zigzag(v));
  }

  i64(id: number, v: number): void {
    this.field(id, T_I64);
    this.varint(zigzag(v));
  }

  binary(id: number, v: string): void {
    this.field(id, T_BINARY);
    this.rawBinary(v);
  }

  /** A binary field from raw bytes (statistics values). */
  rawBytes(id: number, v: Uint8Array): void {
    this.field(id, T_BINARY);
    this.varint(v.length);
    for (const x of v) this.buf.push(x);
  }

  beginStruct(id: number): void {
    this.field(id, T_STRUCT);
    this.lastIds.push(0);
  }

  endStruct(): void {
    this.buf.push(0);
    this.lastIds.pop();
  }

  /** A list of structs; `body` writes each element between beginElement/endElement. */
  list(id: number, size: number, body: () => void): void {
    this.field(id, T_LIST);
    this.listHeader(size, T_STRUCT);
    body();
  }

  beginElement(): void {
    this.lastIds.push(0);
  }

  endElement(): void {
    this.endStruct();
  }

  listI32(id: number, values: readonly number[]): void {
    this.field(id, T_LIST);
    this.listHeader(values.length, T_I32);
    for (const v of values) this.varint(zigzag(v));
  }

  listBinary(id: number, values: readonly string[]): void {
    this.field(id, T_LIST);
    this.listHeader(values.length, T_BINARY);
    for (const v of values) this.rawBinary(v);
  }

  /** End of the top-level struct. */
  stop(): void {
    this.buf.push(0);
  }

  private field(id: number, type: number): void {
    const last = this.lastIds[this.lastIds.length - 1]!;
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.buf.push((delta << 4) | type);
    else {
      this.buf.push(type);
      this.varint(zigzag(id));
    }
    this.lastIds[this.lastIds.length - 1] = id;
  }

  private listHeader(size: number, elemType: number): void {
    if (size < 15) this.buf.push((size << 4) | elemType);
    else {
      this.buf.push(0xf0 | elemType);
      this.varint(size);
    }
  }

  private rawBinary(v: string): void {
    const b = encoder.encode(v);
    this.varint(b.length);
    for (const x of b) this.buf.push(x);
  }

  private varint(n: number): void {
    while (n >= 0x80) {
      this.buf.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.buf.push(n);
  }
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}
