import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
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

/** Write text atomically: temp file, fsync, rename. Never leaves a half-written final file. */
export function writeFileAtomic(finalPath: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(finalPath);
  try {
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, finalPath);
    fsyncPath(dirname(finalPath));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
