// `dagx wipe --data` says how many stored outputs it deleted — each partition's output counts,
// never "0 output(s) deleted" while files go (a count that is wrong is a lie about what was lost).
import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { makeProject, ok, removeProject, runDagx } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

test("wipe --data counts every deleted output: partitions of a partitioned asset and an unpartitioned one", async () => {
  const dir = makeProject({
    "a.asset.ts": [
      `import { asset, daily } from "dagx";`,
      `export const days = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-04" }) }, (ctx) => [{ day: ctx.partition.key }]);`,
      `export const one = asset(() => [{ n: 1 }]);`,
      ``,
    ].join("\n"),
  });
  dirs.push(dir);
  ok(await runDagx(dir, ["materialize", "days", "--partitions", "2024-01-01..2024-01-03"]));
  ok(await runDagx(dir, ["materialize", "one"]));
  const r = ok(await runDagx(dir, ["wipe", "days", "one", "--data", "--json"]));
  expect(r.json<{ outputsDeleted: number; materializations: number }>().outputsDeleted).toBe(4);
  expect(existsSync(join(dir, ".dagx/data/days/date=2024-01-01"))).toBe(false);
  expect(existsSync(join(dir, ".dagx/data/one/data.parquet"))).toBe(false);
  ok(await runDagx(dir, ["materialize", "days", "--partitions", "2024-01-02"]));
  const text = ok(await runDagx(dir, ["wipe", "days", "--data"]));
  expect(text.stdout).toContain("1 output(s) deleted");
});
