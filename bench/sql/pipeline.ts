/**
 * The 1M-row SQL pipeline (issue 12, target 2), shared by bench/sql-floor.bench.ts and the
 * Dagster side-by-side bench: a deterministic CSV of trades, the three statements, the dagx
 * project that runs them as three `ctx.sql` assets, the COPY statements the direct-DuckDB script
 * (bench/sql/direct.ts) and the Dagster assets run, and a checksum of each output to prove both produced the same data.
 *
 *   trades ← read_csv(trades.csv)                     1,000,000 rows → Parquet
 *   daily  ← trades grouped per symbol and day         ~73,000 rows
 *   top    ← daily joined with the top 20 symbols      ~7,300 rows
 *
 * Prices are DECIMAL(12,2), so every aggregate is exact: the outputs of two engines (or two
 * thread schedules) are equal bit for bit and their checksums compare.
 */
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";

export const TRADE_COLUMNS = "{'id': 'BIGINT', 'ts': 'TIMESTAMP', 'symbol': 'VARCHAR', 'qty': 'INTEGER', 'price': 'DECIMAL(12,2)'}";
export const SYMBOLS = 200;
export const TOP_N = 20;

/** Statement bodies; `{csv}`, `{trades}`, `{daily}` stand for the input (a file or a dagx input). */
export const STATEMENTS = {
  trades: `select * from read_csv({csv}, header = true, columns = ${TRADE_COLUMNS})`,
  daily: `select symbol, cast(ts as date) as day, count(*) as trades, sum(qty) as qty, sum(qty * price) as notional, min(price) as low, max(price) as high
from {trades}
group by all
order by symbol, day`,
  top: `with top as (select symbol, sum(notional) as total from {daily} group by symbol order by total desc, symbol limit ${TOP_N})
select d.*, t.total
from {daily} d join top t using (symbol)
order by t.total desc, d.symbol, d.day`,
} as const;

/**
 * Write `rows` trades to `file` (once; reused while the size matches): ids 1…n, timestamps
 * spread over 2025 (one every ~31.5 s), 200 symbols, qty 1–1000, price 1.00–1000.00, from a
 * fixed linear congruential generator, so every run and machine gets the same bytes.
 */
export function ensureTradesCsv(file: string, rows = 1_000_000): { file: string; bytes: number; createdMs: number } {
  const marker = `${file}.rows`;
  if (fs.existsSync(file) && fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === String(rows)) {
    return { file, bytes: fs.statSync(file).size, createdMs: 0 };
  }
  const t0 = performance.now();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let seed = 42;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  const start = Date.UTC(2025, 0, 1);
  const step = (365 * 86_400_000) / rows;
  const fd = fs.openSync(`${file}.tmp`, "w");
  let chunk = "id,ts,symbol,qty,price\n";
  for (let i = 1; i <= rows; i++) {
    const ts = new Date(start + Math.floor((i - 1) * step)).toISOString().slice(0, 19).replace("T", " ");
    const symbol = `S${String(next() % SYMBOLS).padStart(3, "0")}`;
    const qty = (next() % 1000) + 1;
    const cents = (next() % 99_901) + 100;
    chunk += `${i},${ts},${symbol},${qty},${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = "";
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  fs.renameSync(`${file}.tmp`, file);
  fs.writeFileSync(marker, String(rows));
  return { file, bytes: fs.statSync(file).size, createdMs: performance.now() - t0 };
}

/** The dagx project: three `ctx.sql` assets in one file (the CSV path bound as a value). */
export function dagxProject(csv: string): Record<string, string> {
  const sql = (s: string) => s.replaceAll("{csv}", "${csv}").replaceAll("{trades}", "${trades}").replaceAll("{daily}", "${daily}");
  return {
    "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`,
    "trades.asset.ts": [
      `import { asset } from "dagx";`,
      `const csv = ${JSON.stringify(csv)};`,
      `export const trades = asset((ctx) => ctx.sql\`${sql(STATEMENTS.trades)}\`);`,
      `export const daily = asset({ ins: { trades } }, (ctx, { trades }) => ctx.sql\`${sql(STATEMENTS.daily)}\`);`,
      `export const top = asset({ ins: { daily } }, (ctx, { daily }) => ctx.sql\`${sql(STATEMENTS.top)}\`);`,
      ``,
    ].join("\n"),
  };
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The three statements as COPYs over plain files in `dir` (what the direct script and Dagster run). */
export function copyStatements(csv: string, dir: string): { name: string; sql: string; out: string }[] {
  const out = (n: string) => path.join(dir, `${n}.parquet`);
  const fill = (s: string) => s.replaceAll("{csv}", lit(csv)).replaceAll("{trades}", `read_parquet(${lit(out("trades"))})`).replaceAll("{daily}", `read_parquet(${lit(out("daily"))})`);
  return (["trades", "daily", "top"] as const).map((n) => ({ name: n, sql: `COPY (${fill(STATEMENTS[n])}) TO ${lit(out(n))} (FORMAT parquet)`, out: out(n) }));
}

/** Row count and an order-independent checksum of one Parquet file (sum of per-row hashes). */
export async function checksum(conn: DuckDBConnection, file: string): Promise<{ rows: number; sum: string }> {
  const r = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n, coalesce(sum(hash(t))::VARCHAR, '0') AS s FROM read_parquet(${lit(file)}) t`);
  const row = r.getRowObjectsJS()[0]!;
  return { rows: Number(row.n), sum: String(row.s) };
}
