import { dbtProject } from "dagx";

/** Every model, seed and snapshot of the dbt project in ./dbt is an asset; its tests are checks. */
export const shop = dbtProject({ dir: "dbt" });
