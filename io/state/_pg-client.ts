/**
 * How the parts of the Postgres state store (postgres-*.ts) reach the server: one pool of Bun's
 * built-in `SQL` client per store (docs/ARCHITECTURE.md, Decisions: "Postgres state: Bun's SQL"),
 * the URL taken apart with its password made known to the process's redactor, the schema migrated
 * once per store before the first call, and `op(label, fn)` turning every failure into a
 * StateStoreError that names the database without its password.
 *
 * Tables live in one Postgres schema (`dagx` unless the URL says `?schema=NAME`), set as the
 * `search_path` of every connection, so one database can hold several deployments' states.
 */
import { SQL } from "bun";
import { NotLeaderError, StateStoreError } from "../../core/errors.ts";
import { REDACTED } from "../../core/redact.ts";
import { redactor } from "../secrets/index.ts";
import { migratePostgres, PgSchemaTooNewError } from "./_pg-schema.ts";

/** What a part runs its statements on: the pool, or a transaction of it. */
export interface Pg {
  unsafe(text: string, params?: unknown[]): Promise<PgRow[]> & Promise<{ count: number }>;
}
export type PgRow = Record<string, unknown>;
/** A transaction handle (`sql.begin`). */
export type PgTx = Pg;

/** A postgres:// URL taken apart: what messages may show, and what they must not. */
export interface PgTarget {
  /** The URL for the client, `schema` removed from its query. */
  url: string;
  /** `user@host:port/database` (no password). */
  shown: string;
  schema: string;
  /** Texts never to show: the URL and the password (raw and decoded). */
  secrets: string[];
}

/** Does `value` name a Postgres state (`postgres://…` / `postgresql://…`)? */
export const isPostgresUrl = (value: string | undefined | null): value is string => typeof value === "string" && /^postgres(ql)?:\/\//i.test(value.trim());

/** Parse a state URL; its password becomes known to the redactor before anything can print it. */
export function parsePgUrl(raw: string): PgTarget {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new StateStoreError("The Postgres state URL is not a valid URL: write it as postgres://user:password@host:5432/database (the URL is not shown: it may hold a password)");
  }
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const password = u.searchParams.get("password") ?? decode(u.password);
  const secrets = [raw, raw.trim(), u.password, password].filter((s) => s.length >= 3);
  for (const s of secrets) redactor.add(s);
  const schema = u.searchParams.get("schema") ?? "dagx";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StateStoreError(`The Postgres state URL's schema "${schema}" is not a plain name: use lower-case letters, digits and _ (e.g. ?schema=dagx)`);
  }
  u.searchParams.delete("schema");
  const user = decode(u.username);
  const shown = `${user ? `${user}@` : ""}${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}${schema === "dagx" ? "" : ` (schema ${schema})`}`;
  return { url: u.toString(), shown, schema, secrets };
}

/** `text` without the target's secrets (nor any other secret the process knows). */
export function scrubPg(t: PgTarget, text: string): string {
  let out = text;
  for (const s of [...t.secrets].sort((a, b) => b.length - a.length)) out = out.replaceAll(s, REDACTED);
  return redactor.text(out);
}

export interface PgOps {
  readonly target: PgTarget;
  /** Run `fn` on the pool (migrated); rejects with StateStoreError ("Cannot <label> …") when it fails or the store is closed. */
  op<T>(label: string, fn: (sql: Pg) => Promise<T>): Promise<T>;
  /** Run `fn` inside one transaction (BEGIN … COMMIT, rolled back when it throws). */
  tx<T>(label: string, fn: (tx: PgTx) => Promise<T>): Promise<T>;
  /**
   * LISTEN on `channel` (one dedicated connection, reconnected by the client): `onNotify` gets each
   * payload; `onListen` runs when the LISTEN is acknowledged, first and after every reconnect (what
   * was sent meanwhile is lost). Resolves to the unsubscribe function.
   */
  listen(label: string, channel: string, onNotify: (payload: string) => void, onListen?: () => void): Promise<() => Promise<void>>;
  /** Refuse new calls, wait for the started ones, close the pool. */
  close(): Promise<void>;
}

export interface PgOpsOptions {
  /** Connections of the pool. @default 4 */
  max?: number;
  /** Seconds to wait for a connection. @default 10 */
  connectTimeoutSeconds?: number;
}

/** The pool and call runner of one Postgres store. Nothing connects before the first call. */
export function createPgOps(raw: string, options: PgOpsOptions = {}): PgOps {
  const target = parsePgUrl(raw);
  const sql = new SQL(target.url, {
    max: options.max ?? 4,
    connectionTimeout: options.connectTimeoutSeconds ?? 10,
    idleTimeout: 30,
    connection: { search_path: `${target.schema}, public`, application_name: "dagx" },
  });
  const pg = sql as unknown as Pg & {
    begin<T>(fn: (tx: PgTx) => Promise<T>): Promise<T>;
    close(o?: { timeout?: number }): Promise<void>;
    listen(channel: string, onnotify: (payload: string) => void, onlisten?: () => void): Promise<{ unlisten(): Promise<void> }>;
  };
  const pending = new Set<Promise<unknown>>();
  let closed = false;
  let ready: Promise<void> | null = null;

  const fail = (label: string, error: unknown): StateStoreError => {
    if (error instanceof NotLeaderError) return error; // the daemon tells it apart from a failure
    if (error instanceof StateStoreError) return new StateStoreError(scrubPg(target, error.message), { cause: error.cause });
    if (error instanceof PgSchemaTooNewError) {
      return new StateStoreError(`Cannot ${label}: the Postgres state ${target.shown} has schema version ${error.found}, newer than this dagx's ${error.supported}: upgrade dagx (the state was written by a newer one)`);
    }
    const detail = scrubPg(target, error instanceof Error ? error.message : String(error));
    const code = (error as { code?: string; errno?: string } | null)?.errno ?? "";
    const hint = code === "28P01" || /password authentication failed/i.test(detail)
      ? ": check the user and password of DAGX_STATE_URL / the config's state"
      : /connect|ECONNREFUSED|timeout/i.test(detail) ? ": is the Postgres server up and reachable?" : "";
    return new StateStoreError(`Cannot ${label} in Postgres state ${target.shown}: ${detail}${hint}`);
  };

  function run<T>(label: string, fn: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new StateStoreError(`Cannot ${label}: the Postgres state store ${target.shown} is closed`));
    ready ??= migratePostgres(pg, target.schema, Date.now()).catch((error: unknown) => {
      ready = null; // a server that was down may be up at the next call
      throw error;
    });
    const promise = ready.then(fn).catch((error: unknown) => {
      throw fail(label, error);
    });
    pending.add(promise);
    const forget = () => pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  return {
    target,
    op: (label, fn) => run(label, () => fn(pg)),
    tx: (label, fn) => run(label, () => pg.begin(fn)),
    listen: (label, channel, onNotify, onListen) =>
      run(label, async () => {
        const sub = await pg.listen(channel, onNotify, onListen);
        return () => sub.unlisten().catch(() => {});
      }),
    async close() {
      closed = true;
      await Promise.allSettled([...pending]);
      await pg.close({ timeout: 5 }).catch(() => {});
    },
  };
}

/** Column name → Postgres type of a bulk insert. */
export type Columns = readonly (readonly [string, string])[];

/**
 * Insert many rows in one statement: the rows travel as one JSON parameter, unpacked by
 * `jsonb_to_recordset` (any number of rows, one bound value). `conflict` is appended as is (ON CONFLICT …).
 */
export async function insertRows(q: Pg, table: string, columns: Columns, values: readonly (readonly unknown[])[], conflict = ""): Promise<number> {
  if (values.length === 0) return 0;
  const names = columns.map(([n]) => n);
  const objects = values.map((row) => {
    if (row.length !== names.length) throw new Error(`insert into ${table}: ${row.length} values for ${names.length} columns`);
    return Object.fromEntries(names.map((n, i) => [n, row[i] ?? null]));
  });
  const spec = columns.map(([n, t]) => `${n} ${t}`).join(", ");
  const result = await q.unsafe(`INSERT INTO ${table} (${names.join(", ")}) SELECT ${names.join(", ")} FROM jsonb_to_recordset($1::jsonb) AS x(${spec}) ${conflict}`, [objects]);
  return (result as unknown as { count: number }).count;
}

/** Rows changed by a statement. */
export const changed = (result: unknown): number => Number((result as { count?: number }).count ?? 0);
