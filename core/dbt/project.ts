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
  /**
   * Which models, seeds and snapshots become assets, in dbt's own selection syntax (what
   * `dbt ls --select` takes): `"tag:nightly +customer_revenue"`, `"path:models/marts"`. dagx
   * resolves it with `dbt ls` when the project loads (cached with `dbt parse`). @default every node
   */
  readonly select?: string;
  /** Nodes to leave out, in dbt's selection syntax (`dbt ls --exclude`): `"tag:deprecated"`. */
  readonly exclude?: string;
}

/** What `dbtProject()` returns: a marker the project loader turns into multi-asset steps (one per contiguous run of dbt nodes). */
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
  const problem = dbtProjectOptionsProblem(options);
  if (problem) throw new TypeError(`dbtProject: ${problem}`);
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

/** Option names of `dbtProject()` (and of each entry of `dbt.projects` in dagx.config.ts). */
export const DBT_PROJECT_OPTIONS = ["dir", "profilesDir", "target", "select", "exclude"] as const;

/** What is wrong with `dbtProject()` options, or undefined when they are valid (pure). */
export function dbtProjectOptionsProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `a dbt project must be an object like { dir: "dbt" }`;
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(DBT_PROJECT_OPTIONS as readonly string[]).includes(k)) return `unknown dbt project option "${k}" — the options are ${DBT_PROJECT_OPTIONS.join(", ")}`;
  }
  if (typeof o.dir !== "string" || o.dir === "") return `"dir" must name the dbt project folder (the one with dbt_project.yml), like { dir: "dbt" }`;
  for (const k of ["profilesDir", "target"] as const) {
    if (o[k] !== undefined && (typeof o[k] !== "string" || o[k] === "")) return `"${k}" must be a non-empty string`;
  }
  for (const k of ["select", "exclude"] as const) {
    if (o[k] !== undefined && (typeof o[k] !== "string" || (o[k] as string).trim() === "")) {
      return `"${k}" must be a dbt selection string like "tag:nightly +customer_revenue" (dbt's --${k} syntax)${Array.isArray(o[k]) ? `: join the list with spaces` : ""}`;
    }
  }
  return undefined;
}
