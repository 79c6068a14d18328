/**
 * Reaching an S3-compatible store from dagx: DuckDB's httpfs for data (COPY to it, read_parquet
 * from it), Bun's S3Client for what SQL cannot do (does an object exist, delete one).
 *
 * Credentials reach DuckDB as a temporary `CREATE SECRET` made on the step's connection at run
 * time. That statement is the only text holding them: it never goes through ctx.sql (so it is
 * never logged), and any error DuckDB or the client raises is scrubbed of the values before it
 * leaves this file (`scrubbed`), on top of the process redactor every output channel uses.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { S3Client } from "bun";
import { DagxError } from "../../core/errors.ts";
import { REDACTED } from "../../core/redact.ts";
import { loadDuckDBExtension } from "../platform/index.ts";
import { hashText } from "../storage/index.ts";
import { quoteLiteral } from "../tabular/index.ts";
import { type S3Credentials, type S3Target, targetId } from "./_s3-location.ts";

const secretsMade = new WeakMap<DuckDBConnection, Set<string>>();
/** Secret setups of this process, one at a time: DuckDB fails one of two connections creating the same secret at once (a catalog write-write conflict). */
let setups: Promise<unknown> = Promise.resolve();

/**
 * Load httpfs into the instance of `conn` and give it the target's credentials. A secret belongs to
 * the instance, so the connections of one run's steps share it: each connection asks whether its
 * instance has it already (duckdb_secrets()), in turn, and only the first creates it.
 */
export async function prepareS3(conn: DuckDBConnection, t: S3Target, creds: S3Credentials): Promise<void> {
  const name = `dagx_s3_${hashText(`${targetId(t)}\n${creds.accessKeyId}\n${creds.secretAccessKey}\n${creds.sessionToken}`).slice(0, 16)}`;
  const made = secretsMade.get(conn) ?? new Set<string>();
  if (made.has(name)) return;
  const next = setups.then(() => setUp(conn, t, creds, name));
  setups = next.catch(() => {});
  await next;
  made.add(name);
  secretsMade.set(conn, made);
}

async function setUp(conn: DuckDBConnection, t: S3Target, creds: S3Credentials, name: string): Promise<void> {
  try {
    await loadDuckDBExtension(conn, "httpfs");
  } catch (error) {
    throw new DagxError("OUTPUT_WRITE", `Cannot reach S3: DuckDB's httpfs extension does not load: ${(error as Error).message}`, { exitCode: 1 });
  }
  const have = await conn.runAndReadAll("SELECT count(*)::INTEGER AS n FROM duckdb_secrets() WHERE name = $1", [name]);
  if (Number(have.getRowObjectsJS()[0]?.n) > 0) return;
  const parts = [
    "TYPE s3",
    `KEY_ID ${quoteLiteral(creds.accessKeyId)}`,
    `SECRET ${quoteLiteral(creds.secretAccessKey)}`,
    ...(creds.sessionToken ? [`SESSION_TOKEN ${quoteLiteral(creds.sessionToken)}`] : []),
    `REGION ${quoteLiteral(t.region)}`,
    ...(t.endpoint !== null ? [`ENDPOINT ${quoteLiteral(t.endpoint)}`] : []),
    `URL_STYLE ${quoteLiteral(t.urlStyle)}`,
    `USE_SSL ${t.useSsl}`,
    // scoped to the project's folder: another target (bucket, store) gets its own secret
    `SCOPE ${quoteLiteral(`s3://${t.bucket}/${t.prefix}/`)}`,
  ];
  try {
    await conn.run(`CREATE OR REPLACE TEMPORARY SECRET ${name} (${parts.join(", ")})`);
  } catch (error) {
    throw scrubbed(error, creds, `Cannot give DuckDB the credentials of s3://${t.bucket}/${t.prefix}`);
  }
}

/** A client of the target's bucket (exists, delete). */
export function s3Client(t: S3Target, creds: S3Credentials): S3Client {
  return new S3Client({
    bucket: t.bucket,
    region: t.region,
    endpoint: t.endpoint === null ? undefined : `${t.useSsl ? "https" : "http"}://${t.endpoint}`,
    virtualHostedStyle: t.urlStyle === "vhost",
    accessKeyId: creds.accessKeyId,
    secretAccessKey: creds.secretAccessKey,
    ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}),
  });
}

/** `text` with the credentials replaced. */
export function scrubText(text: string, creds: S3Credentials): string {
  let out = text;
  for (const v of [creds.secretAccessKey, creds.sessionToken, creds.accessKeyId]) if (v.length >= 4) out = out.split(v).join(REDACTED);
  return out;
}

/**
 * A DagxError saying `what` failed, with the cause's message scrubbed of the credentials. The
 * original error is not kept (as `cause` it would reach `-v` output and could hold them).
 */
export function scrubbed(error: unknown, creds: S3Credentials, what: string): DagxError {
  const code = typeof (error as { code?: unknown })?.code === "string" ? `${(error as { code: string }).code}: ` : "";
  const message = scrubText(`${code}${error instanceof Error ? error.message : String(error)}`, creds);
  return new DagxError("OUTPUT_WRITE", `${what}: ${message}`, { exitCode: 1 });
}
