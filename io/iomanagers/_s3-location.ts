/**
 * Where an s3Parquet output lives, as state records it: the object's `s3://bucket/key` URL and,
 * after a "?", how to reach the store — endpoint, region, URL style, the project's prefix, and the
 * NAMES of the environment variables holding the credentials (never their values). So a command
 * that loads no definitions (`dagx query`, `dagx gc`) reads and deletes exactly what state
 * recorded, with the same credentials the run used.
 *
 *   s3://analytics/dagx/shop/orders/data-0193….parquet?region=eu-west-1&style=vhost&ssl=1&prefix=dagx%2Fshop&key=AWS_ACCESS_KEY_ID&secret=AWS_SECRET_ACCESS_KEY&token=AWS_SESSION_TOKEN
 */
import { env, type EnvLookup, type EnvRef, MissingEnvError, resolveEnvRefs } from "../../core/env.ts";
import { DagxError } from "../../core/errors.ts";
import { DEFAULT_CREDENTIAL_ENV } from "../../core/s3-parquet.ts";

/** How to reach a bucket, without secrets. */
export interface S3Target {
  bucket: string;
  /** The project's folder in the bucket (no leading or trailing "/"). */
  prefix: string;
  /** `host[:port]` of a store other than AWS; null for AWS. */
  endpoint: string | null;
  region: string;
  urlStyle: "path" | "vhost";
  useSsl: boolean;
  /** Names of the variables holding the credentials. */
  keyEnv: string;
  secretEnv: string;
  tokenEnv: string;
}

/** One stored object: its target and key in the bucket. */
export interface S3Object extends S3Target {
  key: string;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** "" when none. */
  sessionToken: string;
}

export const S3_SCHEME = "s3://";

export function formatS3Location(o: S3Object): string {
  const q = new URLSearchParams();
  if (o.endpoint !== null) q.set("endpoint", o.endpoint);
  q.set("region", o.region);
  q.set("style", o.urlStyle);
  q.set("ssl", o.useSsl ? "1" : "0");
  q.set("prefix", o.prefix);
  q.set("key", o.keyEnv);
  q.set("secret", o.secretEnv);
  q.set("token", o.tokenEnv);
  return `${S3_SCHEME}${o.bucket}/${o.key}?${q}`;
}

/** The object a location names, or null when it is not an s3Parquet location. */
export function parseS3Location(location: string): S3Object | null {
  if (!location.startsWith(S3_SCHEME)) return null;
  const at = location.indexOf("?");
  if (at < 0) return null;
  const path = location.slice(S3_SCHEME.length, at);
  const slash = path.indexOf("/");
  if (slash <= 0) return null;
  const q = new URLSearchParams(location.slice(at + 1));
  const style = q.get("style");
  const [keyEnv, secretEnv, tokenEnv, region, prefix] = [q.get("key"), q.get("secret"), q.get("token"), q.get("region"), q.get("prefix")];
  if (!keyEnv || !secretEnv || !tokenEnv || !region || prefix === null || (style !== "path" && style !== "vhost")) return null;
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1), prefix, endpoint: q.get("endpoint"), region, urlStyle: style, useSsl: q.get("ssl") !== "0", keyEnv, secretEnv, tokenEnv };
}

/** `s3://bucket/key`: what DuckDB reads. */
export function objectUrl(o: Pick<S3Object, "bucket" | "key">): string {
  return `${S3_SCHEME}${o.bucket}/${o.key}`;
}

/** True when the object lies under the target's prefix, in the folder of `assetKey`: the only objects dagx deletes. */
export function isUnderAsset(o: S3Object, assetKey: string): boolean {
  return o.key.startsWith(`${o.prefix}/${assetKey}/`) && !o.key.slice(o.prefix.length + 1).split("/").includes("..");
}

/** The env() references of a target's credentials (every one secret; the token may be unset). */
export function credentialRefs(t: Pick<S3Target, "keyEnv" | "secretEnv" | "tokenEnv">): { accessKeyId: EnvRef; secretAccessKey: EnvRef; sessionToken: EnvRef } {
  return {
    accessKeyId: env(t.keyEnv, { secret: true }),
    secretAccessKey: env(t.secretEnv, { secret: true }),
    sessionToken: env(t.tokenEnv, { default: "", secret: true }),
  };
}

/** The credentials of `t`, read now through `lookup` (their values become known secrets); a missing variable throws naming it. */
export function readCredentials(t: S3Target, lookup: EnvLookup, what: string): S3Credentials {
  return credentialsFor(t, (refs) => resolveEnvRefs(refs, lookup, what), what);
}

/**
 * The credentials of `t` through `resolve` (a context's `resolve`, or a lookup's); a missing
 * variable is a RESOURCE error saying which option it stands for and how to set it. `what` is
 * what needed them: `store "orders"`.
 */
export function credentialsFor(t: S3Target, resolve: (refs: ReturnType<typeof credentialRefs>) => S3Credentials, what: string): S3Credentials {
  try {
    return resolve(credentialRefs(t));
  } catch (error) {
    if (!(error instanceof MissingEnvError)) throw error;
    const name = error.ref.name;
    const option = name === t.keyEnv ? "accessKeyId" : name === t.secretEnv ? "secretAccessKey" : "sessionToken";
    const byDefault = DEFAULT_CREDENTIAL_ENV[option] === name;
    throw new DagxError(
      "RESOURCE",
      `Cannot ${what}: environment variable "${name}" is not set (s3Parquet's ${option}${byDefault ? ", by default" : ""}): set it in the environment or in the project's .env file${byDefault ? `, or name another variable with s3Parquet({ ${option}: env("…") })` : ""}`,
      { exitCode: 1 },
    );
  }
}

/** Identifies a target and its credentials (the secret's name in DuckDB, the client cache). */
export function targetId(t: S3Target): string {
  return JSON.stringify([t.bucket, t.prefix, t.endpoint, t.region, t.urlStyle, t.useSsl, t.keyEnv, t.secretEnv, t.tokenEnv]);
}
