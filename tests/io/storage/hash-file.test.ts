/**
 * `hashFile` (the data version of a stored output): the same hash as `hashBytes` of the same bytes
 * whatever the size against its 4 MiB chunks, and bounded memory — hashing big outputs one after the
 * other must not keep each file's pages in the process until a garbage collection (a memory map
 * did: a run's peak RSS grew by every output it hashed).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashBytes, hashFile } from "../../../io/storage/hash.ts";

const dir = mkdtempSync(join(tmpdir(), "dagx-hash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1 << 20;
const bytesOf = (size: number) => {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i += 997) b[i] = (i * 31) & 255;
  return b;
};

test("hashFile equals hashBytes at every size around the 4 MiB chunk", () => {
  for (const size of [0, 1, 4095, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 9 * MiB + 123]) {
    const b = bytesOf(size);
    const f = join(dir, `f${size}`);
    writeFileSync(f, b);
    expect(hashFile(f)).toEqual({ bytes: size, hash: hashBytes(b) });
  }
});

test("hashing a 64 MiB file eight times keeps RSS within a few MiB", () => {
  const f = join(dir, "big");
  writeFileSync(f, bytesOf(64 * MiB));
  hashFile(f); // warm: the reader's buffer, the page cache
  Bun.gc(true);
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 8; i++) hashFile(f);
  const grown = (process.memoryUsage().rss - before) / MiB;
  expect(grown).toBeLessThan(32);
});
