// Partitioned dbt models with the real dbt: `meta.dagx.partitions` makes the out partitioned (its
// own step, apart from unpartitioned nodes); a 3-day backfill runs one `dbt build` per partition
// with `--vars` dagx_partition_key/start/end, and a single-run model one build for the whole range.
// The rows are read from dbt-duckdb's file after the builds (attached read-only): both models append
// one row per build, so the rows count the builds and show the vars each got. ~15 s.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runDagx } from "../../cli/helpers.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";
import { duck, miniProject } from "./mini.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt/partitions: ${unavailable}`);

let dir: string;
let env: Record<string, string>;

describe.skipIf(unavailable !== undefined)("partitioned dbt models", () => {
  beforeAll(async () => {
    dir = miniProject("dagx-dbt-parts-", {
      "assets/dbt.asset.ts": `import { dbtProject } from "dagx";\nexport const mini = dbtProject({ dir: "dbt" });\n`,
      "dbt/models/base.sql": "{{ config(materialized='table') }}\nselect 1 as id union all select 2\n",
      // one row per build: the partition's key and window, from --vars
      // append-only (as ranged): each build adds one row, so the rows count the builds
      "dbt/models/events.sql": `{{ config(materialized='incremental', meta={'dagx': {'partitions': 'daily(start=2024-01-01)'}}) }}
select cast('{{ var("dagx_partition_key") }}' as date) as day,
  '{{ var("dagx_partition_start") }}' as start_at,
  '{{ var("dagx_partition_end") }}' as end_at,
  (select count(*) from {{ ref('base') }}) as n
`,
      "dbt/models/ranged.sql": `{{ config(materialized='incremental', meta={'dagx': {'partitions': 'daily(start=2024-01-01)', 'backfill': 'single-run'}}) }}
select '{{ var("dagx_partition_key") }}' as last_key, '{{ var("dagx_partition_start") }}' as start_at, '{{ var("dagx_partition_end") }}' as end_at
`,
    });
    env = { DAGX_DBT_EXECUTABLE: await dbtExecutable() };
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("list: the partitioned models are partitioned, base is not", async () => {
    const r = await runDagx(dir, ["list", "--json"], { env });
    expect(r.stderr).toBe("");
    const rows = r.json<{ key: string; deps: string[]; partitions: unknown }[]>();
    const by = Object.fromEntries(rows.map((a) => [a.key, a]));
    expect(Object.keys(by).sort()).toEqual(["base", "events", "ranged"]);
    expect(by.base!.partitions ?? null).toBeNull();
    expect(by.events!.partitions).not.toBeNull();
    expect(by.events!.deps).toEqual(["base"]); // its own step, after base's
  }, 120_000);

  test("a 3-day backfill: one dbt build per day for events, one for the range of ranged", async () => {
    expect((await runDagx(dir, ["materialize", "base"], { env })).code).toBe(0);
    const r = await runDagx(dir, ["backfill", "events", "ranged", "--partitions", "2024-01-01..2024-01-03"], { env });
    expect(r.stderr + r.stdout).toContain("0 failed");
    expect(r.code).toBe(0);

    const attach = `attach '${join(dir, "dbt/mini.duckdb")}' as mini (read_only)`;
    // one build per day, each with its day's vars
    const events = await duck(attach, "select strftime(day, '%Y-%m-%d') as day, start_at, end_at, n from mini.main.events order by day");
    expect(events).toEqual([
      { day: "2024-01-01", start_at: "2024-01-01T00:00:00.000Z", end_at: "2024-01-02T00:00:00.000Z", n: 2n },
      { day: "2024-01-02", start_at: "2024-01-02T00:00:00.000Z", end_at: "2024-01-03T00:00:00.000Z", n: 2n },
      { day: "2024-01-03", start_at: "2024-01-03T00:00:00.000Z", end_at: "2024-01-04T00:00:00.000Z", n: 2n },
    ]);
    // append-only: a build per day would have left three rows
    const ranged = await duck(attach, "select * from mini.main.ranged");
    expect(ranged).toEqual([{ last_key: "2024-01-03", start_at: "2024-01-01T00:00:00.000Z", end_at: "2024-01-04T00:00:00.000Z" }]);
  }, 180_000);

  test("an invalid meta.dagx.partitions is a load error naming the node and the grammar's message", async () => {
    writeFileSync(join(dir, "dbt/models/bad.sql"), "{{ config(meta={'dagx': {'partitions': 'daily(begin=2024-01-01)'}}) }}\nselect 1 as id\n");
    const r = await runDagx(dir, ["list"], { env });
    expect(r.stderr).toContain("Error in assets/dbt.asset.ts: Invalid meta.dagx.partitions on dbt model.mini.bad (dbt/models/bad.sql): daily() has no option \"begin\"");
  }, 120_000);
});
