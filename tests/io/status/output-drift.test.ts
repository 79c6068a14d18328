// checkOutputs(): a stored file newer than its row is hashed before it is called drift, and a
// confirmed mtime spares the next check the hash. Real files, no state.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MaterializationRecord } from "../../../core/types.ts";
import { hashText } from "../../../io/storage/hash.ts";
import { checkOutputs } from "../../../io/status/output-drift.ts";
import { createStorage } from "../../../io/storage/storage.ts";

const root = mkdtempSync(join(tmpdir(), "dagx-drift-[d=*]-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const storage = createStorage(root);
const AT = Date.parse("2024-06-01T00:00:00Z");

/** A JSON output `key/value.json` holding `text`, with mtime `mtimeMs`; its record says `recorded`. */
function output(key: string, text: string, mtimeMs: number, recorded = text): MaterializationRecord {
  const dir = join(storage.dataRoot, key);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "value.json"), text);
  utimesSync(join(dir, "value.json"), mtimeMs / 1000, mtimeMs / 1000);
  return {
    assetKey: key, partitionKey: "", runId: "r1", at: AT, dataVersion: hashText(recorded), codeVersion: "c", inputVersions: {},
    path: `${key}/value.json`, format: "json", rows: null, bytes: text.length, schema: null, metadata: null,
  };
}

test("checkOutputs() hashes only files newer than their row: same bytes are confirmed, other bytes or a missing file are drift", () => {
  const older = output("older", `{"v":2}`, AT - 5_000, `{"v":1}`); // not newer: trusted without hashing
  const copied = output("copied", `{"v":1}`, AT + 60_000);
  const changed = output("changed", `{"v":2}`, AT + 60_000, `{"v":1}`);
  const gone = { ...output("gone", "1", AT), path: "gone/nothing.json" };
  const sideEffect = { ...output("side", "1", AT), path: "", format: "none" as const };
  const r = checkOutputs(storage, [older, copied, changed, gone, sideEffect], []);
  expect(r.drifted.map((m) => m.assetKey)).toEqual(["changed", "gone"]);
  expect(r.confirmed).toEqual([{ assetKey: "copied", partitionKey: "", runId: "r1", at: AT, mtimeMs: AT + 60_000 }]);
});

test("checkOutputs() trusts a confirmed mtime of the same materialization, and hashes again when the mtime or the materialization changed", () => {
  const m = output("trusted", `{"v":9}`, AT + 60_000, `{"v":1}`); // other bytes, but the mtime was confirmed
  const known = { assetKey: "trusted", partitionKey: "", runId: "r1", at: AT, mtimeMs: AT + 60_000 };
  expect(checkOutputs(storage, [m], [known])).toEqual({ drifted: [], confirmed: [] });
  expect(checkOutputs(storage, [m], [{ ...known, mtimeMs: AT + 1 }]).drifted).toEqual([m]);
  expect(checkOutputs(storage, [m], [{ ...known, runId: "r0" }]).drifted).toEqual([m]);
});
