/**
 * Where a dbt project's relations live, for observing and reading them after a build: with
 * dbt-duckdb, the database file named by the target's `path` in profiles.yml. dagx reads the
 * profile the way dbt would for the common cases — the project's `profile:`, `--target` or the
 * profile's `target:`, `{{ env_var('NAME', 'default') }}` in the path, a relative path taken from
 * the dbt project folder (dbt's working directory). Anything else (another adapter, an in-memory or
 * MotherDuck database, other Jinja) is "not observable": its outs get a data version that changes on
 * every build, so dagx never takes a rebuilt model for unchanged (docs/dbt.md "dbt → dagx").
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, extname, isAbsolute, join, resolve } from "node:path";
import type { IOManager } from "../../core/io-manager.ts";
import { createDbtRelationIO, type DbtRelationSpec } from "../iomanagers/index.ts";
import type { DbtDefinitions, DbtInvocation } from "./index.ts";

/** The manager of each dbt project (name + folder) and what it was made from: a new one only when that changes, so a long-lived process keeps one per project. */
const managers = new Map<string, { id: string; manager: IOManager }>();

/**
 * The IO manager of every out of one dbt project (io/iomanagers/dbt-relation.ts): named
 * `dbt:<project>` (`@<target>` when one is given), it knows each node's relation and dbt-duckdb's file. One object per project and
 * setup, so two `dbtProject()` exports of one dbt project share it (one name, one manager).
 */
export function dbtOutIO(inv: DbtInvocation, definitions: DbtDefinitions): IOManager {
  const database = dbtDatabaseOf(inv, definitions.adapter, { ...process.env, ...inv.env });
  const relations = new Map<string, DbtRelationSpec>(
    definitions.assets.map((a) => [
      a.key,
      { schema: a.relation.schema ?? "main", name: a.relation.name, ...(a.relation.database ? { database: a.relation.database } : {}), ...(a.materialized ? { materialized: a.materialized } : {}) },
    ]),
  );
  const name = `dbt:${definitions.project}${inv.target ? `@${inv.target}` : ""}`; // the format state records
  const slot = `${name}\0${resolve(inv.dir)}`;
  const id = JSON.stringify([database, [...relations]]);
  const known = managers.get(slot);
  if (known?.id === id) return known.manager;
  const manager = createDbtRelationIO({ name, dir: resolve(inv.dir), database, relations });
  managers.set(slot, { id, manager });
  return manager;
}

/** Where dbt-duckdb writes, or why dagx cannot look there. */
export type DbtDatabase = { readonly file: string; readonly catalog: string } | { readonly unobservable: string };

/** The catalog name dbt-duckdb gives a database file: its stem (`shop.duckdb` → `shop`). */
export function catalogOfFile(file: string): string {
  return basename(file, extname(file));
}

/**
 * The DuckDB file a dbt-duckdb target writes (absolute), or why there is none to observe.
 * `adapter` is the manifest's `adapter_type`; `env` what dbt runs with.
 */
export function dbtDatabaseOf(inv: DbtInvocation, adapter: string | undefined, env: Readonly<Record<string, string | undefined>>): DbtDatabase {
  if (adapter !== undefined && adapter !== "duckdb") return { unobservable: `dbt adapter "${adapter}" (dagx observes dbt-duckdb's database file only)` };
  let project: Record<string, unknown>;
  try {
    project = Bun.YAML.parse(readFileSync(join(inv.dir, "dbt_project.yml"), "utf8")) as Record<string, unknown>;
  } catch (e) {
    return { unobservable: `cannot read dbt_project.yml: ${(e as Error).message}` };
  }
  const profileName = typeof project?.profile === "string" ? project.profile : undefined;
  if (!profileName) return { unobservable: "dbt_project.yml names no profile" };
  const dir = inv.profilesDir ?? (existsSync(join(inv.dir, "profiles.yml")) ? inv.dir : (env.DBT_PROFILES_DIR ?? join(homedir(), ".dbt")));
  const file = join(resolve(inv.dir, dir), "profiles.yml");
  let profiles: Record<string, { target?: unknown; outputs?: Record<string, Record<string, unknown>> }>;
  try {
    profiles = Bun.YAML.parse(readFileSync(file, "utf8")) as typeof profiles;
  } catch (e) {
    return { unobservable: `cannot read ${file}: ${(e as Error).message}` };
  }
  const profile = profiles?.[profileName];
  const targetName = inv.target ?? (typeof profile?.target === "string" ? render(profile.target, env) : undefined);
  const target = targetName === null || targetName === undefined ? undefined : profile?.outputs?.[targetName];
  if (!target) return { unobservable: `profile "${profileName}" has no target ${JSON.stringify(targetName ?? "")} in ${file}` };
  if (target.type !== "duckdb") return { unobservable: `target "${targetName}" is of type ${JSON.stringify(target.type)}, not duckdb` };
  const raw = typeof target.path === "string" ? render(target.path, env) : ":memory:";
  if (raw === null) return { unobservable: `the duckdb path ${JSON.stringify(target.path)} uses Jinja other than env_var()` };
  if (raw === "" || raw.startsWith(":memory:") || /^(md|motherduck):/i.test(raw) || /^[a-z][a-z0-9+]*:\/\//i.test(raw)) {
    return { unobservable: `the duckdb path "${raw}" is not a local database file` };
  }
  const abs = isAbsolute(raw) ? raw : resolve(inv.dir, raw);
  return { file: abs, catalog: catalogOfFile(abs) };
}

/** `text` with each `{{ env_var('NAME'[, 'default']) }}` replaced; null when other Jinja remains or a variable is missing. */
export function render(text: string, env: Readonly<Record<string, string | undefined>>): string | null {
  let missing = false;
  const out = text.replace(/\{\{\s*env_var\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])([^'"]*)\3\s*)?\)\s*\}\}/g, (_m, _q, name: string, _q2, fallback: string | undefined) => {
    const v = env[name] ?? fallback;
    if (v === undefined) missing = true;
    return v ?? "";
  });
  return missing || out.includes("{{") || out.includes("{%") ? null : out;
}
