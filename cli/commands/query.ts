import type { DuckDBResultReader } from "@duckdb/node-api";
import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { type MountedViews, rowObjectsJson, runQuery } from "../../io/query/index.ts";
import { globalArgs, positionals } from "../args.ts";
import { withState } from "../context.ts";
import { type Output, formatTable, groupDigits } from "../output.ts";

const FORMATS = ["table", "csv", "json"] as const;
type Format = (typeof FORMATS)[number];
/** Rows the human table shows at most; csv and json print everything. */
const TABLE_LIMIT = 1000;
const CELL_WIDTH = 60;

/** One display cell from DuckDB's JSON rendering of a value (dates as DuckDB prints them). */
function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function csvField(v: unknown): string {
  const s = cellText(v) ?? "";
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** `--verbose`: every view and every asset that got none, with why. */
function listViews(out: Output, mounted: MountedViews): void {
  for (const v of mounted.views) out.say(out.c.dim(`view ${v.name} ← ${v.key} (${v.format}, ${v.files} file(s))`));
  for (const s of mounted.skipped) out.say(out.c.dim(`no view for "${s.key}": ${s.reason}`));
}

function printTable(out: Output, reader: DuckDBResultReader): void {
  const { c } = out;
  const names = reader.columnNames();
  const all = reader.getRowsJson();
  const rows = all.slice(0, TABLE_LIMIT).map((r) =>
    r.map((v) => {
      const s = cellText(v);
      if (s === null) return c.dim("NULL");
      return s.length > CELL_WIDTH ? `${s.slice(0, CELL_WIDTH - 1)}…` : s;
    }),
  );
  if (names.length > 0) out.print(formatTable(names, rows, c));
  const more = all.length > TABLE_LIMIT || !reader.done;
  out.say(c.dim(more ? `First ${groupDigits(TABLE_LIMIT)} rows shown: add a LIMIT, or use --format csv or --json for all rows` : `${groupDigits(all.length)} row(s)`));
}

function formatFlag(value: string | undefined, json: boolean | undefined): Format {
  if (value === undefined) return json ? "json" : "table";
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new DagxError("USAGE", `Unknown --format "${value}": use one of ${FORMATS.join(", ")}`);
}

export default defineCommand({
  meta: {
    name: "query",
    description:
      "Run SQL (DuckDB) over the project's assets. Every asset with a stored output is a view named after its key: orders → orders, analytics/daily_revenue → analytics.daily_revenue. Runs in its own in-memory DuckDB: your SQL never touches the state file.\n\nExamples:\n  dagx query \"select * from daily_revenue order by day desc limit 5\"\n  dagx query \"select count(*) from analytics.daily_revenue\" --json\n  dagx query \"from orders\" --format csv > orders.csv",
  },
  args: {
    ...globalArgs,
    sql: { type: "positional", required: false, description: "The SQL to run (quote it)" },
    format: { type: "string", alias: "f", description: "table | csv | json (default table; json with --json)", valueHint: "FORMAT" },
  },
  async run(cmd) {
    const { args } = cmd;
    const sql = positionals(args).join(" ").trim();
    if (sql === "") throw new DagxError("USAGE", 'Missing SQL: pass a query, e.g. dagx query "select * from orders limit 10"');
    const format = formatFlag(args.format, args.json);
    return withState(cmd, ({ out, storage, store }) =>
      runQuery(storage, store, sql, { limit: format === "table" ? TABLE_LIMIT : undefined, onMounted: out.verbose ? (mounted) => listViews(out, mounted) : undefined }, ({ reader }) => {
        if (format === "json") out.data(rowObjectsJson(reader));
        else if (format === "csv") out.write(`${[reader.columnNames().map(csvField).join(","), ...reader.getRowsJson().map((r) => r.map(csvField).join(","))].join("\n")}\n`);
        else printTable(out, reader);
        return 0;
      }),
    );
  },
});
