/**
 * Resources (DESIGN §12): long-lived things a step uses — a warehouse client, an API session —
 * declared once in `dagx.config.ts` and requested by name per asset, check, sensor or IO manager.
 * Definitions are inert; io/run/resources.ts sets them up lazily, once per process that runs steps,
 * and tears them down in reverse order at the end. The types thread each resource's value through
 * to `ctx.resources`: `dagx types` augments `Register` with the project's config.
 */
import type { AssetLogger } from "./context.ts";
import type { Resolved } from "./env.ts";
import { callerLocation } from "./location.ts";
import { DefinitionError } from "./errors.ts";
import { didYouMean } from "./suggest.ts";

export const RESOURCE_DEF = Symbol.for("dagx.resource");

/**
 * What a resource's `setup` receives. `in out R`: TypeScript takes R's variance as said instead of
 * measuring it through `resources`, which would read the project's config type while that type is
 * being inferred (the resource is part of it) and lose the resource's types (tsc, measured).
 */
export interface ResourceContext<C = unknown, in out R extends readonly string[] = readonly string[]> {
  /** The name it is declared under in `dagx.config.ts`. */
  readonly name: string;
  /** Its `config`, with every `env()` reference replaced by the variable's value (read now, at setup). */
  readonly config: Resolved<C>;
  /** Lines are captured into the events of the run that set it up. */
  readonly log: AssetLogger;
  /**
   * The resources it requested with `resources: [...]` (each set up first, once), plus the plain
   * values of dagx.config.ts `resources` (typed when requested by name too).
   */
  readonly resources: SetupResources<R>;
  /** Absolute path of a file relative to the project root. */
  path(relative: string): string;
}

/** Options of `defineResource`. */
export interface ResourceOptions<T, C, R extends readonly string[] = readonly string[]> {
  /** Plain values and `env()` references; `setup` gets them resolved as `ctx.config`. */
  config?: C;
  /**
   * Other resources this one uses, by their name in dagx.config.ts: each is set up before this
   * one's `setup` (once per process, shared with the steps that request it) and reaches it as
   * `ctx.resources.<name>`; torn down after this one. A cycle or an unknown name is a definition
   * error when the project loads.
   */
  resources?: R;
  /** Make the value steps see as `ctx.resources.<name>`: called once per process, when the first step that requests it runs. */
  setup(ctx: ResourceContext<C, R>): T | Promise<T>;
  /** Release it (close a pool, end a session): called at the end of the run, also after a failure or cancel; in reverse setup order. */
  teardown?(value: T): void | Promise<void>;
  description?: string;
}

/** A resource, made by `defineResource`. */
export interface ResourceDef<T = unknown, C = unknown> {
  readonly [RESOURCE_DEF]: true;
  readonly config: C | undefined;
  /** The names of the resources its `setup` requests (`[]` when none). */
  readonly resources: readonly string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly setup: (ctx: ResourceContext<C, any>) => T | Promise<T>;
  readonly teardown: ((value: T) => void | Promise<void>) | undefined;
  readonly description: string | null;
  /** "file:line" of the `defineResource` call, when known. */
  readonly location: string | null;
  /** Phantom: the value `setup` makes. */
  readonly $value?: T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyResourceDef = ResourceDef<any, any>;

/**
 * Define a resource. Declare it in `defineConfig({ resources: { warehouse } })` and request it per
 * asset with `resources: ["warehouse"]`; inside, `ctx.resources.warehouse` is what `setup`
 * returned (typed, once `dagx types` has run).
 * @example
 * export const warehouse = defineResource({
 *   config: { url: env("WAREHOUSE_URL"), token: env("WAREHOUSE_TOKEN") },
 *   setup: async ({ config }) => connect(config.url, { token: config.token }),
 *   teardown: (client) => client.close(),
 * });
 * // a resource that uses another: `http` is set up first and torn down after
 * export const api = defineResource({
 *   resources: ["http"],
 *   setup: ({ resources }) => new ApiClient(resources.http),
 * });
 */
export function defineResource<T, C = undefined, const R extends readonly string[] = []>(options: ResourceOptions<T, C, R>): ResourceDef<T, C> {
  const location = callerLocation();
  const where = location ? ` at ${location}` : "";
  if (options === null || typeof options !== "object") throw new TypeError(`defineResource() needs an options object with setup(ctx)${where}`);
  if (typeof options.setup !== "function") throw new TypeError(`defineResource() needs setup(ctx), a function that makes the resource's value${where}`);
  if (options.teardown !== undefined && typeof options.teardown !== "function") throw new TypeError(`defineResource() teardown must be a function of the value${where}`);
  const requested = options.resources;
  if (requested !== undefined && (!Array.isArray(requested) || requested.some((n) => typeof n !== "string"))) {
    throw new TypeError(`defineResource() resources must be a list of resource names declared in dagx.config.ts, like resources: ["http"]${where}`);
  }
  return {
    [RESOURCE_DEF]: true,
    config: options.config,
    resources: Object.freeze([...(requested ?? [])]),
    setup: options.setup,
    teardown: options.teardown,
    description: options.description ?? null,
    location,
  };
}

/** True when `v` is a resource made by `defineResource`. */
export function isResourceDef(v: unknown): v is AnyResourceDef {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[RESOURCE_DEF] === true;
}

/**
 * Filled by `dagx types` (`.dagx/types/dagx.d.ts`) with the project's config, so resource names
 * and values are checked: `interface Register { config: typeof import("../../dagx.config").default }`.
 * Empty (names are any string, values unknown) until then.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Register {}

type ProjectConfig = Register extends { config: infer C } ? C : never;
type Registered = [ProjectConfig] extends [never] ? false : true;
/** The project's `resources`, as declared in dagx.config.ts. */
export type ProjectResources = ProjectConfig extends { resources?: infer R } ? Exclude<R, undefined> : {};
/** A name an asset may request: a key of the config's `resources` (any string before `dagx types`). */
export type ResourceName = Registered extends true ? Extract<keyof ProjectResources, string> : string;
/** What `ctx.resources.<name>` holds for a declared entry: the value `setup` returns, or the plain value. */
export type ResourceValue<V> = V extends ResourceDef<infer T, infer _C> ? Awaited<T> : V;
/** Plain values of `resources` (not made by defineResource): every asset sees them. */
export type PlainResources = { readonly [K in keyof ProjectResources as ProjectResources[K] extends AnyResourceDef ? never : K]: ProjectResources[K] };
/** `ctx.resources` of a definition that requests `R`. */
export type ResourcesOf<R extends readonly string[] = []> = Registered extends true
  ? PlainResources & { readonly [K in R[number] & keyof ProjectResources]: ResourceValue<ProjectResources[K]> }
  : Readonly<Record<string, unknown>>;

/**
 * `ctx.resources` of a resource's setup that requests `R`: typed per requested name, each
 * property resolved only where setup reads it. The config's type includes the resource itself, so
 * any eager look at `ProjectResources` here (its keys, an intersection with PlainResources) is a
 * circular type and TypeScript silently loses the resource's inferred types (tsc, measured).
 */
export type SetupResources<R extends readonly string[]> = {
  readonly [K in R[number]]: K extends keyof ProjectResources ? (Registered extends true ? ResourceValue<ProjectResources[K]> : unknown) : unknown;
};

/** What a definition asks for, as the loader reads it. */
export interface ResourceRequest {
  /** `Asset "orders"`, `Check "orders_ok" of "orders"`, `Sensor "s"`, `IO manager "ndjson"`. */
  what: string;
  /** The `resources` option as written. */
  names: unknown;
  /** "file:line" of the definition. */
  location: string | null;
}

/** Why a request is invalid (not a list of strings, or a name the config does not declare), or null. */
export function resourceRequestProblem(req: ResourceRequest, declared: readonly string[]): string | null {
  const at = req.location ? ` at ${req.location}` : "";
  if (req.names === undefined) return null;
  if (!Array.isArray(req.names) || req.names.some((n) => typeof n !== "string")) {
    return `${req.what}${at} has an invalid resources option: it must be a list of names declared in dagx.config.ts, like resources: ["warehouse"]`;
  }
  for (const name of req.names as string[]) {
    if (declared.includes(name)) continue;
    const hint = didYouMean(name, declared) || (declared.length ? ` — declared: ${declared.map((d) => `"${d}"`).join(", ")}` : "");
    return `${req.what}${at} requests unknown resource "${name}"${hint}: declare it in dagx.config.ts under resources, or fix the name`;
  }
  return null;
}

/** Every request of the project's assets, checks and IO managers, checked against the config; throws a DefinitionError (exit 2) at the first bad one. */
export function assertResourceRequests(requests: Iterable<ResourceRequest>, resources: Readonly<Record<string, unknown>> | undefined): void {
  const declared = Object.keys(resources ?? {});
  for (const req of requests) {
    const problem = resourceRequestProblem(req, declared);
    if (problem) throw new DefinitionError("DEFINITION_INVALID", problem, req.location ?? undefined);
  }
}

/**
 * What the config's resources request of each other: an unknown name (did you mean) or a cycle
 * (`"api" → "http" → "api"`) is a DefinitionError (exit 2) at the requesting `defineResource`'s
 * file:line (`at` makes a location relative for messages). A plain value may be requested (it is
 * there anyway); a resource may not request itself.
 */
export function assertResourceGraph(resources: Readonly<Record<string, unknown>> | undefined, at: (location: string | null) => string | null = (l) => l): void {
  const all = resources ?? {};
  const declared = Object.keys(all);
  const defs = new Map<string, AnyResourceDef>();
  for (const [name, v] of Object.entries(all)) if (isResourceDef(v)) defs.set(name, v);
  for (const [name, def] of defs) {
    const problem = resourceRequestProblem({ what: `Resource "${name}"`, names: def.resources, location: at(def.location) }, declared);
    if (problem) throw new DefinitionError("DEFINITION_INVALID", problem, at(def.location) ?? undefined);
  }
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (name: string): void => {
    const def = defs.get(name);
    if (!def || state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...path.slice(path.indexOf(name)), name];
      const steps = cycle.slice(0, -1).map((n, i) => {
        const loc = at(defs.get(n)!.location);
        return `resource "${n}"${loc ? ` at ${loc}` : ""} requests "${cycle[i + 1]}"`;
      });
      const first = at(defs.get(cycle[0]!)!.location);
      throw new DefinitionError(
        "DEFINITION_CYCLE",
        `Resources request each other in a cycle: ${cycle.map((n) => `"${n}"`).join(" → ")} (${steps.join("; ")}): a resource is set up after the ones it requests, so one of these requests must go`,
        first ?? undefined,
      );
    }
    state.set(name, "visiting");
    path.push(name);
    for (const dep of def.resources) visit(dep);
    path.pop();
    state.set(name, "done");
  };
  for (const name of defs.keys()) visit(name);
}
