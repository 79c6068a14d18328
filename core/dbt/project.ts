/**
 * `dbtProject({ dir, … })`: exported from an asset file, it makes every model, seed and snapshot
 * of a dbt project an asset (io/dbt reads the project with `dbt parse` when the project loads).
 * This module only records the options (pure); see docs/dbt.md.
 */

/** Options of `dbtProject()`. */
export interface DbtProjectOptions {
  /** The dbt project folder (holds dbt_project.yml), relative to the dagx project root. */
  readonly dir: string;
  /** `--profiles-dir`, relative to the dagx project root. @default `dir` when it holds profiles.yml, else ~/.dbt */
  readonly profilesDir?: string;
  /** `--target`. @default the profile's own target */
  readonly target?: string;
  /** Asset keys to keep (exact keys or `prefix/*`); the others are left out of dagx. @default every node */
  readonly select?: readonly string[];
  /** Asset keys to leave out (exact keys or `prefix/*`). */
  readonly exclude?: readonly string[];
}

/** What `dbtProject()` returns: a marker the project loader turns into one multi-asset step. */
export interface DbtProjectDef {
  readonly [DBT_PROJECT_DEF]: true;
  readonly options: DbtProjectOptions;
}

export const DBT_PROJECT_DEF = Symbol.for("dagx.dbtProject");

/**
 * A dbt project as assets.
 * @example export const shop = dbtProject({ dir: "dbt" });
 */
export function dbtProject(options: DbtProjectOptions): DbtProjectDef {
  if (!options || typeof options.dir !== "string" || options.dir === "") {
    throw new TypeError('dbtProject: "dir" must name the dbt project folder (the one with dbt_project.yml)');
  }
  return { [DBT_PROJECT_DEF]: true, options: { ...options } };
}

/** Is `value` what `dbtProject()` returned? */
export function isDbtProjectDef(value: unknown): value is DbtProjectDef {
  // an export that throws on property access (a Proxy) is simply not a dbt project
  try {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[DBT_PROJECT_DEF] === true;
  } catch {
    return false;
  }
}

/** Does `key` match one of the patterns (`a/b` exactly, or `a/*` for everything under `a/`)? */
export function keyMatches(key: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("/*") ? key.startsWith(p.slice(0, -1)) : p === "*" || p === key));
}
