import { defineConfig } from "dagx";

// The dbt project is exported from assets/dbt.asset.ts. It could instead be declared here, with the
// command that runs dbt (default "dbt" on PATH; DAGX_DBT_EXECUTABLE overrides it):
//   dbt: { executable: ["uv", "run", "dbt"], projects: [{ dir: "dbt" }] }
export default defineConfig({});
