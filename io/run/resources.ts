/**
 * The resources of one process that runs steps (a run, a `dagx check`, the daemon's sensor
 * evaluations): each declared resource is set up lazily — when the first step that requests it
 * runs, once, its `env()` config resolved at that moment — and torn down at the end, in reverse
 * setup order, also after a failure or cancel. A setup that fails fails every step that needs it,
 * naming the resource and its file:line; the other steps run. A resource that requests others
 * (`defineResource({ resources: ["http"] })`) has them set up first — shared with the steps that
 * request them — so the reverse order tears it down before them.
 */
import { join } from "node:path";
import type { AssetLogger } from "../../core/context.ts";
import { type EnvLookup, MissingEnvError, resolveEnvRefs } from "../../core/env.ts";
import { DagxError, UserCodeError } from "../../core/errors.ts";
import { relativeTo } from "../../core/location.ts";
import { type AnyResourceDef, isResourceDef } from "../../core/resources.ts";
import { callUserCode } from "../../core/user-code.ts";
import type { Project } from "../project/index.ts";
import { projectEnv } from "../secrets/index.ts";

export interface ResourcePool {
  /**
   * `ctx.resources` of a definition that requests `names` (`who`: `Asset "orders"`, for messages;
   * `log`: where setup's lines go): the plain values of the config and each requested resource,
   * set up now if it is not yet.
   */
  acquire(names: readonly string[] | undefined, who: string, log: AssetLogger): Promise<Readonly<Record<string, unknown>>>;
  /** Tear down what was set up, newest first; each failure is reported to `onError` and the rest still run. */
  teardown(onError?: (message: string) => void): Promise<void>;
  /** Where `env()` references are read (IO managers' options resolve through it too). */
  readonly env: EnvLookup;
}

export interface ResourcePoolOptions {
  root: string;
  /** dagx.config.ts `resources`: defined resources and plain values. */
  resources: Readonly<Record<string, unknown>>;
  env: EnvLookup;
}

interface SetUp {
  name: string;
  def: AnyResourceDef;
  value: unknown;
}

export function createResourcePool(o: ResourcePoolOptions): ResourcePool {
  const plain: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(o.resources)) if (!isResourceDef(v)) plain[name] = v;
  const frozenPlain = Object.freeze({ ...plain });
  const pending = new Map<string, Promise<unknown>>();
  const done: SetUp[] = [];

  // the value of `names` for `who`: plain values, then each requested resource, set up once (its own requests first)
  const valuesOf = async (names: readonly string[], who: string, log: AssetLogger, chain: readonly string[]): Promise<Readonly<Record<string, unknown>>> => {
    if (names.length === 0) return frozenPlain;
    const out: Record<string, unknown> = { ...plain };
    for (const name of names) {
      const def = o.resources[name];
      if (!isResourceDef(def)) {
        if (name in o.resources) continue; // a plain value, already there
        throw new DagxError("RESOURCE", `${who} requests resource "${name}", which dagx.config.ts does not declare: declare it under resources`, { exitCode: 1 });
      }
      // the project load refuses cycles (core/resources.ts assertResourceGraph); a pool built without it must not wait on itself
      if (chain.includes(name)) throw new DagxError("RESOURCE", `Resources request each other in a cycle: ${[...chain, name].map((n) => `"${n}"`).join(" → ")}: remove one of the requests`, { exitCode: 1 });
      let p = pending.get(name);
      // one setup per process: concurrent steps wait for the same one; a failed setup fails each step that needs it
      if (!p) pending.set(name, (p = setUp(name, def, who, log, [...chain, name])));
      out[name] = await p;
    }
    return Object.freeze(out);
  };

  const setUp = (name: string, def: AnyResourceDef, who: string, log: AssetLogger, chain: readonly string[]): Promise<unknown> => {
    const where = def.location ? ` (defined at ${relativeTo(o.root, def.location)})` : "";
    return (async () => {
      // what it requests is set up first (and so torn down after it)
      const resources = await valuesOf(def.resources ?? [], `Resource "${name}"${where} for ${who}`, log, chain);
      let config: unknown;
      try {
        config = resolveEnvRefs(def.config, o.env, `resource "${name}"${where}, requested by ${who}`);
      } catch (e) {
        if (e instanceof MissingEnvError) throw new DagxError("RESOURCE", `Resource "${name}" cannot be set up: ${e.message}`, { exitCode: 1 });
        throw e;
      }
      const ctx = { name, config, log, resources, path: (rel: string) => join(o.root, rel) };
      let value: unknown;
      try {
        value = await callUserCode({ root: o.root, definedAt: def.location, what: `Resource "${name}" setup${where}` }, () => def.setup(ctx as never));
      } catch (e) {
        if (e instanceof UserCodeError) throw e;
        throw new DagxError("RESOURCE", `Resource "${name}" setup${where} failed: ${(e as Error)?.message ?? String(e)}`, { exitCode: 1, cause: e });
      }
      done.push({ name, def, value });
      return value;
    })();
  };

  return {
    env: o.env,
    acquire: (names, who, log) => valuesOf(names ?? [], who, log, []),
    async teardown(onError) {
      // a setup still running (a canceled run) is torn down too once it is done
      await Promise.allSettled(pending.values());
      while (done.length) {
        const r = done.pop()!;
        if (!r.def.teardown) continue;
        const where = r.def.location ? ` (defined at ${relativeTo(o.root, r.def.location)})` : "";
        try {
          await callUserCode({ root: o.root, definedAt: r.def.location, what: `Resource "${r.name}" teardown${where}` }, () => r.def.teardown!(r.value));
        } catch (e) {
          onError?.((e as Error)?.message ?? String(e));
        }
      }
      pending.clear();
    },
  };
}

/** The resource pool of one run of `project`: its config's `resources`, `env()` read from the process environment and the project's .env. */
export function projectResources(project: Pick<Project, "root" | "config">): ResourcePool {
  return createResourcePool({ root: project.root, resources: project.config.resources ?? {}, env: projectEnv(project.root) });
}
