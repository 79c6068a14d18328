// README, "Your own IO manager": the worked example is run as written — its code block is split into
// the three files it names, materialized over two partitions, read back by the downstream through
// ctx.sql (partition keys as columns), and removed by wipe --data.
import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, makeProject, removeProject, runDagx } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

function readmeExample(): { manager: string; config: string; assets: string } {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("#### Your own IO manager"));
  const code = section.slice(section.indexOf("```ts\n") + 6, section.indexOf("\n```\n"));
  const [manager, rest] = code.split("// dagx.config.ts\n") as [string, string];
  const [config, assets] = rest.split("// events.asset.ts\n") as [string, string];
  return { manager, config, assets };
}

test("README's own-IO-manager example runs as written", async () => {
  const ex = readmeExample();
  expect(ex.manager).toContain("defineIOManager");
  const dir = makeProject(
    {
      "ndjson.ts": ex.manager,
      "dagx.config.ts": `import { defineConfig } from "dagx";\nimport { ndjson } from "./ndjson.ts";\n${ex.config}`,
      "events.asset.ts": `import { asset, daily } from "dagx";\n${ex.assets}`,
    },
    "dagx-readme-iom-",
  );
  dirs.push(dir);
  const r = await runDagx(dir, ["materialize", "--partitions", "2024-01-01..2024-01-02"]);
  expect([r.code, r.stderr]).toEqual([0, r.stderr]);
  expect(readFileSync(join(dir, ".dagx/data/events/date=2024-01-02/data.ndjson"), "utf8")).toBe(`{"id":1,"kind":"click","day":"2024-01-02"}`);
  const q = await runDagx(dir, ["query", "select date, n from clicks order by date", "--json"]);
  expect(JSON.parse(q.stdout)).toEqual([{ date: "2024-01-01", n: 1 }, { date: "2024-01-02", n: 1 }]);
  expect((await runDagx(dir, ["wipe", "events", "--data", "--yes"])).code).toBe(0);
  expect(existsSync(join(dir, ".dagx/data/events/date=2024-01-01/data.ndjson"))).toBe(false);
});
