/**
 * Hive-style path segments of a partition (`date=2024-01-01`, `region=eu`), encoded so that no
 * value can form a path separator or `..`: bytes are kept only when in `A-Z a-z 0-9 _ - ~ .`,
 * everything else becomes `%XX` — DuckDB's own hive encoding, which `hive_partitioning` decodes
 * back — and a leading "." is encoded too.
 */
import { DagxError } from "../errors.ts";
import type { PartitionSpace } from "./types.ts";

const KEEP = /[A-Za-z0-9_.~-]/;
const utf8 = new TextEncoder();

/** File systems cap one folder name at 255 bytes (NAME_MAX on Linux and macOS). */
export const MAX_FOLDER_BYTES = 255;

/**
 * Why `key` cannot be a partition key whose folder is `dimension=<encoded key>`, or null. This is
 * the one rule every key passes (static keys, dynamic keys added by `dagx partitions add` or a
 * sensor, multi-partition dimensions): a key that passes is a safe, storable folder name.
 */
export function partitionKeyProblem(key: string, dimension = "partition"): string | null {
  if (key.length === 0) return "it is empty";
  if (key.includes("/") || key.includes("\\")) return 'it contains "/" or "\\"';
  if (key.includes("..")) return 'it contains ".."';
  // biome-ignore lint: control characters are exactly what we reject
  if (/[\u0000-\u001f\u007f]/.test(key)) return "it contains a control character";
  return folderProblem(dimension, key);
}

/** Why the folder `dimension=<encoded value>` is too long for a file system, or null. */
function folderProblem(dimension: string, value: string): string | null {
  // the encoding is ASCII, so its length is its byte count
  const bytes = dimension.length + 1 + encodePartitionValue(value).length;
  if (bytes <= MAX_FOLDER_BYTES) return null;
  return (
    `it is too long: its folder name "${dimension}=…" would be ${bytes} bytes, over the ${MAX_FOLDER_BYTES}-byte limit of file systems ` +
    `(a character other than letters, digits, "_", "-", "." and "~" takes 3 bytes per UTF-8 byte, so 9 for most CJK characters): use a shorter key`
  );
}

/** Percent-encode one partition value for a folder name. */
export function encodePartitionValue(value: string): string {
  let out = "";
  for (const ch of value) {
    if (KEEP.test(ch) && !(ch === "." && out === "")) out += ch;
    else for (const byte of utf8.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The folders a partition's output lives in, one per dimension: `["date=2024-01-01"]` for a time
 * window, `["partition=eu"]` for a static or dynamic key, `["date=2024-01-01", "region=eu"]` for
 * a multi-partition.
 * @throws DagxError (code `USAGE`) when `key` is not a partition of `space`
 */
export function partitionSegments(space: PartitionSpace, key: string): string[] {
  if (space.indexOf(key) < 0) throw new DagxError("USAGE", `Unknown partition "${key}" of ${space.label}`);
  const values = space.kind === "multi" ? key.split("|") : [key];
  return space.dimensions.map((d, k) => {
    // a key stored before the byte limit was checked (or a long time format) gets this message, not ENAMETOOLONG
    const problem = folderProblem(d.name, values[k]!);
    if (problem) throw new DagxError("USAGE", `Cannot store partition "${key}" of ${space.label}: ${problem}`);
    return `${d.name}=${encodePartitionValue(values[k]!)}`;
  });
}
