// dbtProject() options and the `dbt` entry of dagx.config.ts, checked without dbt.
import { expect, test } from "bun:test";
import { checkConfig } from "../../../core/config-check.ts";
import { dbtProject } from "../../../core/dbt/project.ts";
import { partitionVars } from "../../../io/dbt/assets.ts";

test("select/exclude are dbt selection strings; a list of dagx key patterns says how to write it", () => {
  expect(dbtProject({ dir: "dbt", select: "tag:nightly +mart", exclude: "tag:old" }).options.select).toBe("tag:nightly +mart");
  expect(() => dbtProject({ dir: "dbt", select: ["a/*"] as never })).toThrow(/"select" must be a dbt selection string .*: join the list with spaces/);
  expect(() => dbtProject({ dir: "" })).toThrow(/"dir" must name the dbt project folder/);
  expect(() => dbtProject({ dir: "dbt", tags: "x" } as never)).toThrow(/unknown dbt project option "tags"/);
});

test("the config's dbt entry: an executable path or argv, and projects", () => {
  expect(checkConfig({ dbt: { executable: ["uv", "run", "dbt"], projects: [{ dir: "dbt", select: "+mart" }] } })).toEqual({
    config: { dbt: { executable: ["uv", "run", "dbt"], projects: [{ dir: "dbt", select: "+mart" }] } },
  });
  expect(checkConfig({ dbt: { executable: [] } })).toMatchObject({ key: "dbt", problem: expect.stringMatching(/non-empty argv list/) });
  expect(checkConfig({ dbt: { projects: { dir: "dbt" } } })).toMatchObject({ key: "dbt", problem: expect.stringMatching(/dbt\.projects must be a list/) });
  expect(checkConfig({ dbt: "dbt" })).toMatchObject({ key: "dbt", problem: expect.stringMatching(/dbt must be an object/) });
});

test("--vars of a partition: the key, and the time window in ISO 8601 (none for static keys)", () => {
  expect(partitionVars({ key: "2024-01-02", start: new Date("2024-01-02T00:00:00Z"), end: new Date("2024-01-03T00:00:00Z") })).toEqual({
    dagx_partition_key: "2024-01-02",
    dagx_partition_start: "2024-01-02T00:00:00.000Z",
    dagx_partition_end: "2024-01-03T00:00:00.000Z",
  });
  expect(partitionVars({ key: "eu" })).toEqual({ dagx_partition_key: "eu" });
});
