// Choosing the Parquet writer of row outputs: `parquetWriter` on an asset and as the project default
// in dagx.config.ts. Which writer wrote a file is read from its footer: DuckDB's COPY signs it
// (created_by "DuckDB …"), the direct writer leaves created_by empty. A bad value is a load error
// naming the file:line and the allowed values, exit 2, before anything runs.
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { makeProject, ok, removeProject, runDagx } from "./helpers.ts";

const dirs: string[] = [];
const project = (files: Record<string, string>) => {
  const d = makeProject(files, "dagx-pqw-");
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach(removeProject));

/** "duckdb" or "direct": who wrote the stored output of `key`. */
async function writerOf(dir: string, key: string): Promise<string> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const file = join(dir, ".dagx/data", key, "data.parquet");
    const r = (await conn.runAndReadAll(`SELECT created_by FROM parquet_file_metadata('${file}')`)).getRowObjectsJS()[0]!;
    return r.created_by === null ? "direct" : String(r.created_by).includes("DuckDB") ? "duckdb" : `? ${r.created_by}`;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const rows = (n: number) => `Array.from({ length: ${n} }, (_, i) => ({ id: i, name: "n" + i }))`;

describe("parquetWriter", () => {
  test("per asset, without config: the asset's choice, else auto (direct ≤ 1,024 rows)", async () => {
    const dir = project({
      "a.asset.ts": `import { asset } from "dagx";
export const smallAuto = asset(() => ${rows(3)});
export const bigAuto = asset(() => ${rows(2000)});
export const bigDirect = asset({ parquetWriter: "direct" }, () => ${rows(2000)});
export const smallDuckdb = asset({ parquetWriter: "duckdb" }, () => ${rows(3)});
export const sqlDirect = asset({ parquetWriter: "direct" }, (ctx) => ctx.sql\`select 1 as x\`);
`,
    });
    ok(await runDagx(dir, ["materialize", "--json"]));
    expect(await writerOf(dir, "smallAuto")).toBe("direct");
    expect(await writerOf(dir, "bigAuto")).toBe("duckdb");
    expect(await writerOf(dir, "bigDirect")).toBe("direct");
    expect(await writerOf(dir, "smallDuckdb")).toBe("duckdb");
    // a ctx.sql query never crosses into JS: DuckDB writes it whatever the option says
    expect(await writerOf(dir, "sqlDirect")).toBe("duckdb");
    expect((await runDagx(dir, ["query", "select count(*)::int as n from bigDirect", "--json"])).json()).toEqual([{ n: 2000 }]);
  });

  test("the config default applies, and an asset's own choice overrides it", async () => {
    const dir = project({
      "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({ parquetWriter: "duckdb" });\n`,
      "a.asset.ts": `import { asset } from "dagx";
export const byConfig = asset(() => ${rows(3)});
export const direct = asset({ parquetWriter: "direct" }, () => ${rows(3)});
export const auto = asset({ parquetWriter: "auto" }, () => ${rows(3)});
`,
    });
    ok(await runDagx(dir, ["materialize", "--json"]));
    expect(await writerOf(dir, "byConfig")).toBe("duckdb");
    expect(await writerOf(dir, "direct")).toBe("direct");
    expect(await writerOf(dir, "auto")).toBe("direct");
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    [
      "an asset's unknown writer",
      { "a.asset.ts": `import { asset } from "dagx";\n\nexport const a = asset({ parquetWriter: "fast" as never }, () => [{ x: 1 }]);\n` },
      /Invalid option of asset "a" at \S*a\.asset\.ts:3: parquetWriter must be "auto", "direct" or "duckdb" \(got "fast"\)/,
    ],
    [
      "a writer on an asset stored as JSON",
      { "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset({ io: "json", parquetWriter: "direct" }, () => [{ x: 1 }]);\n` },
      /Invalid option of asset "a" at \S*a\.asset\.ts:2: parquetWriter applies to Parquet outputs only, and this asset is stored with io: "json": remove parquetWriter/,
    ],
    [
      "the config's unknown writer",
      { "dagx.config.ts": `export default {\n  concurrency: 2,\n  parquetWriter: "DuckDB",\n};\n`, "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => [{ x: 1 }]);\n` },
      /Invalid config at dagx\.config\.ts:3: parquetWriter must be "auto", "direct" or "duckdb" \(got "DuckDB" — did you mean "duckdb"\?\)/,
    ],
  ];
  for (const [name, files, message] of bad) {
    test(`${name}: exit 2 naming the file:line and the allowed values, nothing runs`, async () => {
      const dir = project(files);
      const r = await runDagx(dir, ["materialize"]);
      expect([name, r.code]).toEqual([name, 2]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain("internal error");
      expect(existsSync(join(dir, ".dagx/data/a"))).toBe(false);
    });
  }
});
