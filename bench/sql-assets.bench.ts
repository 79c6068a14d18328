/**
 * SQL assets (docs/sql-assets.md): the cost of a `*.asset.sql` file against the same query in a
 * TS `ctx.sql` asset, and `dagx list` with 100 SQL files (one DuckDB parses them all) against 100
 * TS files. Every timing is a fresh `bun cli/main.ts` process; cases are interleaved.
 *
 *   bun bench/sql-assets.bench.ts [--runs N] [--rows N]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BUN, CLI, median } from "./_util.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg("runs", 5);
const ROWS = arg("rows", 2_000_000);

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "dagx-bench-sql-"));
  for (const [rel, text] of Object.entries({ ".dagx/.keep": "", ...files })) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

function timed(dir: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(BUN, ["--no-env-file", CLI, "-C", dir, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", CI: "1" } });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`dagx ${args.join(" ")} failed:\n${r.stderr}`);
  return ms;
}

const QUERY = "select k % 1000 as g, sum(v) as s, count(*) as n from src group by all";
const SRC = `import { asset } from "dagx";\nexport const src = asset((ctx) => ctx.sql\`select range as k, random() as v from range(${ROWS})\`);\n`;
const sqlProject = project({ "src.asset.ts": SRC, "agg.asset.sql": `${QUERY}\n` });
const tsProject = project({ "src.asset.ts": SRC, "agg.asset.ts": `import { asset } from "dagx";\nimport { src } from "./src.asset.ts";\nexport const agg = asset({ ins: { src } }, (ctx, { src }) => ctx.sql\`${QUERY.replace("from src", "from ${src}")}\`);\n` });
timed(sqlProject, ["materialize", "src"]);
timed(tsProject, ["materialize", "src"]);

const listFiles = (kind: "sql" | "ts") => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 100; i++) {
    const up = i === 0 ? "range(10)" : `a${i - 1}`;
    if (kind === "sql") files[`m/a${i}.asset.sql`] = `-- @group: g${i % 5}\n-- @checks: not_null(x)\nwith c as (select * from ${i === 0 ? "range(10) t(x)" : up}) select x from c\n`;
    else files[`m/a${i}.asset.ts`] = i === 0 ? `import { asset } from "dagx";\nexport const a0 = asset({ group: "g0" }, (ctx) => ctx.sql\`select range as x from range(10)\`);\n` : `import { asset } from "dagx";\nimport { a${i - 1} } from "./a${i - 1}.asset.ts";\nexport const a${i} = asset({ group: "g${i % 5}", ins: { u: a${i - 1} } }, (ctx, { u }) => ctx.sql\`select x from \${u}\`);\n`;
  }
  return project(files);
};
const listSql = listFiles("sql");
const listTs = listFiles("ts");
const listEmpty = project({ "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => 1);\n` });

const t = { sql: [] as number[], ts: [] as number[], listSql: [] as number[], listTs: [] as number[], listOne: [] as number[] };
for (let r = 0; r < RUNS; r++) {
  t.sql.push(timed(sqlProject, ["materialize", "agg"]));
  t.ts.push(timed(tsProject, ["materialize", "agg"]));
  t.listSql.push(timed(listSql, ["list", "--json"]));
  t.listTs.push(timed(listTs, ["list", "--json"]));
  t.listOne.push(timed(listEmpty, ["list", "--json"]));
}
const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(median(v))]));
console.log(JSON.stringify({ runs: RUNS, rows: ROWS, medianMs: m, sqlVsTs: +(m.sql! / m.ts!).toFixed(3), list100SqlVsTs: +(m.listSql! / m.listTs!).toFixed(3) }, null, 2));
for (const d of [sqlProject, tsProject, listSql, listTs, listEmpty]) rmSync(d, { recursive: true, force: true });
