/**
 * csvFiles(): an IO manager that stores table outputs as CSV files — one per partition, in the
 * folder dagx gives each output under .dagx/data — for teams whose spreadsheets and scripts read
 * CSV. A worked example of `defineIOManager` (docs/io-managers.md walks through it):
 *
 * - handleOutput: rows or a ctx.sql query → CSV text, written atomically by ctx.writeFile (the
 *   previous file stays until the new one is complete); the content hash is the data version, so an
 *   identical re-run cuts off its downstream; the column types are returned as the schema.
 * - loadInput: DuckDB reads the exact files back with the recorded column types (CSV has none of its
 *   own), adds each partition's key as a column, and hands the step a table handle.
 * - remove: deletes one stored file (`dagx wipe --data`).
 */
import { rmSync } from "node:fs";
import { defineIOManager, type IOManager, isSqlQuery, type StoredOutput } from "dagx";

type Column = NonNullable<StoredOutput["schema"]>[number];
type Row = Record<string, unknown>;

export interface CsvFilesOptions {
  /** Field separator. @default "," */
  delimiter?: string;
}

export function csvFiles(options: CsvFilesOptions = {}): IOManager {
  const delimiter = options.delimiter ?? ",";
  if (delimiter.length !== 1 || /["\r\n]/.test(delimiter)) throw new Error(`csvFiles: delimiter must be one character other than a quote or a line break (got ${JSON.stringify(delimiter)})`);
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return ""; // an empty field reads back as NULL
    const text = v instanceof Date ? v.toISOString().replace("T", " ").replace("Z", "") : typeof v === "object" ? JSON.stringify(v) : String(v);
    // quote what would break the line or the field; "" (a quoted empty string) stays an empty string
    return text === "" || text.includes(delimiter) || /["\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
  };

  return defineIOManager({
    name: "csv",
    async handleOutput(ctx, value) {
      const rows = isSqlQuery(value) ? await value.rows() : value;
      if (!Array.isArray(rows) || rows.some((r) => typeof r !== "object" || r === null || Array.isArray(r))) {
        throw new Error(`csvFiles stores rows (an array of objects) or a ctx.sql query; "${ctx.assetKey}" returned ${Array.isArray(rows) ? "an array of other values" : typeof rows}: return rows, or choose io: "json"`);
      }
      const schema = columnsOf(rows as Row[]);
      const lines = [schema.map((c) => cell(c.name)).join(delimiter), ...(rows as Row[]).map((r) => schema.map((c) => cell(r[c.name])).join(delimiter))];
      const file = await ctx.writeFile("data.csv", lines.join("\n") + "\n");
      return { ...file, rows: rows.length, schema };
    },

    loadInput(ctx) {
      const up = ctx.upstream;
      // the types recorded when it was written (an output recorded without them: DuckDB sniffs the file)
      const columns = up.schemas.find((s) => s !== null) ?? up.columns;
      if (columns && up.schemas.some((s) => s !== null && !sameColumns(s, columns))) {
        throw new Error(`csvFiles cannot read "${up.assetKey}": its partitions were written with different columns: materialize them again with the current code`);
      }
      const files = up.locations.map((l) => ctx.path(l));
      if (files.length === 0) {
        if (!columns) throw new Error(`csvFiles cannot read "${up.assetKey}": nothing is stored and its columns are unknown: materialize it first`);
        return ctx.table(`(SELECT ${columns.map((c) => `NULL::${c.type} AS ${ident(c.name)}`).join(", ")} WHERE false)`);
      }
      const typed = columns ? `, columns = {${columns.map((c) => `${literal(c.name)}: ${literal(c.type)}`).join(", ")}}, auto_detect = false` : "";
      // one scan per file, so each partition's key values can be added as columns (the folder names are never parsed)
      const scans = files.map((file, i) => {
        const keys = up.dimensions.map((d, j) => (columns?.some((c) => c.name === d) ? null : `${literal(up.keyValues(i)[j]!)} AS ${ident(d)}`)).filter((k) => k !== null);
        const csv = `read_csv(${ctx.fileList([file])}, header = true, delim = ${literal(delimiter)}, quote = '"', escape = '"', allow_quoted_nulls = false, hive_partitioning = false${typed})`;
        return `SELECT *${keys.length ? `, ${keys.join(", ")}` : ""} FROM ${csv}`;
      });
      return ctx.table(`(${scans.join(" UNION ALL ")})`, files);
    },

    remove(ctx, location) {
      rmSync(ctx.path(location), { force: true });
    },
  });
}

/** Each column's DuckDB type, from the values it holds (mixed or unknown: VARCHAR). */
function columnsOf(rows: readonly Row[]): Column[] {
  const types = new Map<string, string | null>();
  for (const row of rows) {
    for (const [name, v] of Object.entries(row)) {
      const t = v === null || v === undefined ? null : typeOf(v);
      const seen = types.get(name);
      if (seen === undefined || seen === null) types.set(name, t);
      else if (t !== null && t !== seen) types.set(name, seen === "BIGINT" && t === "DOUBLE" ? "DOUBLE" : seen === "DOUBLE" && t === "BIGINT" ? "DOUBLE" : "VARCHAR");
    }
  }
  return [...types].map(([name, type]) => ({ name, type: type ?? "VARCHAR" }));
}

function typeOf(v: unknown): string {
  if (typeof v === "bigint") return "BIGINT";
  if (typeof v === "number") return Number.isInteger(v) ? "BIGINT" : "DOUBLE";
  if (typeof v === "boolean") return "BOOLEAN";
  if (v instanceof Date) return "TIMESTAMP";
  return "VARCHAR";
}

const sameColumns = (a: readonly Column[], b: readonly Column[]) => a.length === b.length && a.every((c, i) => c.name === b[i]!.name && c.type === b[i]!.type);
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
