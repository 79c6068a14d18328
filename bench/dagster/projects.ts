/**
 * The side-by-side cases as two projects each: dagx asset files and the equivalent Dagster
 * definitions (`defs.py`, in-process executor, Dagster's default IO manager unless the asset
 * writes its own files and returns None, as Dagster documents for single-run backfills).
 *
 *   trivial      one asset returning 1
 *   chain-N      a0 = 1, a(i) = a(i-1) + 1 through inputs (dagx `ins`, Dagster parameters)
 *   list-1000    1,000 assets in 100 files, each file a chain continuing the previous file's
 *   partitions   a daily asset, 366 days (2024), one single-run backfill writing one Parquet file per day
 *   sql-1m       the trades pipeline of bench/sql/pipeline.ts, three COPYs through DuckDB
 */
import path from "node:path";
import { copyStatements, dagxProject } from "../sql/pipeline.ts";

export type Files = Record<string, string>;

const CONFIG = `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`;
const PY_HEAD = "import dagster as dg\n";
const pyDefs = (assets: string) => `defs = dg.Definitions(assets=${assets}, executor=dg.in_process_executor)\n`;

export function trivial(): { dagx: Files; dagster: Files } {
  return {
    dagx: { "dagx.config.ts": CONFIG, "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => 1);\n` },
    dagster: { "defs.py": `${PY_HEAD}\n@dg.asset\ndef a():\n    return 1\n\n${pyDefs("[a]")}` },
  };
}

export function chain(n: number): { dagx: Files; dagster: Files } {
  const ts = [`import { asset } from "dagx";`, `export const a0 = asset(() => 1);`];
  const py = [PY_HEAD, `@dg.asset\ndef a0():\n    return 1\n`];
  for (let i = 1; i < n; i++) {
    ts.push(`export const a${i} = asset({ ins: { up: a${i - 1} } }, (_ctx, { up }) => up + 1);`);
    py.push(`@dg.asset\ndef a${i}(a${i - 1}):\n    return a${i - 1} + 1\n`);
  }
  py.push(pyDefs(`[${Array.from({ length: n }, (_, i) => `a${i}`).join(", ")}]`));
  return { dagx: { "dagx.config.ts": CONFIG, "chain.asset.ts": `${ts.join("\n")}\n` }, dagster: { "defs.py": py.join("\n") } };
}

/** `files` files × `perFile` assets; file i's first asset reads the last asset of file i-1. */
export function manyFiles(files = 100, perFile = 10): { dagx: Files; dagster: Files } {
  const dagx: Files = { "dagx.config.ts": CONFIG };
  const dagster: Files = {};
  const name = (i: number, j: number) => `a${i}_${j}`;
  for (let i = 0; i < files; i++) {
    const ts = [`import { asset } from "dagx";`];
    const py = [PY_HEAD];
    if (i > 0) ts.push(`import { ${name(i - 1, perFile - 1)} } from "./f${i - 1}.asset.ts";`);
    for (let j = 0; j < perFile; j++) {
      const up = j > 0 ? name(i, j - 1) : i > 0 ? name(i - 1, perFile - 1) : null;
      ts.push(up ? `export const ${name(i, j)} = asset({ ins: { up: ${up} } }, (_ctx, { up }) => up + 1);` : `export const ${name(i, j)} = asset(() => 1);`);
      py.push(up ? `@dg.asset\ndef ${name(i, j)}(${up}):\n    return ${up} + 1\n` : `@dg.asset\ndef ${name(i, j)}():\n    return 1\n`);
    }
    dagx[`f${i}.asset.ts`] = `${ts.join("\n")}\n`;
    dagster[`m${i}.py`] = py.join("\n");
  }
  const mods = Array.from({ length: files }, (_, i) => `m${i}`);
  dagster["defs.py"] = [
    "import os, sys",
    "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))",
    PY_HEAD,
    `import ${mods.join(", ")}`,
    pyDefs(`dg.load_assets_from_modules([${mods.join(", ")}])`),
  ].join("\n");
  return { dagx, dagster };
}

export const PARTITION_DAYS = 366;
export const PARTITION_RANGE = { dagx: "2024-01-01..2024-12-31", dagster: "2024-01-01...2024-12-31" };

/** One daily asset over 2024; Dagster's writes `date=…/*.parquet` under `outDir` with DuckDB (PARTITION_BY). */
export function partitions(outDir: string): { dagx: Files; dagster: Files } {
  const ts = `import { asset, daily } from "dagx";
export const days = asset({ partitions: daily({ start: "2024-01-01", end: "2025-01-01" }), backfill: "single-run" }, (ctx) => ctx.sql\`
  select strftime(d, '%Y-%m-%d') as date, 1 as v
  from range(\${ctx.partition.start}, \${ctx.partition.end}, interval 1 day) t(d)\`);
`;
  const py = `${PY_HEAD}import duckdb

OUT = ${JSON.stringify(outDir)}
P = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2025-01-01")

@dg.asset(partitions_def=P, backfill_policy=dg.BackfillPolicy.single_run())
def days(context: dg.AssetExecutionContext) -> None:
    w = context.partition_time_window
    con = duckdb.connect()
    con.execute(
        "COPY (select strftime(d, '%Y-%m-%d') as date, 1 as v from range(?::TIMESTAMP, ?::TIMESTAMP, interval 1 day) t(d)) "
        f"TO '{OUT}' (FORMAT parquet, PARTITION_BY (date), OVERWRITE_OR_IGNORE)",
        [w.start.replace(tzinfo=None), w.end.replace(tzinfo=None)],
    )
    con.close()

${pyDefs("[days]")}`;
  return { dagx: { "dagx.config.ts": CONFIG, "days.asset.ts": ts }, dagster: { "defs.py": py } };
}

/** The SQL pipeline; Dagster's assets run the same COPYs into `outDir` (no IO manager: they return None). */
export function sql(csv: string, outDir: string): { dagx: Files; dagster: Files } {
  const stmts = copyStatements(csv, outDir);
  const py = [PY_HEAD + "import duckdb\n", `STMTS = ${JSON.stringify(Object.fromEntries(stmts.map((s) => [s.name, s.sql])))}\n`];
  const deps: Record<string, string | null> = { trades: null, daily: "trades", top: "daily" };
  for (const s of stmts) {
    const dep = deps[s.name];
    py.push(`@dg.asset${dep ? `(deps=[${dep}])` : ""}\ndef ${s.name}() -> None:\n    con = duckdb.connect()\n    con.execute(STMTS[${JSON.stringify(s.name)}])\n    con.close()\n`);
  }
  py.push(pyDefs("[trades, daily, top]"));
  return { dagx: dagxProject(csv), dagster: { "defs.py": py.join("\n") } };
}

export const dagsterOutputs = (outDir: string) => Object.fromEntries(["trades", "daily", "top"].map((k) => [k, path.join(outDir, `${k}.parquet`)]));
