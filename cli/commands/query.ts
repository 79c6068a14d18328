import { type DuckDBConnection, DuckDBInstance, type DuckDBResultReader } from "@duckdb/node-api";
import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { didYouMean } from "../../core/suggest.ts";
import { type MountedViews, mountAssetViews } from "../../io/query/index.ts";
import { globalArgs, positionals } from "../args.ts";
import { withState } from "../context.ts";
import { type Output, formatTable } from "../output.ts";

const FORMATS = ["table", "csv", "json"] as const;
type Format = (typeof FORMATS)[number];
/** Rows the human table shows at most; csv and json print everything. */
const TABLE_LIMIT = 1000;
const CELL_WIDTH = 60;

/** A DuckDB value as plain JSON: bigint → number when exact (else string), Date → ISO, bytes → base64. */
function toJsonValue(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonValue(x)]));
  return v;
}

/** One display cell from DuckDB's JSON rendering of a value (dates as DuckDB prints them). */
function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function csvField(v: unknown): string {
  const s = cellText(v) ?? "";
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function viewList(mounted: MountedViews): string {
  const names = mounted.views.map((v) => v.name);
  const list = names.length === 0 ? "no views yet: materialize assets first (dagx materialize)" : `views: ${names.slice(0, 20).join(", ")}${names.length > 20 ? `, … (${names.length - 20} more)` : ""}`;
  const skipped = mounted.skipped.map((s) => s.key);
  return skipped.length === 0 ? list : `${list}; no view for ${skipped.slice(0, 10).join(", ")} (--verbose says why)`;
}

/**
 * The key a "Table with name X does not exist" error is about, when X is no view: `dagx query`
 * imports no asset file (it reads recorded outputs only), so it cannot tell an asset never
 * materialized from a typo — it says both, instead of DuckDB's guess ("Did you mean pg_class?").
 */
function missingViewKey(message: string, mounted: MountedViews): string | null {
  const m = /^Catalog Error: Table with name "?(.+?)"? does not exist/.exec(message);
  if (!m) return null;
  const name = m[1]!;
  const taken = new Set(mounted.views.map((v) => v.name.toLowerCase()));
  if (taken.has(name.toLowerCase())) return null;
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)}/${name.slice(dot + 1)}` : name;
}

async function runUserSql(conn: DuckDBConnection, sql: string, mounted: MountedViews, limit?: number): Promise<DuckDBResultReader> {
  try {
    return limit === undefined ? await conn.runAndReadAll(sql) : await conn.runAndReadUntil(sql, limit + 1);
  } catch (e) {
    const msg = (e as Error).message;
    const key = missingViewKey(msg, mounted);
    if (key !== null) {
      const skipped = mounted.skipped.find((s) => s.key === key);
      const why = skipped ? `"${key}" has no view: ${skipped.reason}` : `"${key}" has no materialization yet: if it is an asset, run dagx materialize ${key}, then query it again`;
      const near = didYouMean(key, mounted.views.map((v) => v.key));
      throw new DagxError("USAGE", `${why}${near} — ${viewList(mounted)}`, { cause: e });
    }
    // DuckDB's multi-line messages end with a caret under the error: keep the views off that line
    throw new DagxError("USAGE", `${msg}${msg.includes("\n") ? "\n" : " "}— ${viewList(mounted)}`, { cause: e });
  }
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
  out.say(c.dim(more ? `First ${TABLE_LIMIT.toLocaleString("en-US")} rows shown: add a LIMIT, or use --format csv or --json for all rows` : `${all.length.toLocaleString("en-US")} row(s)`));
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
    return withState(cmd, async ({ out, storage, store }) => {
      const instance = await DuckDBInstance.create(":memory:");
      const conn = await instance.connect();
      try {
        const mounted = await mountAssetViews(conn, { storage }, await store.latestMaterializations());
        if (out.verbose) {
          for (const v of mounted.views) out.say(out.c.dim(`view ${v.name} ← ${v.key} (${v.format}, ${v.files} file(s))`));
          for (const s of mounted.skipped) out.say(out.c.dim(`no view for "${s.key}": ${s.reason}`));
        }
        const reader = await runUserSql(conn, sql, mounted, format === "table" ? TABLE_LIMIT : undefined);
        if (format === "json") out.data(reader.getRowObjectsJS().map((r) => toJsonValue(r)));
        else if (format === "csv") {
          const lines = [reader.columnNames().map(csvField).join(","), ...reader.getRowsJson().map((r) => r.map(csvField).join(","))];
          out.write(`${lines.join("\n")}\n`);
        } else printTable(out, reader);
        return 0;
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
    });
  },
});
