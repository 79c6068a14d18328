/**
 * `*.asset.sql` files as assets: read each file's header (core/sql-asset/header.ts), find the
 * tables its query reads with DuckDB's own parser (one in-memory instance for all files), and make
 * an asset definition whose step runs the query through `ctx.sql` — upstream tables spliced as
 * their stored outputs, partition bounds bound as parameters, never spliced.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { ASSET_DEF, type AnyAssetDef } from "../../core/asset.ts";
import { type AssetContext, isTableInput } from "../../core/context.ts";
import { isSqlIdentifier } from "../../core/sql.ts";
import { type LineSplice, registerSqlSource, setSqlSplices, sqlCodeFrame } from "../../core/sql-asset/errors.ts";
import type { LoadError } from "../../core/definitions.ts";
import type { RawExport } from "../../core/graph.ts";
import { parseSqlHeader, SqlHeaderError } from "../../core/sql-asset/header.ts";
import { lineColumn, PARTITION_PARAMS, type QueryReferences, queryReferences } from "../../core/sql-asset/references.ts";
import { didYouMean } from "../../core/suggest.ts";
import { DagxError } from "../../core/errors.ts";
import { dbtRelationOf } from "../iomanagers/index.ts";

/** Marks a definition made from a `.asset.sql` file; holds what `dagx sql` shows. */
export const SQL_ASSET = Symbol.for("dagx.sqlAsset");

/** What a SQL asset definition carries besides the usual fields. */
export interface SqlAssetInfo {
  file: string;
  /** The whole file's text (header comments included, so positions are the file's). */
  text: string;
  refs: QueryReferences;
  /** Upstream key of each table reference, in order (null: declared external). */
  upstreams: (string | null)[];
}

/** The SQL-asset info of a definition, or null for a TS asset. */
export function sqlAssetInfo(def: AnyAssetDef): SqlAssetInfo | null {
  return ((def as unknown as Record<symbol, SqlAssetInfo>)[SQL_ASSET] as SqlAssetInfo | undefined) ?? null;
}

interface Parsed {
  file: string;
  text: string;
  header: ReturnType<typeof parseSqlHeader>;
  refs: QueryReferences;
  key: string;
}

function errorAt(root: string, file: string, text: string, line: number, column: number, reason: string): LoadError {
  return { file, line, message: `Error in ${relative(root, file) || file}:${line}:${column}: ${reason}`, frame: sqlCodeFrame(text, line, column) };
}

let serializer: Promise<{ serialize: (sql: readonly string[]) => Promise<string[]> }> | null = null;

/**
 * One in-memory DuckDB for parsing every SQL file of every load (created on first use); the
 * files of a load go in one query (one round trip, not one per file: 100 files 37 → 11 ms).
 */
function getSerializer() {
  serializer ??= (async () => {
    const { DuckDBInstance, listValue, LIST, VARCHAR } = await import("@duckdb/node-api");
    const db = await DuckDBInstance.create(":memory:", { threads: "1" });
    const conn = await db.connect();
    return {
      serialize: async (texts: readonly string[]) => {
        const r = await conn.runAndReadAll("select json_serialize_sql(q) from unnest($1::varchar[]) with ordinality as t(q, i) order by i", [listValue([...texts])], [LIST(VARCHAR)]);
        return r.getRows().map((row) => String(row[0]));
      },
    };
  })();
  return serializer;
}

/** The file stem: `models/daily_revenue.asset.sql` → `daily_revenue`. */
function stem(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1).replace(/\.asset\.sql$/, "");
}

/** Drop a trailing `;` (and whitespace after it): the query is wrapped by the writer. */
function queryText(text: string): string {
  return text.replace(/;\s*$/, "");
}

/**
 * Parse every `.asset.sql` file. Header and syntax errors become LoadErrors (file:line:column,
 * with a code frame); their assets are absent.
 */
export async function parseSqlAssetFiles(root: string, files: readonly string[]): Promise<{ parsed: Parsed[]; errors: LoadError[] }> {
  const parsed: Parsed[] = [];
  const errors: LoadError[] = [];
  if (files.length === 0) return { parsed, errors };
  const { serialize } = await getSerializer();
  const read: { file: string; text: string; header: ReturnType<typeof parseSqlHeader> }[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    try {
      read.push({ file, text, header: parseSqlHeader(text) });
    } catch (e) {
      if (e instanceof SqlHeaderError) errors.push(errorAt(root, file, text, e.line, e.column, e.reason));
      else throw e;
    }
  }
  const trees = await serialize(read.map((r) => queryText(r.text)));
  for (const [i, { file, text, header }] of read.entries()) {
    const query = queryText(text);
    const json = JSON.parse(trees[i]!) as { error: boolean; error_message?: string; position?: string; statements?: { node: unknown }[] };
    if (json.error) {
      const pos = json.position !== undefined ? Number(json.position) : 0;
      const { line, column } = lineColumn(query, pos);
      errors.push(errorAt(root, file, text, line, column, `SQL syntax error: ${json.error_message ?? "cannot parse the query"} — fix the query (the body of a .asset.sql file is one SELECT)`));
      continue;
    }
    if (!json.statements || json.statements.length !== 1) {
      const { line } = lineColumn(text, 0);
      errors.push(errorAt(root, file, text, Math.max(line, header.bodyLine + 1), 1, `a .asset.sql file holds exactly one query, found ${json.statements?.length ?? 0}: split it into several files`));
      continue;
    }
    const key = typeof header.options.key === "string" ? header.options.key : stem(file);
    parsed.push({ file, text, header, refs: queryReferences(json.statements[0]!.node, query), key });
  }
  return { parsed, errors };
}

/**
 * Asset definitions of parsed SQL files, now that every asset's key is known (`defsByKey`: TS
 * assets; SQL assets are added here). An unknown table that is not declared external is an error.
 */
export function sqlAssetExports(root: string, parsed: readonly Parsed[], defsByKey: Map<string, AnyAssetDef>, errors: LoadError[]): RawExport[] {
  const defs = new Map<Parsed, AnyAssetDef>();
  for (const p of parsed) {
    const options = { ...p.header.options, kinds: p.header.options.kinds ?? ["sql"], codeVersion: p.header.options.codeVersion ?? new Bun.CryptoHasher("sha256").update(p.text).digest("hex").slice(0, 16) };
    const def = { [ASSET_DEF]: true, options, fn: () => undefined, location: `${p.file}:${p.header.bodyLine + 1}` } as unknown as AnyAssetDef;
    defs.set(p, def);
    if (!defsByKey.has(p.key)) defsByKey.set(p.key, def);
  }
  const dbtTables = dbtRelationNames(defsByKey);
  const out: RawExport[] = [];
  for (const p of parsed) {
    const def = defs.get(p)!;
    const external = new Set(p.header.external.map((e) => e.toLowerCase().replaceAll(".", "/")));
    const upstreams: (string | null)[] = [];
    let failed = false;
    for (const t of p.refs.tables) {
      const key = defsByKey.has(t.key) ? t.key : ([...defsByKey.keys()].find((k) => k.toLowerCase() === t.key.toLowerCase()) ?? dbtTables.get(t.key.toLowerCase()));
      if (key !== undefined && key !== p.key) upstreams.push(key);
      else if (external.has(t.key.toLowerCase())) upstreams.push(null);
      else {
        const { line, column } = lineColumn(p.text, t.start);
        const self = key === p.key ? `the asset reads itself ("${t.name}")` : `table "${t.name}" is not an asset${didYouMean(t.key, defsByKey.keys())}`;
        errors.push(errorAt(root, p.file, p.text, line, column, `${self}: name an asset by its key (schema.table for analytics/table), or declare an outside table with -- @external: ${t.name}`));
        failed = true;
        break;
      }
    }
    const parts = p.header.options.partitions;
    const partitioned = parts !== undefined;
    // a multi-partitioned asset also binds each dimension's key: $partition_date, $partition_region
    const allowed = [...PARTITION_PARAMS, ...(parts?.kind === "multi" ? parts.names.map((n) => `partition_${n}`) : [])];
    for (const prm of p.refs.params) {
      if (!allowed.includes(prm.name) || !partitioned) {
        const { line, column } = lineColumn(p.text, prm.start);
        const reason = partitioned ? `unknown parameter $${prm.name}${didYouMean(prm.name, allowed)}: the parameters are ${allowed.map((x) => `$${x}`).join(", ")}` : `$${prm.name} needs a partitioned asset: add -- @partitions: daily(start=2024-01-01)`;
        errors.push(errorAt(root, p.file, p.text, line, column, reason));
        failed = true;
        break;
      }
    }
    // @mappings name upstream tables of the query; the mapping is keyed by that upstream's key
    const mappings = p.header.options.mappings as Record<string, unknown> | undefined;
    if (!failed && mappings) {
      const byKey: Record<string, unknown> = {};
      for (const ref of p.header.mappingRefs) {
        const up = upstreams.find((k) => k !== null && k.toLowerCase() === ref.name.toLowerCase());
        if (up === undefined || up === null) {
          const named = upstreams.filter((k): k is string => k !== null);
          errors.push(errorAt(root, p.file, p.text, ref.line, ref.column, `@mappings names "${ref.name}", which the query does not read${didYouMean(ref.name, named)}: map one of its upstream tables (${named.join(", ") || "none"})`));
          failed = true;
          break;
        }
        byKey[up] = mappings[ref.name];
      }
      (p.header.options as Record<string, unknown>).mappings = byKey;
    }
    if (failed) continue;
    const ins: Record<string, AnyAssetDef> = {};
    upstreams.forEach((k) => {
      if (k !== null) ins[k] = defsByKey.get(k)!;
    });
    const info: SqlAssetInfo = { file: p.file, text: p.text, refs: p.refs, upstreams };
    Object.assign(def as unknown as Record<string | symbol, unknown>, { [SQL_ASSET]: info, fn: stepFunction(info) });
    (def.options as Record<string, unknown>).ins = ins;
    out.push({ file: p.file, exportName: p.key, def });
  }
  return out;
}

/**
 * dbt models by the names dbt gives their relations (lower case, "/" between parts): `table`,
 * `schema/table`, `database/schema/table` → the asset key, so `from customer_revenue` reads the
 * dbt model whose table that is even when its key differs (`meta.dagx.key`). A name two models
 * share is left out (name it by key then).
 */
function dbtRelationNames(defsByKey: ReadonlyMap<string, AnyAssetDef>): Map<string, string> {
  const relations: [string, { name: string; schema?: string; database?: string }][] = [];
  for (const [key, def] of defsByKey) {
    const rel = dbtRelationOf((def.options as { io?: unknown }).io, key);
    if (rel) relations.push([key, rel]);
  }
  return dbtTableNames(relations);
}

/** The names of dbt relations (see dbtRelationNames) → asset key; also what the loader splits dbt steps by. */
export function dbtTableNames(relations: Iterable<readonly [string, { readonly name: string; readonly schema?: string; readonly database?: string }]>): Map<string, string> {
  const names = new Map<string, string | null>();
  for (const [key, rel] of relations) {
    const schema = rel.schema ?? "main";
    const forms = [rel.name, `${schema}/${rel.name}`, ...(rel.database ? [`${rel.database}/${schema}/${rel.name}`] : [])];
    for (const f of forms.map((x) => x.toLowerCase())) names.set(f, names.has(f) && names.get(f) !== key ? null : key);
  }
  return new Map([...names].filter((e): e is [string, string] => e[1] !== null));
}

/** The partition a SQL asset's parameters are bound from (`ctx.partition`'s fields). */
export interface SqlPartition {
  key: string;
  start?: Date;
  end?: Date;
  /** Per-dimension keys of a multi-partition. */
  dimensions?: Readonly<Record<string, string>>;
}

/** The value bound for `$name`: key, window start/end, or a dimension's key (`$partition_region`). */
function paramValue(name: string, part: SqlPartition | null | undefined): string | Date | null {
  if (name === "partition_key") return part?.key ?? null;
  if (name === "partition_start") return part?.start ?? null;
  if (name === "partition_end") return part?.end ?? null;
  return part?.dimensions?.[name.slice("partition_".length)] ?? null;
}

/** The template pieces of a SQL asset's query: text between table/parameter references, and what goes in each gap. */
export function queryPieces(info: SqlAssetInfo): { strings: string[]; slots: ({ table: string } | { param: string } | { external: string })[] } {
  const query = queryText(info.text);
  const marks = [
    ...info.refs.tables.map((t, i) => ({ start: t.start, end: t.end, slot: info.upstreams[i] === null ? { external: t.name } : { table: info.upstreams[i]! } })),
    ...info.refs.params.map((p) => ({ start: p.start, end: p.end, slot: { param: p.name } })),
  ].sort((a, b) => a.start - b.start);
  const strings: string[] = [];
  const slots: ({ table: string } | { param: string } | { external: string })[] = [];
  let at = 0;
  for (const m of marks) {
    strings.push(query.slice(at, m.start));
    slots.push(m.slot as never);
    at = m.end;
  }
  strings.push(`${query.slice(at)}\n`);
  return { strings, slots };
}

/** The step of a SQL asset: its query through ctx.sql (the path every TS asset's ctx.sql takes). */
function stepFunction(info: SqlAssetInfo) {
  const { strings, slots } = queryPieces(info);
  const marks = [...info.refs.tables.map((t) => ({ start: t.start, end: t.end })), ...info.refs.params].sort((a, b) => a.start - b.start);
  registerSqlSource(info.file, info.text);
  return (ctx: AssetContext, inputs: Record<string, unknown>) => {
    const values = slots.map((s) => {
      if ("table" in s) {
        const v = inputs[s.table];
        if (!isTableInput(v)) throw new DagxError("DEFINITION_INVALID", `SQL asset reads "${s.table}", which is not stored as a table (it returned a value that is not rows): read it from a TS asset, or make "${s.table}" return rows or a ctx.sql query`, { exitCode: 1 });
        return v;
      }
      if ("external" in s) return ctx.sql.id(...s.external.split(".").map((x) => x.trim().replace(/^"|"$/g, "")));
      return paramValue(s.param, ctx.partition as SqlPartition | null | undefined);
    });
    // the written length of each splice, to map DuckDB's error column back to the file
    const splices = new Map<number, LineSplice[]>();
    let n = 0;
    values.forEach((v, i) => {
      const m = marks[i]!;
      const written = isTableInput(v) ? v.sql : isSqlIdentifier(v) ? v.sql : `$${++n}`;
      const { line, column } = lineColumn(info.text, m.start);
      const list = splices.get(line) ?? [];
      list.push({ start: column - 1, end: column - 1 + (m.end - m.start), text: written });
      splices.set(line, list);
    });
    setSqlSplices(info.file, splices);
    const tpl = Object.assign([...strings], { raw: [...strings] }) as unknown as TemplateStringsArray;
    return ctx.sql(tpl, ...values);
  };
}

/** What `dagx sql KEY` prints: the query as run, `$n` for each parameter, and the values bound. */
export interface CompiledSqlAsset {
  key: string;
  file: string;
  sql: string;
  params: { index: number; name: string; value: string | null }[];
  /** Upstream asset keys, in the order the query names them. */
  upstreams: string[];
  /** Tables declared external. */
  external: string[];
}

/**
 * The query of a SQL asset as its step runs it: each `$partition_*` becomes a positional `$n` and
 * its value is listed; upstream tables keep the names they are written with — the names `dagx
 * query` gives the stored outputs, so the printed query runs there as it is.
 */
export function compileSqlAsset(key: string, info: SqlAssetInfo, partition: SqlPartition | null): CompiledSqlAsset {
  const { strings, slots } = queryPieces(info);
  let sql = strings[0]!;
  const params: CompiledSqlAsset["params"] = [];
  slots.forEach((s, i) => {
    if ("table" in s) sql += info.refs.tables.find((t) => t.key === s.table)?.name ?? s.table;
    else if ("external" in s) sql += s.external;
    else {
      const v = paramValue(s.param, partition);
      const value = v instanceof Date ? v.toISOString() : v;
      params.push({ index: params.length + 1, name: s.param, value });
      sql += `$${params.length}`;
    }
    sql += strings[i + 1];
  });
  return { key, file: info.file, sql: sql.trimEnd(), params, upstreams: info.upstreams.filter((u): u is string => u !== null), external: info.refs.tables.filter((_, i) => info.upstreams[i] === null).map((t) => t.name) };
}
