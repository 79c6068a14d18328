/**
 * The IO manager of dbt outs (io/dbt/assets.ts gives it to every out of a `dbtProject()`): dbt
 * writes the relations, dagx observes and reads them.
 *
 * - `handleOutput(ctx, undefined)`, called after the build (io/run/step-output.ts calls an
 *   observing manager even for `undefined`), stores nothing: it attaches dbt-duckdb's database
 *   file READ-ONLY under its stem (dbt's views name that catalog) and records the relation's rows,
 *   columns and a content data version — count + an order-independent hash aggregate over every
 *   column, plus the columns — so the early cutoff sees what dbt really wrote (a model over an
 *   outside source changes when that source does, although its code and inputs did not).
 * - Where dagx cannot look (another adapter, an ephemeral model, a file it cannot read), the data
 *   version is new on every build: downstream assets always count as changed — never silently stale.
 * - `loadInput` gives downstream TS and SQL assets a table handle over the relation, attached
 *   read-only into the step's DuckDB for the step's duration. A file another process holds for
 *   writing (a dbt build running) fails the read after a short wait, naming the file.
 */
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { DagxError } from "../../core/errors.ts";
import { defineIOManager, type IOManager, type StoredOutput } from "../../core/io-manager.ts";
import { quoteIdent } from "../../core/sql.ts";
import type { ColumnSchema } from "../../core/types.ts";
import { hashText } from "../storage/index.ts";
import { quoteLiteral } from "../tabular/index.ts";
import { atEndOf, stepOf } from "./context.ts";
import { leaseWarehouse } from "./_duckdb-table-lease.ts";

/** How long a read or an observation waits for another process (a dbt build) to release the file. */
export const DBT_LOCK_TIMEOUT_MS = 5_000;

/** Where one dbt node's relation is. */
export interface DbtRelationSpec {
  readonly schema: string;
  /** The table or view name (dbt's alias). */
  readonly name: string;
  /** dbt's database (for dbt-duckdb: the file's stem). */
  readonly database?: string;
  /** dbt's `materialized` (an ephemeral model has no relation). */
  readonly materialized?: string;
}

/** Options of the dbt IO manager of one dbt project. */
export interface DbtRelationOptions {
  /** Its name, recorded as the outs' format (`dbt:<project>`). */
  readonly name: string;
  /** The dbt project folder (relative paths in dbt's views, e.g. external models, resolve there). */
  readonly dir: string;
  /** dbt-duckdb's database file (absolute), or why dagx cannot observe it (io/dbt/relation.ts). */
  readonly database: { readonly file: string; readonly catalog: string } | { readonly unobservable: string };
  /** Asset key → its relation. */
  readonly relations: ReadonlyMap<string, DbtRelationSpec>;
}

const DBT_RELATION = Symbol.for("dagx.io-manager.dbt-relation");
const PREFIX = "duckdb:";

/**
 * In this process, dbt builds and dagx's own looks at a dbt-duckdb file take turns (per file, in
 * arrival order): a build (exclusive: dbt-duckdb opens the file read-write, which fails while this
 * process has it attached) waits for the reads and observations under way, and they wait for it.
 * Other processes are met by DuckDB's own lock (the lease retries, then names the holder).
 */
interface Gate {
  readers: number;
  writing: boolean;
  queue: { exclusive: boolean; go: () => void }[];
}
const gates = new Map<string, Gate>();

function pump(file: string, g: Gate): void {
  while (g.queue.length > 0) {
    const head = g.queue[0]!;
    if (head.exclusive ? g.writing || g.readers > 0 : g.writing) break;
    g.queue.shift();
    if (head.exclusive) g.writing = true;
    else g.readers++;
    head.go();
    if (head.exclusive) break;
  }
  if (!g.writing && g.readers === 0 && g.queue.length === 0) gates.delete(file);
}

/** Take the file's turn (shared: a read or an observation; exclusive: a dbt build); resolves with its release. */
async function turn(file: string, exclusive: boolean): Promise<() => void> {
  const g = gates.get(file) ?? gates.set(file, { readers: 0, writing: false, queue: [] }).get(file)!;
  await new Promise<void>((go) => {
    g.queue.push({ exclusive, go });
    pump(file, g);
  });
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (exclusive) g.writing = false;
    else g.readers--;
    pump(file, g);
  };
}

/**
 * Run a dbt build (`fn`) of the project whose outs `io` serves, once this process reads and
 * observes nothing of its dbt-duckdb file (and hold further reads until it ends). Without a file
 * dagx observes (another adapter…), `fn` runs at once.
 */
export async function whileDbtBuilds<T>(io: unknown, fn: () => Promise<T>): Promise<T> {
  const o = observesWrittenOutputs(io) ? (io as unknown as Record<symbol, DbtRelationOptions>)[DBT_RELATION]! : null;
  if (!o || "unobservable" in o.database) return fn();
  const release = await turn(o.database.file, true);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** True for the dbt IO manager: the run engine hands it `undefined` outputs to observe. */
export function observesWrittenOutputs(manager: unknown): boolean {
  return typeof manager === "object" && manager !== null && DBT_RELATION in manager;
}

/** The relation of dbt out `key` when `io` is a dbt IO manager (for SQL assets naming a dbt model by its table), else null. */
export function dbtRelationOf(io: unknown, key: string): DbtRelationSpec | null {
  if (!observesWrittenOutputs(io)) return null;
  return (io as unknown as Record<symbol, DbtRelationOptions>)[DBT_RELATION]!.relations.get(key) ?? null;
}

/** `duckdb:<file>#<schema>.<table>` (dots and `#` in the names escaped). */
export function formatDbtLocation(file: string, schema: string, table: string): string {
  const esc = (s: string) => encodeURIComponent(s).replaceAll(".", "%2E");
  return `${PREFIX}${file}#${esc(schema)}.${esc(table)}`;
}

/** The file, schema and table of a dbt out's location, or null. */
export function parseDbtLocation(location: string): { file: string; schema: string; table: string } | null {
  if (!location.startsWith(PREFIX)) return null;
  const hash = location.lastIndexOf("#");
  if (hash < 0) return null;
  const names = location.slice(hash + 1).split(".");
  if (names.length !== 2) return null;
  try {
    return { file: location.slice(PREFIX.length, hash), schema: decodeURIComponent(names[0]!), table: decodeURIComponent(names[1]!) };
  } catch {
    return null;
  }
}

/** The dbt IO manager of one dbt project. */
export function createDbtRelationIO(o: DbtRelationOptions): IOManager {
  const told = new Set<string>(); // runs told that this project's relations are not observable
  const manager = defineIOManager({
    name: o.name,
    async handleOutput(ctx, value): Promise<StoredOutput> {
      if (value !== undefined) {
        throw new DagxError("UNSUPPORTED_OUTPUT", `Cannot store a value for dbt out "${ctx.assetKey}": dbt writes it — return undefined for it (ctx.output(undefined, { metadata }))`, { exitCode: 1 });
      }
      // new on every build: what is downstream always counts as changed
      const unobserved = (why: string): StoredOutput => {
        if (!told.has(`${ctx.runId}\0${why}`)) {
          told.add(`${ctx.runId}\0${why}`);
          ctx.log.info(`dbt outs of ${o.name} are not observed (${why}): each build gets a new data version, so everything downstream of a rebuilt model runs`);
        }
        return { location: "", rows: null, bytes: null, schema: null, dataVersion: hashText(`dbt-unobserved\0${ctx.assetKey}\0${ctx.runId}\0${crypto.randomUUID()}`) };
      };
      const db = o.database;
      if ("unobservable" in db) return unobserved(db.unobservable);
      const rel = o.relations.get(ctx.assetKey);
      if (!rel) return unobserved(`no relation is known for "${ctx.assetKey}"`);
      if (rel.materialized === "ephemeral") return unobserved(`"${ctx.assetKey}" is an ephemeral model`);
      if (rel.database && rel.database !== db.catalog) return unobserved(`"${ctx.assetKey}" is in database "${rel.database}", not in the profile's file "${db.file}"`);
      const step = stepOf(ctx);
      const conn = await step.conn();
      const release = await turn(db.file, false);
      try {
        const lease = await leaseWarehouse(conn, db.file, {
          purpose: `observe dbt model "${ctx.assetKey}"`,
          timeoutMs: DBT_LOCK_TIMEOUT_MS,
          readOnly: true,
          alias: db.catalog,
          say: (m) => ctx.log.warn(m),
          lockedMessage: (who) => `${who} holds dbt's database "${db.file}" for writing`,
        });
        try {
          await searchDbtDir(conn, o.dir);
          const observed = await observeRelation(conn, relationSql(db.catalog, rel.schema, rel.name));
          const root = step.storage.root;
          const shown = db.file.startsWith(root + sep) ? relative(root, db.file) : db.file;
          return { location: formatDbtLocation(shown, rel.schema, rel.name), rows: observed.rows, bytes: null, schema: observed.schema, dataVersion: observed.dataVersion };
        } finally {
          await lease.release(conn);
        }
      } catch (e) {
        return unobserved(`cannot read ${rel.schema}.${rel.name} in "${db.file}": ${(e as Error).message.split("\n")[0]}`);
      } finally {
        release();
      }
    },
    async loadInput(ctx) {
      const up = ctx.upstream;
      const location = up.locations[0] ?? "";
      if (location === "") return undefined; // not observed (another adapter…): nothing dagx can read
      const where = parseDbtLocation(location);
      if (!where) throw new DagxError("MISSING_UPSTREAM", `Cannot read dbt model "${up.assetKey}": its location ${JSON.stringify(location)} is not a dbt-duckdb relation — materialize it again`, { exitCode: 1 });
      // a dbt build of this project reads its own relations itself: attaching the file would only keep dbt out
      if (o.relations.has(ctx.assetKey)) return undefined;
      const step = stepOf(ctx);
      const file = isAbsolute(where.file) ? where.file : resolve(step.storage.root, where.file);
      const catalog = catalogOf(file); // dbt-duckdb's name for the file: its stem
      const conn = await step.conn();
      const release = await turn(file, false);
      const lease = await leaseWarehouse(conn, file, {
        purpose: `read dbt model "${up.assetKey}" for "${ctx.assetKey}"`,
        timeoutMs: DBT_LOCK_TIMEOUT_MS,
        readOnly: true,
        alias: catalog,
        say: (m) => step.log.warn(m),
        lockedMessage: (who, pid) =>
          `Cannot read dbt model "${up.assetKey}" for "${ctx.assetKey}": ${who} holds dbt's database "${file}" for writing (a dbt build still running?) — wait for it to finish${pid ? ` (or stop process ${pid})` : ""}, then materialize "${ctx.assetKey}" again`,
      }).catch((e: unknown) => {
        release();
        throw e;
      });
      // held while the step runs (its queries read the relation in place), released when it ends
      atEndOf(ctx)(async () => {
        try {
          await lease.release(conn);
        } finally {
          release();
        }
      });
      await searchDbtDir(conn, o.dir);
      return ctx.table(relationSql(catalog, where.schema, where.table));
    },
  });
  Object.defineProperty(manager, DBT_RELATION, { value: o });
  return manager;
}

function catalogOf(file: string): string {
  const base = file.slice(file.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

function relationSql(catalog: string, schema: string, table: string): string {
  return `${quoteIdent(catalog)}.${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** dbt's views may name files relative to the dbt project (external models): let this DuckDB find them there too. */
async function searchDbtDir(conn: DuckDBConnection, dir: string): Promise<void> {
  const r = await conn.runAndReadAll("SELECT current_setting('file_search_path') AS p");
  const now = String(r.getRowObjectsJS()[0]?.p ?? "");
  const list = now === "" ? [] : now.split(",");
  if (list.includes(dir)) return;
  await conn.run(`SET file_search_path = ${quoteLiteral([...list, dir].join(","))}`);
}

/**
 * Rows, columns and content version of a relation: count, the sum and the XOR of a hash of every
 * row (order-independent; the sum keeps duplicate rows from cancelling out), and the columns.
 * ~30 ms per million rows (docs/benchmarks.md).
 */
export async function observeRelation(conn: DuckDBConnection, rel: string): Promise<{ rows: number; schema: ColumnSchema[]; dataVersion: string }> {
  const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${rel}`);
  const schema = d.getRowObjectsJS().map((c) => ({ name: String(c.column_name), type: String(c.column_type) }));
  const r = await conn.runAndReadAll(
    `SELECT count(*)::VARCHAR AS n, coalesce(sum(hash(__dagx_row)::HUGEINT), 0)::VARCHAR AS s, coalesce(bit_xor(hash(__dagx_row)), 0)::VARCHAR AS x FROM ${rel} AS __dagx_row`,
  );
  const row = r.getRowObjectsJS()[0] as { n: string; s: string; x: string };
  return { rows: Number(row.n), schema, dataVersion: hashText(`dbt-relation\0${JSON.stringify(schema)}\0${row.n}\0${row.s}\0${row.x}`) };
}

/**
 * The columns of dbt out `key`'s relation as it is now in dbt-duckdb's file (`DESCRIBE`, the file
 * attached read-only in a DuckDB of its own), for `dagx types` when no materialization recorded
 * them; null when `io` is not a dbt IO manager, the relation is unknown or cannot be read.
 */
export async function describeDbtOut(io: unknown, key: string): Promise<ColumnSchema[] | null> {
  if (!observesWrittenOutputs(io)) return null;
  const o = (io as unknown as Record<symbol, DbtRelationOptions>)[DBT_RELATION]!;
  const rel = o.relations.get(key);
  if (!rel || "unobservable" in o.database || rel.materialized === "ephemeral") return null;
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const conn = await instance.connect();
  try {
    await conn.run(`ATTACH ${quoteLiteral(o.database.file)} AS ${quoteIdent(o.database.catalog)} (READ_ONLY)`);
    await searchDbtDir(conn, o.dir);
    const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relationSql(o.database.catalog, rel.schema, rel.name)}`);
    return d.getRowObjectsJS().map((c) => ({ name: String(c.column_name), type: String(c.column_type) }));
  } catch {
    return null;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * `dagx query` over a dbt out (it loads no definitions): the relation its recorded location names,
 * its file attached read-only under the file's stem (relative paths in dbt's views are also looked
 * for beside the file); null when the records are not a dbt out's.
 */
export async function dbtRelationTableExpr(conn: DuckDBConnection, root: string, records: readonly { path: string; assetKey: string }[]): Promise<{ sql: string; release: () => Promise<void> } | null> {
  const where = records[0] ? parseDbtLocation(records[0].path) : null;
  if (!where) return null;
  const file = isAbsolute(where.file) ? where.file : resolve(root, where.file);
  const catalog = catalogOf(file);
  const done = await turn(file, false);
  const lease = await leaseWarehouse(conn, file, {
    purpose: `query dbt model "${records[0]!.assetKey}"`,
    timeoutMs: DBT_LOCK_TIMEOUT_MS,
    readOnly: true,
    alias: catalog,
    lockedMessage: (who) => `${who} holds dbt's database "${file}" for writing (a dbt build still running?): query again once it has finished`,
  }).catch((e: unknown) => {
    done();
    throw e;
  });
  await searchDbtDir(conn, dirname(file));
  return { sql: relationSql(catalog, where.schema, where.table), release: () => lease.release(conn).finally(done) };
}
