// dbt sources tied to no dagx asset are external assets (kinds dbt, source), upstream of the models
// that read them; `dagx observe` hashes their external_location file, so a changed file makes the
// models reading it stale and an unchanged one keeps them fresh. Real dbt (tests/support/dbt.ts);
// in-process (runDagx): between calls only CSV files change.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, runDagx } from "../../cli/helpers.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt/sources: ${unavailable}`);

let dir: string;
let env: Record<string, string>;
const statuses = async () => Object.fromEntries((await runDagx(dir, ["status", "--json"], { env })).json<{ key: string; status: string }[]>().map((s) => [s.key, s.status]));

describe.skipIf(unavailable !== undefined)("dbt sources as external assets", () => {
  beforeAll(async () => {
    dir = makeProject(
      {
        "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`,
        "assets/dbt.asset.ts": `import { dbtProject } from "dagx";\nexport const ext = dbtProject({ dir: "dbt" });\n`,
        "outside/prices.csv": "item,price\napple,2\npear,3\n",
        "dbt/dbt_project.yml": "name: ext\nversion: '1.0.0'\nprofile: ext\nmodel-paths: [models]\nmodels:\n  ext:\n    +materialized: table\n",
        "dbt/profiles.yml": "ext:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ext.duckdb\n      threads: 1\n",
        "dbt/models/sources.yml": "version: 2\nsources:\n  - name: outside\n    tables:\n      - name: prices\n        config:\n          external_location: \"{{ env_var('DAGX_PROJECT_ROOT') }}/outside/prices.csv\"\n",
        "dbt/models/price_totals.sql": "select item, sum(price) as total from {{ source('outside', 'prices') }} group by all\n",
      },
      "dagx-dbt-sources-",
    );
    env = { DAGX_DBT_EXECUTABLE: await dbtExecutable() };
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("listed as external upstream; observe → stale when the file changed, fresh when not", async () => {
    const list = (await runDagx(dir, ["list", "--json"], { env })).json<{ key: string; external?: boolean; kinds: string[]; deps: string[] }[]>();
    expect(list.find((a) => a.key === "outside/prices")).toMatchObject({ external: true, kinds: ["dbt", "source"] });
    expect(list.find((a) => a.key === "price_totals")!.deps).toContain("outside/prices");

    const refused = await runDagx(dir, ["materialize", "outside/prices"], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("outside/prices is external");

    expect((await runDagx(dir, ["observe", "outside/prices"], { env })).code).toBe(0);
    const run = await runDagx(dir, ["materialize", "outside/prices+"], { env });
    expect(run.stderr + run.stdout).toContain("1 materialized, 0 failed");
    expect(await statuses()).toMatchObject({ "outside/prices": "fresh", price_totals: "fresh" });

    expect((await runDagx(dir, ["observe", "outside/prices", "--json"], { env })).json<{ observed: { changed: boolean }[] }>().observed[0]!.changed).toBe(false);
    expect((await statuses()).price_totals).toBe("fresh");

    writeFileSync(join(dir, "outside/prices.csv"), "item,price\napple,2\npear,3\nfig,9\n");
    expect((await runDagx(dir, ["observe", "outside/prices", "--json"], { env })).json<{ observed: { changed: boolean }[] }>().observed[0]!.changed).toBe(true);
    expect((await statuses()).price_totals).toBe("stale");
    expect((await runDagx(dir, ["materialize", "--stale"], { env })).code).toBe(0);
    expect((await statuses()).price_totals).toBe("fresh");
  }, 180_000);
});
