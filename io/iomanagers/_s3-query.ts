/**
 * s3Parquet outputs for the commands that load no definitions (`dagx query`, `dagx gc`): all they
 * know comes from state, and a recorded location names the object, the store and the variables
 * holding the credentials (read from the process environment, then the project's `.env`).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PartitionSpace } from "../../core/partitions/index.ts";
import type { StateStore } from "../../core/state-store.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import { parseAttemptFileName } from "../../core/attempt-outputs.ts";
import { projectEnv } from "../secrets/index.ts";
import { keyColumns, parquetSql, partitionFilesSql } from "../tabular/index.ts";
import { isUnderAsset, readCredentials, parseS3Location, type S3Credentials, S3_SCHEME, type S3Object, type S3Target, targetId } from "./_s3-location.ts";
import { s3Client, scrubbed } from "./_s3-connect.ts";
import { deleteObject, objectsReadable } from "./s3-parquet.ts";

/**
 * The table expression of an asset stored by s3Parquet (its latest records, the partitions to read),
 * with httpfs and the credentials given to `conn`; a string says why there is none; null: not an
 * s3Parquet output. Partition columns come from `space`, else from the recorded keys' folders.
 */
export async function s3ParquetTableExpr(conn: DuckDBConnection, root: string, records: readonly MaterializationRecord[], space?: PartitionSpace): Promise<{ sql: string; files: number } | string | null> {
  const first = records[0];
  const object = first ? parseS3Location(first.path) : null;
  if (!first || !object) return null;
  const lookup = projectEnv(root);
  const urls = await objectsReadable(conn, records.map((m) => m.path), (t) => readCredentials(t, lookup, `read "${first.assetKey}" from S3`), `"${first.assetKey}"`);
  if (first.partitionKey === "") return { sql: parquetSql(urls), files: urls.length };
  // the folders between the asset's and the object's name are its partition dimensions (`date=…`)
  const folders = object.key.slice(object.prefix.length + 1).split("/").slice(first.assetKey.split("/").length, -1);
  const dims = space ? space.dimensions.map((d) => d.name) : folders.map((s) => s.slice(0, Math.max(0, s.indexOf("="))));
  if (dims.length === 0 || dims.some((d) => d === "")) return `its stored object ${S3_SCHEME}${object.bucket}/${object.key} is not in a layout dagx writes: materialize it again`;
  const keyOf = (i: number) => (space ? keyColumns(space, records[i]!.partitionKey).values : dims.length > 1 ? records[i]!.partitionKey.split("|") : [records[i]!.partitionKey]);
  const sql = await partitionFilesSql({ files: urls, dims, keyOf, schemas: records.map((m) => m.schema) }, async () => conn);
  return { sql, files: urls.length };
}

/** What `dagx gc` did (or, in a dry run, would do) with superseded S3 objects. */
export interface S3GcResult {
  objects: number;
}

/**
 * Delete the S3 objects of superseded materializations — history rows whose object no latest
 * materialization uses — once the materialization that replaced them is older than `graceMs` (a
 * reader that started before it may still be reading). Runs before the state's own retention
 * deletes those rows, so no recorded object is forgotten. Only recorded objects under their
 * prefix, in their asset's folder, are ever deleted — plus, in those folders, the objects of worker
 * attempts that never committed (`collectLostAttempts`), counted in the same figure.
 */
export async function collectS3Garbage(root: string, store: StateStore, o: { now: number; graceMs: number; dryRun: boolean }): Promise<S3GcResult> {
  const superseded = await store.supersededOutputs(S3_SCHEME);
  const latest = await store.latestMaterializations();
  const attempts = await collectLostAttempts(root, store, latest, superseded, o);
  if (superseded.length === 0) return { objects: attempts };
  const used = new Set(latest.map((m) => m.path));
  const since = new Map(latest.map((m) => [`${m.assetKey}\u0000${m.partitionKey}`, m.at]));
  const lookup = projectEnv(root);
  // candidates grouped by the asset folder that holds them: one listing per folder says which still exist
  const folders = new Map<string, { object: S3Object; assetKey: string; keys: Set<string> }>();
  for (const m of superseded) {
    if (used.has(m.path)) continue;
    const replacedAt = since.get(`${m.assetKey}\u0000${m.partitionKey}`);
    if (replacedAt !== undefined && o.now - replacedAt < o.graceMs) continue;
    const object = parseS3Location(m.path);
    if (!object || !isUnderAsset(object, m.assetKey)) continue;
    const id = `${targetId(object)}|${m.assetKey}`;
    const f = folders.get(id) ?? folders.set(id, { object, assetKey: m.assetKey, keys: new Set() }).get(id)!;
    f.keys.add(object.key);
  }
  let objects = attempts;
  for (const { object, assetKey, keys } of folders.values()) {
    const creds = readCredentials(object, lookup, `delete superseded objects of "${assetKey}"`);
    for (const { key } of await listKeys(object, creds, `${object.prefix}/${assetKey}/`)) {
      if (!keys.has(key)) continue;
      objects++;
      if (!o.dryRun) await deleteObject({ ...object, key }, creds);
    }
  }
  return { objects };
}

/**
 * Delete the objects of worker attempts that never committed (they lost their lease during the
 * write: core/attempt-outputs.ts): in the folder of an asset state records s3Parquet outputs of,
 * an object named `data-<run>-a<epoch>.parquet` that no record names, of a run state knows, last
 * modified longer than `graceMs` ago (an attempt still under way commits well within it). Objects
 * with any other name are never touched.
 */
async function collectLostAttempts(root: string, store: StateStore, latest: readonly MaterializationRecord[], superseded: readonly MaterializationRecord[], o: { now: number; graceMs: number; dryRun: boolean }): Promise<number> {
  const recorded = new Set<string>();
  const folders = new Map<string, { object: S3Object; assetKey: string }>();
  for (const m of [...latest, ...superseded]) {
    const object = parseS3Location(m.path);
    if (!object || !isUnderAsset(object, m.assetKey)) continue;
    recorded.add(`${object.bucket}/${object.key}`);
    const id = `${targetId(object)}|${m.assetKey}`;
    if (!folders.has(id)) folders.set(id, { object, assetKey: m.assetKey });
  }
  const lookup = projectEnv(root);
  const runs = new Map<string, boolean>();
  const known = async (runId: string) => runs.get(runId) ?? runs.set(runId, (await store.getRun(runId)) !== null).get(runId)!;
  let objects = 0;
  for (const { object, assetKey } of folders.values()) {
    const creds = readCredentials(object, lookup, `delete unrecorded attempt objects of "${assetKey}"`);
    for (const { key, modifiedAt } of await listKeys(object, creds, `${object.prefix}/${assetKey}/`)) {
      const attempt = parseAttemptFileName(key.slice(key.lastIndexOf("/") + 1));
      if (!attempt || recorded.has(`${object.bucket}/${key}`)) continue;
      if (modifiedAt === null || o.now - modifiedAt < o.graceMs || !(await known(attempt.runId))) continue;
      objects++;
      if (!o.dryRun) await deleteObject({ ...object, key }, creds);
    }
  }
  return objects;
}

/** Every object under `prefix` in the target's bucket (paged), with its last modification (ms; null when the store gives none). */
async function listKeys(t: S3Target, creds: S3Credentials, prefix: string): Promise<{ key: string; modifiedAt: number | null }[]> {
  const client = s3Client(t, creds);
  const keys: { key: string; modifiedAt: number | null }[] = [];
  let startAfter: string | undefined;
  for (;;) {
    let page;
    try {
      page = await client.list({ prefix, maxKeys: 1000, ...(startAfter ? { startAfter } : {}) });
    } catch (error) {
      throw scrubbed(error, creds, `Cannot list s3://${t.bucket}/${prefix}`);
    }
    const contents = page.contents ?? [];
    for (const c of contents) {
      const at = c.lastModified === undefined ? Number.NaN : new Date(c.lastModified).getTime();
      keys.push({ key: c.key, modifiedAt: Number.isFinite(at) ? at : null });
    }
    if (!page.isTruncated || contents.length === 0) return keys;
    startAfter = contents[contents.length - 1]!.key;
  }
}
