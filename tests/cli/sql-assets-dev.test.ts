/**
 * `dagx dev` with a `.asset.sql` file (a real process and watcher): editing the SQL file reloads
 * it and re-materializes it and its downstream TS asset; a bad edit shows file:line:column with a
 * code frame and keeps the last good graph.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, runDagx } from "./helpers.ts";
import { type Live, liveFixtures, startLive } from "./live.ts";

setDefaultTimeout(60_000);
const fx = liveFixtures("dagx-sql-dev-");
afterAll(() => fx.cleanup());

async function dev(dir: string): Promise<Live> {
  const l = startLive(dir, ["dev"]);
  fx.track(l);
  await l.waitFor("watching for changes", { timeoutMs: 30_000 });
  return l;
}

const query = async (dir: string, sql: string) => (await runDagx(dir, ["query", sql, "--json"])).json<Record<string, unknown>[]>();

test("editing a .asset.sql file re-materializes it and its downstream; a bad edit points at the file", async () => {
  const dir = fx.project({
    "src.asset.ts": `import { asset } from "dagx";\nexport const src = asset(() => [{ v: 1 }, { v: 2 }]);\n`,
    "total.asset.sql": "select sum(v) as t from src\n",
    "down.asset.ts": `import { asset, ref } from "dagx";\nexport const down = asset({ ins: { total: ref("total") } }, (ctx, { total }) => ctx.sql\`select t * 10 as w from \${total}\`);\n`,
  });
  expect((await dagx(dir, ["materialize", "*"])).code).toBe(0);
  const d = await dev(dir);
  let m = d.mark();
  writeFileSync(join(dir, "total.asset.sql"), "select sum(v) + 1 as t from src\n");
  m = await d.waitFor(/reloaded total\.asset\.sql ~total\n/, { from: m });
  m = await d.waitFor(/✓ down 1 rows/, { from: m });
  m = await d.waitFor(/✔ up to date \(run \S+\)/, { from: m });
  expect(await query(dir, "select w from down")).toEqual([{ w: 40 }]);

  writeFileSync(join(dir, "total.asset.sql"), "-- @group: g\nselect sum(v) as t from srcc\n");
  m = await d.waitFor(/total\.asset\.sql:2:25/, { from: m });
  expect(d.text()).toContain('did you mean "src"');
  expect(d.text()).toContain("> 2 | select sum(v) as t from srcc");
});
