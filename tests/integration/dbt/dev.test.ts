// `dagx dev` on a dbt project (a real process, watcher and dbt): saving a model's .sql reloads the
// definitions (dbt parse runs again: the project's hash changed) and re-materializes the model and
// its downstream TS asset; saving a .yml of the dbt project reloads too. ~35 s.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, runDagx } from "../../cli/helpers.ts";
import { type Live, liveFixtures, startLive } from "../../cli/live.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";
import { DBT_PROJECT_YML, PROFILES_YML } from "./mini.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt/dev: ${unavailable}`);

setDefaultTimeout(120_000);
const fx = liveFixtures("dagx-dbt-dev-");
afterAll(() => fx.cleanup());
let env: Record<string, string>;

describe.skipIf(unavailable !== undefined)("dagx dev on a dbt project", () => {
  beforeAll(async () => {
    env = { DAGX_DBT_EXECUTABLE: await dbtExecutable() };
  }, 300_000);

  test("editing a dbt model re-materializes it and its downstream; a .yml edit reloads", async () => {
    const dir = fx.project({
      "assets/dbt.asset.ts": `import { dbtProject } from "dagx";\nexport const mini = dbtProject({ dir: "dbt" });\n`,
      "assets/down.asset.ts": `import { asset } from "dagx";
export const down = asset({ deps: ["b"] }, (ctx) => ctx.sql\`select w + 1 as y from read_parquet(\${ctx.path("dbt/out/b.parquet")})\`);
`,
      "dbt/dbt_project.yml": DBT_PROJECT_YML,
      "dbt/profiles.yml": PROFILES_YML,
      "dbt/out/.keep": "",
      "dbt/models/a.sql": "{{ config(materialized='table') }}\nselect 1 as v\n",
      "dbt/models/b.sql": "{{ config(materialized='external', location='out/b.parquet') }}\nselect v * 10 as w from {{ ref('a') }}\n",
      "dbt/models/schema.yml": "version: 2\nmodels:\n  - name: b\n    description: B\n",
    });
    const first = await dagx(dir, ["materialize", "*"], { env });
    expect(first.stderr + first.stdout).toContain("3 materialized, 0 failed");

    const d: Live = fx.track(startLive(dir, ["dev"], env));
    let m = await d.waitFor("watching for changes", { timeoutMs: 60_000 });
    writeFileSync(join(dir, "dbt/models/b.sql"), "{{ config(materialized='external', location='out/b.parquet') }}\nselect v * 100 as w from {{ ref('a') }}\n");
    m = await d.waitFor(/reloaded dbt\/models\/b\.sql .*~b\b/, { from: m, timeoutMs: 60_000 });
    m = await d.waitFor(/✓ down\b/, { from: m, timeoutMs: 60_000 });
    expect(d.text()).toMatch(/✓ b\b/);
    m = await d.waitFor(/up to date/, { from: m, timeoutMs: 60_000 });
    const rows = (await runDagx(dir, ["query", "select y from down", "--json"])).json<{ y: number }[]>();
    expect(rows).toEqual([{ y: 101 }]);

    writeFileSync(join(dir, "dbt/models/schema.yml"), "version: 2\nmodels:\n  - name: b\n    description: B, edited\n");
    await d.waitFor(/reloaded dbt\/models\/schema\.yml/, { from: m, timeoutMs: 60_000 });
  });
});
