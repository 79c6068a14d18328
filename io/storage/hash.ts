/**
 * The two hashes of dagx: `hashText` (64-bit, for code versions and composite data versions) and
 * `hashFile` (the data version of a stored output: its content, whatever its path or mtime).
 */
import { statSync } from "node:fs";

/** A 64-bit hash of `text` as 16 hex digits. */
export function hashText(text: string): string {
  return Bun.hash(text).toString(16).padStart(16, "0");
}

const CHUNK = 4 << 20;

/**
 * The data version: xxHash64 over the file in 4 MiB chunks, each seeded with the hash so far
 * (hex). ~10 GB/s, so hashing stays a few percent of a write even without SHA instructions; a
 * data version only has to tell two versions of one asset apart, like `hashText` (64-bit).
 */
export class ChunkHasher {
  private h = 0n;
  update(bytes: Uint8Array): void {
    for (let off = 0; off < bytes.length; off += CHUNK) this.h = Bun.hash.xxHash64(bytes.subarray(off, off + CHUNK), this.h);
  }
  digest(): string {
    return this.h.toString(16).padStart(16, "0");
  }
}

/** Hash a finished file through a memory map (no copy: reading a 17 MB file into a buffer costs ~8 ms, mapping and hashing it ~2 ms). */
export function hashFile(path: string): { bytes: number; hash: string } {
  const hasher = new ChunkHasher();
  const size = statSync(path).size;
  if (size > 0) hasher.update(Bun.mmap(path, { shared: true }));
  return { bytes: size, hash: hasher.digest() };
}

/** The data version of bytes about to be written: the same hash `hashFile` gives the written file. */
export function hashBytes(bytes: Uint8Array): string {
  const hasher = new ChunkHasher();
  hasher.update(bytes);
  return hasher.digest();
}
