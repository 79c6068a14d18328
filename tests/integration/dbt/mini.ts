/**
 * A tiny dbt project on dbt-duckdb for the dbt integration tests, written into a temp dagx project:
 * `files` (paths relative to the dagx root) over a dbt_project.yml and profiles.yml under dbt/.
 * The DuckDB file is dbt/mini.duckdb (the catalog "mini"); external models write under dbt/out/.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

export const DBT_PROJECT_YML = `name: mini
version: "1.0.0"
profile: mini
model-paths: ["models"]
seed-paths: ["seeds"]
`;

export const PROFILES_YML = `mini:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DAGX_PROJECT_ROOT') }}/dbt/mini.duckdb"
      threads: 1
`;

/** A source `dagx.<name>` read from a dagx asset's Parquet, tied to the asset `<name>`. */
export function dagxSource(...names: string[]): string {
  return `version: 2
sources:
  - name: dagx
    tables:
${names
  .map(
    (n) => `      - name: ${n}
        meta: { dagx: { key: ${n} } }
        config:
          external_location: "{{ env_var('DAGX_PROJECT_ROOT') }}/.dagx/data/${n}/data.parquet"
`,
  )
  .join("")}`;
}

/** A temp dagx project holding `files` and the dbt project skeleton under dbt/. */
export function miniProject(prefix: string, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const all: Record<string, string> = { "dbt/dbt_project.yml": DBT_PROJECT_YML, "dbt/profiles.yml": PROFILES_YML, ...files };
  for (const [rel, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

/** Rows of `query` over DuckDB, after `setup` (e.g. an attach of dbt's file, read-only). */
export async function duck(setup: string, query: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    if (setup) await conn.run(setup);
    return (await conn.runAndReadAll(query)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
