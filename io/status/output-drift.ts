/**
 * Is a stored output still the one its materialization recorded? A run that dies between renaming
 * its output into place and committing the row leaves a file newer than its row. But so does
 * `cp -r`, a checkout or `touch`, which change no byte. So a file whose mtime is later than its
 * row is hashed (the data version is the content hash) before it is called drift, and a match is
 * recorded as a confirmed mtime (`output_mtimes`): the next status trusts that mtime and hashes
 * nothing. Work is O(files whose mtime changed since the last check), once each.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { MaterializationRecord, OutputMtimeRecord } from "../../core/types.ts";
import { hashFile } from "../storage/index.ts";
import { slotKey } from "../state/index.ts";
import { hashText } from "../storage/index.ts";
import type { Storage } from "../storage/index.ts";

export interface DriftCheck {
  /** Records whose file is gone or holds other bytes than recorded. */
  drifted: MaterializationRecord[];
  /** Files with a new mtime whose content hash matched: to record, so they are not hashed again. */
  confirmed: OutputMtimeRecord[];
}

/** The data version of a stored file, computed as the writer computed it. */
export function storedDataVersion(abs: string, format: MaterializationRecord["format"]): string {
  return format === "json" ? hashText(readFileSync(abs, "utf8")) : hashFile(abs).hash;
}

/** Check `records` against their files; `known` are confirmed mtimes read from state. */
export function checkOutputs(storage: Storage, records: Iterable<MaterializationRecord>, known: readonly OutputMtimeRecord[]): DriftCheck {
  const trusted = new Map(known.map((c) => [slotKey(c), c]));
  const out: DriftCheck = { drifted: [], confirmed: [] };
  for (const m of records) {
    // a side-effect asset stores nothing; another IO manager's output is not a file dagx can vouch for
    if (!m.path || (m.format !== "parquet" && m.format !== "json")) continue;
    const abs = join(storage.dataRoot, m.path);
    let mtimeMs: number;
    try {
      mtimeMs = statSync(abs).mtimeMs;
    } catch {
      out.drifted.push(m);
      continue;
    }
    if (mtimeMs <= m.at + 1) continue;
    const c = trusted.get(slotKey(m));
    if (c && c.runId === m.runId && c.at === m.at && c.mtimeMs === mtimeMs) continue;
    let same = false;
    try {
      same = storedDataVersion(abs, m.format) === m.dataVersion;
    } catch {
      // unreadable: not the recorded output
    }
    if (same) out.confirmed.push({ assetKey: m.assetKey, partitionKey: m.partitionKey, runId: m.runId, at: m.at, mtimeMs });
    else out.drifted.push(m);
  }
  return out;
}
