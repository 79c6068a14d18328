/**
 * s3Parquet (core/s3-parquet.ts holds its options): each asset as Parquet objects in an
 * S3-compatible store, in the local Parquet layout under the project's prefix.
 *
 * A write stages the value in the step's DuckDB (a `ctx.sql` query runs there; rows and Arrow
 * Tables go through the same staging writer as local Parquet), hashes it, and `COPY`s it to a key
 * of its own (`data-<run id>.parquet`; on a queue worker `data-<run id>-a<epoch>.parquet`, one per
 * claim, so a worker that lost its lease mid-upload never replaces the new holder's object): the
 * previous object is never overwritten, and the new one becomes the output only when the run
 * commits its state record. Readers read exactly the objects
 * state records, in place (httpfs). dagx deletes only recorded objects under the prefix, each in
 * its asset's folder (`remove`, `dagx gc`, `wipe --data`) — and `dagx gc` the attempt objects of
 * runs state knows that no record names (io/iomanagers/_s3-query.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { isSqlQuery } from "../../core/context.ts";
import { describeType } from "../../core/describe.ts";
import { DagxError } from "../../core/errors.ts";
import { defineIOManager, type IOManager, type OutputContext } from "../../core/io-manager.ts";
import { endpointProblem, s3BucketProblem, s3CredentialRefs, type S3ParquetOptions, s3ParquetOptionsOf, s3PrefixProblem } from "../../core/s3-parquet.ts";
import type { ColumnSchema } from "../../core/types.ts";
import { stallAt } from "../platform/index.ts";
import { hashText } from "../storage/index.ts";
import { createTempTable, parquetSql, partitionFilesSql, quoteLiteral, writeArrowParquet, writeRowsParquet } from "../tabular/index.ts";
import { segmentsOf, stepOf } from "./context.ts";
import { prepareS3, s3Client, scrubbed } from "./_s3-connect.ts";
import { credentialsFor, formatS3Location, isUnderAsset, objectUrl, parseS3Location, type S3Credentials, type S3Object, type S3Target } from "./_s3-location.ts";
import { emptyTableHandle } from "./table-handle.ts";
import { isArrowTable, isRows, unstorable, unsupportedOutput } from "./_values.ts";

const bound = new WeakMap<IOManager, IOManager>();

/** The working manager behind an `s3Parquet()` placeholder; any other manager as it is. */
export function bindS3Parquet(m: IOManager): IOManager {
  const options = s3ParquetOptionsOf(m);
  if (!options) return m;
  let impl = bound.get(m);
  if (!impl) bound.set(m, (impl = createS3Parquet(options)));
  return impl;
}

/** Test seams: the object name of a write (default `data-<run id>.parquet`, `-2`, `-3`… for later writes of the same output in this process and run; a worker attempt's `data-<run id>-a<epoch>.parquet`). */
export interface S3ParquetInternals {
  objectName?(ctx: OutputContext): string;
}

/** How many objects this process wrote per (output folder, run): the suffix of the next one's name. */
const writes = new Map<string, number>();
let stageSeq = 0;

/** The s3Parquet IO manager for `options`. */
export function createS3Parquet(options: S3ParquetOptions, internals: S3ParquetInternals = {}): IOManager {
  return defineIOManager({
    name: options.name ?? "s3",
    async handleOutput(ctx, value) {
      if (!isSqlQuery(value) && !isArrowTable(value) && !isRows(value)) {
        throw unsupportedOutput(ctx.assetKey, unstorable(value) ?? `${describeType(value)} with an s3Parquet IO manager; return rows, an Arrow Table or a ctx.sql query (other values: io: "json")`);
      }
      const step = stepOf(ctx);
      const { target, creds } = targetOf(options, ctx);
      const base = [target.prefix, ...ctx.assetKey.split("/"), ...segmentsOf(ctx)].join("/");
      const object: S3Object = { ...target, key: `${base}/${internals.objectName?.(ctx) ?? (step.attempt ? `data-${step.attempt}.parquet` : nextObjectName(`${target.bucket}/${base}`, ctx.runId))}` };
      const url = objectUrl(object);
      const client = s3Client(target, creds);
      // keys are unique per materialization: one that exists was written by someone else (or by a
      // run that never recorded it) — never overwrite what dagx did not record
      let exists: boolean;
      try {
        // a listing, not HEAD: its errors carry S3's reason (a HEAD's 403 or missing bucket has no body)
        const found = await client.list({ prefix: object.key, maxKeys: 1 });
        exists = (found.contents ?? []).some((c) => c.key === object.key);
      } catch (error) {
        throw scrubbed(error, creds, `Cannot store "${ctx.assetKey}" at ${url}${target.endpoint === null ? "" : ` (endpoint ${target.endpoint})`}`);
      }
      if (exists) {
        throw new DagxError("OUTPUT_WRITE", `Cannot store "${ctx.assetKey}": object ${url} already exists and state records no output there: dagx never overwrites an object it did not record — delete or move that object yourself, or give s3Parquet another prefix`, { exitCode: 1 });
      }
      stallAt("store-write");
      const conn = await step.conn();
      await prepareS3(conn, target, creds);
      const stage = `__dagx_s3_stage_${process.pid}_${++stageSeq}`;
      let folder: string | null = null;
      try {
        // what is hashed and uploaded: a ctx.sql result as a temp table (the query runs once), rows and
        // Arrow as the staging writer's local Parquet file (read twice, locally)
        let source: string;
        if (isSqlQuery(value)) {
          // the user's query runs here: its failure is reported as theirs (file:line)
          await step.runSql(value, (text, params) => createTempTable(conn, stage, text, params));
          source = `temp.main.${stage}`;
        } else {
          folder = mkdtempSync(join(tmpdir(), "dagx-stage-"));
          const file = join(folder, "stage.parquet");
          if (isArrowTable(value)) await writeArrowParquet(conn, value as never, file, { fsync: false });
          else await writeRowsParquet(conn, value, file, { fsync: false, writer: "direct" });
          source = parquetSql([file]);
        }
        const written = await describeAndHash(conn, source);
        let bytes: number | null;
        try {
          const stats = await conn.runAndReadAll(`COPY (SELECT * FROM ${source}) TO ${quoteLiteral(url)} (FORMAT parquet, RETURN_STATS)`);
          const size = stats.getRowObjectsJS()[0]?.file_size_bytes;
          bytes = size === undefined || size === null ? null : Number(size);
        } catch (error) {
          throw scrubbed(error, creds, `Cannot store "${ctx.assetKey}" at ${url}${target.endpoint === null ? "" : ` (endpoint ${target.endpoint})`}`);
        }
        return { location: formatS3Location(object), rows: written.rows, bytes, schema: written.schema, dataVersion: written.dataVersion };
      } finally {
        await conn.run(`DROP TABLE IF EXISTS temp.main.${stage}`).catch(() => {});
        if (folder) rmSync(folder, { recursive: true, force: true });
      }
    },
    async loadInput(ctx) {
      const up = ctx.upstream;
      const step = stepOf(ctx);
      if (up.locations.length === 0) return emptyTableHandle(up.assetKey, [...(up.columns ?? []), ...up.dimensions.map((name) => ({ name, type: "VARCHAR" }))], step.conn);
      const conn = await step.conn();
      const urls = await objectsReadable(conn, up.locations, (t) => credentialsFor(t, ctx.resolve, `read "${up.assetKey}" for "${ctx.assetKey}"`), `"${up.assetKey}"`);
      const sql = up.dimensions.length === 0 ? parquetSql(urls) : await partitionFilesSql({ files: urls, dims: up.dimensions, keyOf: (i) => up.keyValues(i), schemas: up.schemas }, step.conn);
      return ctx.table(sql);
    },
    async remove(ctx, location) {
      const object = parseS3Location(location);
      // only an object dagx recorded for this very asset, under the project's prefix
      if (!object || !isUnderAsset(object, ctx.assetKey)) return;
      const creds = credentialsFor(object, ctx.resolve, `remove "${ctx.assetKey}" from ${objectUrl(object)}`);
      await deleteObject(object, creds);
    },
  });
}

/** The target and credentials of a write, from the manager's options read now (env() resolved). */
function targetOf(options: S3ParquetOptions, ctx: OutputContext): { target: S3Target; creds: S3Credentials } {
  const o = ctx.resolve({ bucket: options.bucket, prefix: options.prefix, endpoint: options.endpoint, region: options.region });
  const problem = s3BucketProblem(o.bucket) ?? s3PrefixProblem(o.prefix) ?? (o.endpoint === undefined ? null : endpointProblem(o.endpoint));
  if (problem) throw new DagxError("OUTPUT_WRITE", `Cannot store "${ctx.assetKey}": ${problem}`, { exitCode: 1 });
  let endpoint: string | null = null;
  let useSsl = options.useSsl ?? true;
  if (o.endpoint !== undefined) {
    const m = /^(?:(https?):\/\/)?(.*?)\/?$/.exec(o.endpoint)!;
    endpoint = m[2]!;
    if (m[1]) {
      const ssl = m[1] === "https";
      if (options.useSsl !== undefined && options.useSsl !== ssl) throw new DagxError("OUTPUT_WRITE", `Cannot store "${ctx.assetKey}": s3Parquet's endpoint "${o.endpoint}" says ${m[1]} but useSsl is ${options.useSsl}: drop one of them`, { exitCode: 1 });
      useSsl = ssl;
    }
  }
  const refs = s3CredentialRefs(options);
  const target: S3Target = {
    bucket: o.bucket,
    prefix: o.prefix,
    endpoint,
    region: o.region ?? "us-east-1",
    urlStyle: options.urlStyle ?? (endpoint === null ? "vhost" : "path"),
    useSsl,
    keyEnv: refs.accessKeyId.name,
    secretEnv: refs.secretAccessKey.name,
    tokenEnv: refs.sessionToken.name,
  };
  return { target, creds: credentialsFor(target, () => ctx.resolve(refs), `store "${ctx.assetKey}" in s3://${target.bucket}/${target.prefix}`) };
}

/** Entries kept at most (a daemon writes for months): the oldest go first, belonging to runs long finished. */
const WRITES_KEPT = 50_000;

function nextObjectName(folder: string, runId: string): string {
  const id = `${folder}|${runId}`;
  const n = (writes.get(id) ?? 0) + 1;
  writes.delete(id);
  writes.set(id, n);
  if (writes.size > WRITES_KEPT) writes.delete(writes.keys().next().value!);
  return `data-${runId}${n > 1 ? `-${n}` : ""}.parquet`;
}

/**
 * The `s3://` URLs of `locations`, with the credentials of each target given to the instance of
 * `conn` (httpfs loaded); `what` names the output in errors.
 */
export async function objectsReadable(conn: DuckDBConnection, locations: readonly string[], credentials: (t: S3Target) => S3Credentials, what: string): Promise<string[]> {
  const prepared = new Set<string>();
  const urls: string[] = [];
  for (const location of locations) {
    const object = parseS3Location(location);
    if (!object) throw new DagxError("OUTPUT_WRITE", `Cannot read ${what}: ${JSON.stringify(location)} is not an s3Parquet location: materialize it again`, { exitCode: 1 });
    const id = `${object.bucket}|${object.prefix}|${object.endpoint}|${object.keyEnv}`;
    if (!prepared.has(id)) {
      prepared.add(id);
      await prepareS3(conn, object, credentials(object));
    }
    urls.push(objectUrl(object));
  }
  return urls;
}

/** Delete one object (a missing one is not an error). */
export async function deleteObject(object: S3Object, creds: S3Credentials): Promise<void> {
  try {
    await s3Client(object, creds).delete(object.key);
  } catch (error) {
    throw scrubbed(error, creds, `Cannot delete ${objectUrl(object)}`);
  }
}

/** The data's columns and a content hash that ignores row order: identical content, identical version. */
async function describeAndHash(conn: DuckDBConnection, ref: string): Promise<{ rows: number; schema: ColumnSchema[]; dataVersion: string }> {
  const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${ref}`);
  const schema = d.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  // two independent 64-bit row hashes summed (a multiset hash: duplicates count) and the row count
  const h = await conn.runAndReadAll(`SELECT count(*)::VARCHAR AS n, coalesce(sum(hash(t)), 0)::VARCHAR AS a, coalesce(sum(hash(t, 'dagx')), 0)::VARCHAR AS b FROM ${ref} AS t`);
  const row = h.getRowObjectsJS()[0]!;
  return { rows: Number(row.n), schema, dataVersion: hashText(`s3Parquet:1|${JSON.stringify(schema)}|${row.n}|${row.a}|${row.b}`) };
}

