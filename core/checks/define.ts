/**
 * `check()`: a user-defined check of one asset. The definition is inert; the loader names it
 * after its export and attaches it to its asset (core/checks/resolve.ts), the run engine calls it.
 */
import { type AnyAssetDef, isAssetDef } from "../asset.ts";
import { DefinitionError } from "../errors.ts";
import { parseDuration } from "../duration.ts";
import { callerLocation as checkLocation } from "../location.ts";
import { checkOptionsProblem } from "./builtins.ts";
import { CHECK_DEF, type CheckContext, type CheckDef, type CheckOptions, type CheckOutput } from "./types.ts";
import type { AssetDef, InputOf, OutputOf } from "../asset.ts";
import type { MaybePromise } from "../types.ts";
import type { ResourceName, ResourcesOf } from "../resources.ts";

type CheckFn<A extends AnyAssetDef, R extends readonly string[] = []> = (ctx: CheckContext<ResourcesOf<R>, ConfigOfAsset<A>>, data: InputOf<OutputOf<A>>) => MaybePromise<CheckOutput>;
/** The checked asset's `ctx.config` type. */
type ConfigOfAsset<A> = A extends AssetDef<infer _O, infer Cfg> ? Cfg : unknown;

/**
 * Define a check of `asset`, exported from an asset file. Its name is the export name unless
 * `name` is given. `data` is what a downstream asset would get: a table handle for tabular
 * outputs (query it with `ctx.sql`, or `.rows()`), the value for JSON. Return `true`/`false` or
 * `{ passed, metadata }`; a check that throws or times out counts as failed, with its message.
 *
 * @example
 * export const orders_recent = check(orders, { severity: "warn", description: "Orders of the last 2 days" },
 *   async (ctx, orders) => {
 *     const [r] = await ctx.sql`select count(*) as n from ${orders} where order_date >= current_date - 2`.rows();
 *     return { passed: Number(r?.n) > 0, metadata: { recent: Number(r?.n) } };
 *   });
 * export const has_currency = check(settings, (ctx, settings) => typeof settings.currency === "string");
 */
export function check<A extends AnyAssetDef>(asset: A, fn: CheckFn<A>): CheckDef<A>;
export function check<A extends AnyAssetDef, const R extends readonly ResourceName[] = []>(asset: A, options: CheckOptions<R>, fn: CheckFn<A, R>): CheckDef<A>;
export function check(asset: unknown, a: unknown, b?: unknown): CheckDef {
  const location = checkLocation();
  const options = (typeof a === "function" ? {} : a) as CheckOptions;
  const fn = (typeof a === "function" ? a : b) as CheckDef["fn"];
  const bad = (what: string) => new DefinitionError("DEFINITION_INVALID", `Invalid check${location ? ` at ${location}` : ""}: ${what}`, location ?? undefined);
  if (!isAssetDef(asset)) throw bad("the first argument must be an asset definition: check(orders, { … }, (ctx, orders) => …)");
  if (typeof fn !== "function") throw bad("it needs a function: check(asset, fn) or check(asset, options, fn)");
  if (options === null || typeof options !== "object") throw bad("options must be an object");
  const problem = checkOptionsProblem(options) ?? timeoutProblem(options.timeout);
  if (problem) throw bad(problem);
  return { [CHECK_DEF]: true, asset, options, fn, location };
}

/** True when `value` is a `check()` definition. */
export function isCheckDef(value: unknown): value is CheckDef {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[CHECK_DEF] === true;
}

/** The timeout in ms (default 60 s); throws a message for a bad value. */
export function checkTimeoutMs(timeout: unknown): number {
  if (timeout === undefined) return DEFAULT_CHECK_TIMEOUT_MS;
  if (typeof timeout !== "number" && typeof timeout !== "string") throw new TypeError(`timeout must be milliseconds or a duration like "30s" (got ${typeof timeout})`);
  const ms = parseDuration(timeout, "timeout");
  if (ms <= 0) throw new TypeError(`timeout must be more than 0 (got ${JSON.stringify(timeout)})`);
  return ms;
}

/** Default longest run of a check function. */
export const DEFAULT_CHECK_TIMEOUT_MS = 60_000;

function timeoutProblem(timeout: unknown): string | null {
  try {
    checkTimeoutMs(timeout);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
