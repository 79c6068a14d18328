/**
 * The two hashes of dagx: `hashText` (64-bit, for code versions and composite data versions) and
 * `hashFile` (the data version of a stored output: its content, whatever its path or mtime).
 */
import { closeSync, openSync, readSync } from "node:fs";

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

/** One reused read buffer, a whole chunk: `ChunkHasher` must see the same 4 MiB pieces `hashBytes` sees. */
let readBuffer: Uint8Array | null = null;

/**
 * Hash a finished file, read through one reused 4 MiB buffer. Not a memory map: a map's pages count
 * in the process's RSS until a garbage collection frees the mapping, so a run that hashed its outputs
 * one after the other held every one of them (eight hashes of a 64 MiB file: +256 MiB; the 1M-row SQL
 * pipeline's peak included its 16.5 MB output). Reading costs ~0.9 ms more per 17 MB (2.3 against 1.45 ms).
 */
export function hashFile(path: string): { bytes: number; hash: string } {
  const hasher = new ChunkHasher();
  const buffer = (readBuffer ??= new Uint8Array(CHUNK));
  const fd = openSync(path, "r");
  let size = 0;
  try {
    for (;;) {
      // fill the whole chunk (a read may return less) so chunk boundaries match hashBytes
      let filled = 0;
      while (filled < CHUNK) {
        const n = readSync(fd, buffer, filled, CHUNK - filled, null);
        if (n <= 0) break;
        filled += n;
      }
      if (filled > 0) hasher.update(buffer.subarray(0, filled));
      size += filled;
      if (filled < CHUNK) break;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes: size, hash: hasher.digest() };
}

/** The data version of bytes about to be written: the same hash `hashFile` gives the written file. */
export function hashBytes(bytes: Uint8Array): string {
  const hasher = new ChunkHasher();
  hasher.update(bytes);
  return hasher.digest();
}
