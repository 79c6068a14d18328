/**
 * Where outputs live and how they are written: paths under `.dagx/data`, atomic writes, content hashes, the cross-process file lock, the project folder user SQL runs in, retention.
 * The only door into io/storage/: other folders import from here, never a file behind it.
 */
export { syncFiles, tempPathFor, writeFileAtomic, writeFileAtomicAsync } from "./atomic.ts";
export { openFileLock } from "./file-lock.ts";
export type { FileLock } from "./file-lock.ts";
export { ORPHAN_GRACE_MS, runGc } from "./gc.ts";
export { hashBytes, hashFile, hashText } from "./hash.ts";
export { bindablePath, enterProjectDir } from "./project-dir.ts";
export { assertInside, createStorage, outputAbsPath, outputFileRelPath, outputRelPath } from "./storage.ts";
export type { Storage } from "./storage.ts";
