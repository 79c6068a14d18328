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
  return space.dimensions.map((d, k) => `${d.name}=${encodePartitionValue(values[k]!)}`);
}
