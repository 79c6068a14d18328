/**
 * `s3Parquet({ bucket, prefix })`: the IO manager that keeps each asset as Parquet objects in an
 * S3-compatible object store (AWS S3, MinIO, R2, …). This file is the pure half: the options, their
 * checks, and a placeholder manager carrying them; dagx binds the placeholder to its implementation
 * (io/iomanagers/s3-parquet.ts) when it loads the project, so the public module stays free of DuckDB.
 */
import { describeValue } from "./describe.ts";
import { env, type EnvRef, isEnvRef } from "./env.ts";
import { defineIOManager, type IOManager } from "./io-manager.ts";

const S3_PARQUET = Symbol.for("dagx.s3-parquet");

/** Options of `s3Parquet`. */
export interface S3ParquetOptions {
  /** The bucket (it must exist; dagx never creates or deletes buckets). */
  bucket: string | EnvRef;
  /** The folder inside the bucket that holds this project's outputs, like "dagx/shop" (no leading or trailing "/"). */
  prefix: string | EnvRef;
  /**
   * The server of an S3-compatible store other than AWS: "http://127.0.0.1:9000", "https://minio.example.com"
   * (the scheme sets `useSsl`), or "host:port".
   * @default AWS S3 ("s3.amazonaws.com")
   */
  endpoint?: string | EnvRef;
  /** The bucket's region. @default "us-east-1" */
  region?: string | EnvRef;
  /** "path" (`endpoint/bucket/key`: MinIO and most self-hosted stores) or "vhost" (`bucket.endpoint/key`: AWS). @default "vhost" for AWS, "path" with an endpoint */
  urlStyle?: "path" | "vhost";
  /** Use https. @default true, or what the endpoint's scheme says */
  useSsl?: boolean;
  /** The access key id: an `env()` reference (credentials are never written in dagx.config.ts). @default env("AWS_ACCESS_KEY_ID") */
  accessKeyId?: EnvRef;
  /** The secret access key: an `env()` reference. @default env("AWS_SECRET_ACCESS_KEY") */
  secretAccessKey?: EnvRef;
  /** A session token of temporary credentials: an `env()` reference; an unset or empty variable means none. @default env("AWS_SESSION_TOKEN", { default: "" }) */
  sessionToken?: EnvRef;
  /** The name state records as the outputs' format. @default the key in `defineConfig({ ioManagers })`, else "s3" */
  name?: string;
}

const OPTION_NAMES = ["bucket", "prefix", "endpoint", "region", "urlStyle", "useSsl", "accessKeyId", "secretAccessKey", "sessionToken", "name"];
/** S3's bucket naming rules (lower case, digits, "." and "-", 3–63 characters). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** A prefix of plain folder names: no empty, "." or ".." segment, no "?", "#", "*", "[" or "\\" (read by DuckDB as globs or URL parts). */
const PREFIX_SEGMENT = /^[A-Za-z0-9_.=-]+$/;

/** Why `prefix` cannot hold a project's outputs, or null. */
export function s3PrefixProblem(prefix: string): string | null {
  if (prefix === "") return 's3Parquet needs a prefix, a folder of its own for the project\'s outputs, like prefix: "dagx/shop" (gc and wipe --data act only under it)';
  for (const seg of prefix.split("/")) {
    if (seg === "" || seg === "." || seg === ".." || !PREFIX_SEGMENT.test(seg)) return `s3Parquet's prefix must be folder names of letters, digits, "_", "-", "." and "=" joined by "/", without a leading or trailing "/" (got ${JSON.stringify(prefix)})`;
  }
  return null;
}

/** Why `bucket` is not a bucket name, or null. */
export function s3BucketProblem(bucket: string): string | null {
  return BUCKET.test(bucket) && !bucket.includes("..") ? null : `s3Parquet's bucket must be a bucket name (3–63 lower-case letters, digits, "." or "-"), like "analytics-data" (got ${JSON.stringify(bucket)})`;
}

/** Why `o` cannot be `s3Parquet`'s options, or null (values given by `env()` are checked when they are read). */
export function s3ParquetProblem(o: unknown): string | null {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return `s3Parquet takes an object like s3Parquet({ bucket: "analytics", prefix: "dagx/shop" }) (got ${describeValue(o)})`;
  const x = o as Record<string, unknown>;
  for (const k of Object.keys(x)) if (!OPTION_NAMES.includes(k)) return `s3Parquet has no option "${k}": use ${OPTION_NAMES.slice(0, -1).join(", ")} or name`;
  const text = (k: string, required: boolean) => {
    const v = x[k];
    if (v === undefined && !required) return null;
    if (isEnvRef(v)) return null;
    if (typeof v !== "string" || v.trim() === "") return `s3Parquet needs ${k} as a non-empty string or env("…") (got ${describeValue(v)})`;
    return null;
  };
  for (const [k, required] of [["bucket", true], ["prefix", true], ["endpoint", false], ["region", false]] as const) {
    const p = text(k, required);
    if (p) return p;
  }
  if (typeof x.bucket === "string") {
    const p = s3BucketProblem(x.bucket);
    if (p) return p;
  }
  if (typeof x.prefix === "string") {
    const p = s3PrefixProblem(x.prefix);
    if (p) return p;
  }
  if (x.urlStyle !== undefined && x.urlStyle !== "path" && x.urlStyle !== "vhost") return `s3Parquet's urlStyle must be "path" or "vhost" (got ${describeValue(x.urlStyle)})`;
  if (x.useSsl !== undefined && typeof x.useSsl !== "boolean") return `s3Parquet's useSsl must be true or false (got ${describeValue(x.useSsl)})`;
  for (const k of ["accessKeyId", "secretAccessKey", "sessionToken"]) {
    const v = x[k];
    if (v === undefined || isEnvRef(v)) continue;
    // a credential written in the config would be in the repository and in every copy of it
    return `s3Parquet's ${k} must be an env() reference, like ${k}: env("${DEFAULT_CREDENTIAL_ENV[k as CredentialOption]}"): credentials are never written in dagx.config.ts (got ${typeof v === "string" ? "a string" : describeValue(v)})`;
  }
  if (typeof x.endpoint === "string") {
    const p = endpointProblem(x.endpoint);
    if (p) return p;
  }
  if (x.name !== undefined && (typeof x.name !== "string" || x.name === "")) return `s3Parquet's name must be a non-empty string (got ${describeValue(x.name)})`;
  return null;
}

/** Why `endpoint` is not "scheme://host[:port]" or "host[:port]", or null. */
export function endpointProblem(endpoint: string): string | null {
  const m = /^(?:(https?):\/\/)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?\/?$/.exec(endpoint);
  return m ? null : `s3Parquet's endpoint must be a server like "http://127.0.0.1:9000" or "minio.example.com:9000", without a path (got ${JSON.stringify(endpoint)})`;
}

type CredentialOption = "accessKeyId" | "secretAccessKey" | "sessionToken";

/** The variables credentials come from when the options name none (the AWS tools' names). */
export const DEFAULT_CREDENTIAL_ENV: Readonly<Record<CredentialOption, string>> = {
  accessKeyId: "AWS_ACCESS_KEY_ID",
  secretAccessKey: "AWS_SECRET_ACCESS_KEY",
  sessionToken: "AWS_SESSION_TOKEN",
};

/** The credential references of `o`, with the defaults filled in (every one secret). */
export function s3CredentialRefs(o: Pick<S3ParquetOptions, CredentialOption>): Record<CredentialOption, EnvRef> {
  return {
    accessKeyId: o.accessKeyId ?? env(DEFAULT_CREDENTIAL_ENV.accessKeyId, { secret: true }),
    secretAccessKey: o.secretAccessKey ?? env(DEFAULT_CREDENTIAL_ENV.secretAccessKey, { secret: true }),
    sessionToken: o.sessionToken ?? env(DEFAULT_CREDENTIAL_ENV.sessionToken, { default: "", secret: true }),
  };
}

/**
 * An IO manager that stores each asset as Parquet objects in an S3-compatible store, in the same
 * layout as the local Parquet files (`<prefix>/<key>/<partition folders>/data-<run id>.parquet`).
 * Each materialization is uploaded under a key of its own and becomes current only when state
 * records it, so a failed or killed run leaves the previous output readable; downstream steps and
 * `dagx query` read the objects in place (DuckDB httpfs, column and row-group pushdown). dagx
 * deletes only objects state recorded, under `prefix`. Credentials come from `env()` (secret: they
 * never appear in any output). It stores tables — rows, Arrow Tables, `ctx.sql` results; as the
 * project default (`io` in the config), other values still go to JSON.
 *
 * @example
 * // dagx.config.ts: every table output goes to s3://analytics/dagx/shop/…
 * export default defineConfig({
 *   io: s3Parquet({ bucket: "analytics", prefix: "dagx/shop", region: "eu-west-1" }), // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 * });
 * // MinIO: s3Parquet({ bucket: "lake", prefix: "shop", endpoint: "http://127.0.0.1:9000",
 * //   accessKeyId: env("MINIO_KEY"), secretAccessKey: env("MINIO_SECRET") })
 */
export function s3Parquet(options: S3ParquetOptions): IOManager {
  const problem = s3ParquetProblem(options);
  if (problem) throw new TypeError(problem);
  const unbound = (): never => {
    throw new Error("s3Parquet works inside dagx: declare it in dagx.config.ts (ioManagers or io)");
  };
  const manager = defineIOManager({ name: options.name ?? "s3", handleOutput: unbound, loadInput: unbound });
  Object.defineProperty(manager, S3_PARQUET, { value: { ...options } });
  // visible to the load-time walk that tells the redactor which env() values are secret (the defaults too)
  Object.defineProperty(manager, "credentials", { value: s3CredentialRefs(options), enumerable: true });
  return manager;
}

/** The options of a manager made by `s3Parquet`, or null for any other. */
export function s3ParquetOptionsOf(m: unknown): Readonly<S3ParquetOptions> | null {
  return typeof m === "object" && m !== null ? ((m as Record<symbol, S3ParquetOptions | undefined>)[S3_PARQUET] ?? null) : null;
}
