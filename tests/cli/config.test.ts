// dagx.config.ts is checked when it loads: a bad value, a misspelt key or a default export that is
// not an object is one clear error naming dagx.config.ts:line, exit 2, before anything runs.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runDagx, makeProject, removeProject } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});
const ASSET = `import { asset } from "dagx";\nexport const a = asset(() => [{ x: 1 }]);\n`;
const withConfig = (config: string) => {
  const d = makeProject({ "dagx.config.ts": config, "a.asset.ts": ASSET }, "dagx-config-[x=1]-");
  dirs.push(d);
  return d;
};

describe("dagx.config.ts validation", () => {
  const cases: [string, string, RegExp][] = [
    ["concurrency: NaN", `export default {\n  concurrency: NaN,\n};\n`, /Invalid config at dagx\.config\.ts:2: concurrency must be a whole number ≥ 1, the most steps running at once \(got NaN\)/],
    ["concurrency: \"abc\"", `import { defineConfig } from "dagx";\nexport default defineConfig({\n  resources: {},\n  concurrency: "abc" as never,\n});\n`, /Invalid config at dagx\.config\.ts:4: concurrency must be a whole number ≥ 1.*\(got "abc"\)/],
    ["concurrency: 0", `export default { concurrency: 0 };\n`, /dagx\.config\.ts:1: concurrency must be a whole number ≥ 1.*\(got 0\)/],
    ["concurrency: 2.5", `export default { concurrency: 2.5 };\n`, /concurrency must be a whole number ≥ 1.*\(got 2\.5\)/],
    ["concurrency: Infinity", `export default { concurrency: Infinity };\n`, /concurrency must be a whole number ≥ 1.*\(got Infinity\)/],
    ["a misspelt key", `export default {\n  concurrancy: 3,\n};\n`, /Invalid config at dagx\.config\.ts:2: unknown key "concurrancy" — did you mean "concurrency"\?/],
    ["an unknown key", `export default { zzz: 1 };\n`, /unknown key "zzz" — known keys: concurrency, pools, workers, resources/],
    ["io: an unknown name", `export default { io: "warehous" };\n`, /dagx\.config\.ts:1: the project default io must be "parquet" or "json" .*got "warehous".*\(the default IO manager of table outputs\)/],
    ["resources: an array", `export default { resources: [1] };\n`, /resources must be an object of named values.*\(got an array\)/],
    ["a default export that is not an object", `export default 4;\n`, /Invalid config at dagx\.config\.ts:1: the default export must be an object like defineConfig\(\{ concurrency: 4 \}\) \(got 4\)/],
    ["no default export", `export const config = { concurrency: 2 };\n`, /Invalid config at dagx\.config\.ts: it has no default export \(it exports "config"\): write export default defineConfig/],
    ["alerts: an unknown kind", `export default {\n  concurrency: 2,\n  alerts: [{ on: "run_failed", command: ["./notify.sh"] }],\n};\n`, /Invalid config at dagx\.config\.ts:3: alert "command 1": unknown kind "run_failed" in on — did you mean "run_failure"\?/],
    ["alerts: a webhook URL that is not http(s): the message does not quote it", `export default { alerts: [{ on: "run_failure", webhook: "hooks.example.com/T0/secret" }] };\n`, /dagx\.config\.ts:1: alert "webhook 1": webhook url must start with http:\/\/ or https:\/\/ \(the value is not shown: it may be a secret\)\n/],
    ["a getter that throws", `export default { get concurrency() { throw new Error("nope"); } };\n`, /Invalid config at dagx\.config\.ts:1: reading it threw: nope/],
  ];
  for (const [name, config, message] of cases) {
    test(`${name}: exit 2 naming dagx.config.ts, nothing runs`, async () => {
      const dir = withConfig(config);
      for (const args of [["materialize"], ["list"]]) {
        const r = await runDagx(dir, args);
        expect([name, r.code]).toEqual([name, 2]);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toContain("internal error");
        expect(r.stderr).not.toMatch(/^\s+at /m);
      }
      expect(existsSync(join(dir, ".dagx/data"))).toBe(false);
      const j = await runDagx(dir, ["list", "--json"]);
      expect(j.json<{ error: { code: string } }>().error.code).toBe("CONFIG_INVALID");
    });
  }

  test("duckdbTable with a bad option: exit 2 naming dagx.config.ts:line and the option", async () => {
    const dir = withConfig(`import { defineConfig, duckdbTable } from "dagx";\nexport default defineConfig({\n  io: duckdbTable({ path: "w.duckdb", schema: "my schema" }),\n});\n`);
    const r = await runDagx(dir, ["materialize"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`dagx.config.ts:3: duckdbTable's schema must be a plain name (letters, digits, "_"), like "analytics" (got "my schema")`);
    expect(existsSync(join(dir, "w.duckdb"))).toBe(false);
  });

  test("a valid config is used: concurrency and resources", async () => {
    const dir = makeProject({
      "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({ concurrency: 1, resources: { shop: "Acme" } });\n`,
      "r.asset.ts": `import { asset } from "dagx";\nexport const r = asset((ctx) => [{ shop: (ctx.resources as { shop: string }).shop }]);\n`,
    });
    dirs.push(dir);
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(0);
    expect((await runDagx(dir, ["query", "select shop from r", "--json"])).json()).toEqual([{ shop: "Acme" }]);
  });

  test("an empty dagx.config.ts (a root marker) is an empty config", async () => {
    const dir = withConfig("");
    expect((await runDagx(dir, ["materialize", "--json"])).code).toBe(0);
  });
});
