/**
 * The user-code boundary (Dagster's `user_code_error_boundary`): every call into user code — asset
 * functions, checks, sensors, IO managers, the config — goes through `callUserCode`, which turns a
 * throw into a `UserCodeError` carrying the cause, the asset key, partition, run id and the user's
 * file:line. What dagx itself throws outside such a call (DuckDB, the file system, a bug) is not
 * wrapped, so it stays an internal error with its stack.
 */
import { sqlAssetErrorPosition } from "./sql-asset/errors.ts";
import { SqlError, UserCodeError } from "./errors.ts";
import { relativeTo, userFrame } from "./location.ts";

/** Who is called, for the error: the project root (frames under it are the user's) and the step's identifiers. */
export interface UserCodeSite {
  root: string;
  assetKey?: string | null;
  partitionKey?: string | null;
  runId?: string | null;
  /** Absolute "file:line" of the definition: named when the stack holds no frame of the user's. */
  definedAt?: string | null;
  /** What was called, when the message should say it: `Sensor "s"` → `Sensor "s" threw: …`. */
  what?: string;
}

/**
 * Call `fn` (user code); a throw — or a rejection, when it returns a promise — becomes a
 * `UserCodeError`. One that is already a `UserCodeError` (a nested call) passes unchanged.
 */
export function callUserCode<T>(site: UserCodeSite, fn: () => T): T {
  let out: T;
  try {
    out = fn();
  } catch (e) {
    throw userCodeError(e, site);
  }
  if (isPromiseLike(out)) {
    return Promise.resolve(out).then(undefined, (e: unknown) => {
      throw userCodeError(e, site);
    }) as T;
  }
  return out;
}

/** `e`, thrown by user code at `site`, as a UserCodeError with the user's file:line. */
export function userCodeError(e: unknown, site: UserCodeSite): UserCodeError {
  if (e instanceof UserCodeError) return e;
  const d = describeThrown(e, site.root, site.definedAt ?? null);
  const message = site.what ? `${site.what} threw: ${d.message}` : d.message;
  return new UserCodeError(message, site.assetKey ?? null, site.partitionKey ?? null, site.runId ?? null, d.location, e, d.detail);
}

/**
 * "message (at file:line:col)" for a thrown value. A failed ctx.sql names the line of its query
 * ("ctx.sql failed at file:line:col: …") and carries the compiled SQL as `detail`. A query in tail
 * position (`(ctx) => ctx.sql\`…\``) has no frame of its own (JavaScriptCore drops tail callers
 * from stacks): then `definedAt`, the asset's (or check's) definition line, names where it was written.
 */
export function describeThrown(e: unknown, root: string, definedAt: string | null): { message: string; location: string | null; detail: string | null } {
  const err = e instanceof Error ? e : new Error(typeof e === "string" ? e : `non-Error value thrown: ${String(e)}`);
  if (err instanceof SqlError) {
    const defined = definedAt === null ? null : relativeTo(root, definedAt);
    const sqlFile = definedAt === null ? null : /^(.*\.asset\.sql):\d+$/.exec(definedAt)?.[1];
    const pos = sqlFile ? sqlAssetErrorPosition(sqlFile, err.reason) : null;
    if (sqlFile && pos) {
      const at = `${relativeTo(root, sqlFile)}:${pos.line}:${pos.column}`;
      return { message: `SQL failed at ${at}: ${err.reason.replace(/\n*LINE \d+: [^\n]*\n *\^[^\n]*/, "")}\n${pos.frame}`, location: at, detail: err.detail };
    }
    const at = userFrame(err.site?.stack, root) ?? defined ?? userFrame(err.stack, root);
    return { message: `ctx.sql failed${at ? ` at ${at}` : ""}: ${err.reason}`, location: at, detail: err.detail };
  }
  const location = userFrame(err.stack, root);
  const name = err.name && err.name !== "Error" && err.name !== "DagxError" && !err.name.endsWith("OutputError") ? `${err.name}: ` : "";
  return { message: `${name}${err.message}${location ? ` (at ${location})` : ""}`, location, detail: null };
}

/** What the user's own code threw: the cause of a UserCodeError, else `e` itself. */
export function thrownValue(e: unknown): unknown {
  return e instanceof UserCodeError ? e.cause : e;
}

/** The message the user's own code threw, without dagx's additions (for records that keep it as written). */
export function thrownMessage(e: unknown): string {
  const cause = thrownValue(e);
  return (cause as Error)?.message ?? String(cause);
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as { then?: unknown }).then === "function";
}
