import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** A temp path beside `finalPath`, so the final rename stays on one file system. */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}-${basename(finalPath)}`);
}

/** fsync a file or folder by path (best effort for folders). */
export function fsyncPath(path: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(path, "r");
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on folders
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Move a finished temp file over the final path: fsync, rename, fsync the folder. */
export function commitTemp(tmp: string, finalPath: string): void {
  fsyncPath(tmp);
  renameSync(tmp, finalPath);
  fsyncPath(dirname(finalPath));
}

/**
 * Write text atomically: temp file, fsync, rename (and fsync the folder). Never leaves a
 * half-written final file. `sync: false` skips both fsyncs, for callers that sync in a group.
 */
export function writeFileAtomic(finalPath: string, data: string | Uint8Array, options: { sync?: boolean } = {}): void {
  const sync = options.sync ?? true;
  const tmp = tempPathFor(finalPath);
  try {
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
      if (sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, finalPath);
    if (sync) fsyncPath(dirname(finalPath));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Async twin of writeFileAtomic: the write and the fsyncs run on the thread pool, so concurrent
 * steps overlap their disk waits instead of blocking the event loop.
 */
export async function writeFileAtomicAsync(finalPath: string, data: string | Uint8Array, options: { sync?: boolean } = {}): Promise<void> {
  const sync = options.sync ?? true;
  // A small unsynced file: create, write and rename take microseconds, less than one trip to the
  // thread pool and back (four of them for the async path).
  if (!sync && data.length <= SMALL_FILE) return writeFileAtomic(finalPath, data, { sync: false });
  const tmp = tempPathFor(finalPath);
  try {
    const fh = await open(tmp, "w", 0o600);
    try {
      await fh.writeFile(data);
      if (sync) await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, finalPath);
    if (sync) await syncPath(dirname(finalPath));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Largest file (in chars or bytes) written with blocking calls by writeFileAtomicAsync. */
const SMALL_FILE = 64 * 1024;

async function syncPath(path: string): Promise<void> {
  const fh = await open(path, "r").catch(() => null);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // some file systems refuse fsync on folders
  } finally {
    await fh.close();
  }
}

/**
 * Group commit of outputs: fsync these files and their folders, all at once on the thread pool.
 * Called before the state rows that point at them are committed.
 */
export async function syncFiles(paths: Iterable<string>): Promise<void> {
  const files = [...new Set(paths)];
  await Promise.all(files.map(syncPath));
  await Promise.all([...new Set(files.map((f) => dirname(f)))].map(syncPath));
}
