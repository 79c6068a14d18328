/**
 * The connection of postgresTable: the URL taken apart, its secret parts made known to the
 * process's redactor (and scrubbed from every message this module passes on), and the database
 * ATTACHed to a DuckDB instance through the postgres extension.
 *
 * The password never enters SQL text that DuckDB keeps: it goes into a temporary DuckDB secret
 * (DuckDB shows secrets redacted), and the ATTACH string holds only the URL's other parameters —
 * so neither `duckdb_databases()` nor DuckDB's or libpq's connection errors ("Unable to connect to
 * Postgres at …") can echo it.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { DagxError } from "../../core/errors.ts";
import { REDACTED } from "../../core/redact.ts";
import { loadDuckDBExtension } from "../platform/index.ts";
import { redactor } from "../secrets/index.ts";
import { quoteLiteral } from "../tabular/index.ts";

/** The parts of a postgres:// URL. */
export interface PostgresTarget {
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
  /** Other libpq parameters of the URL's query (sslmode, application_name, …). */
  params: [string, string][];
  /** `user@host:port/database`: how messages name the database (no password). */
  shown: string;
  /** Texts that must never appear in output: the URL, the password (raw and decoded). */
  secrets: string[];
}

/** Parse `url` (never shown in the message when it is not one). */
export function parseTarget(url: string): PostgresTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DagxError("OUTPUT_WRITE", "postgresTable's url is not a valid URL: write it as postgres://user:password@host:5432/database (the URL is not shown: it may hold a password)", { exitCode: 1 });
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new DagxError("OUTPUT_WRITE", `postgresTable's url must start with postgres:// or postgresql:// (got ${u.protocol}//…)`, { exitCode: 1 });
  }
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const params: [string, string][] = [];
  let password = decode(u.password);
  for (const [k, v] of u.searchParams) {
    if (k === "password") password = v;
    else params.push([k, v]);
  }
  const host = decode(u.hostname).replace(/^\[(.*)\]$/, "$1");
  const database = decode(u.pathname.replace(/^\//, ""));
  const user = decode(u.username);
  const secrets = [url, u.password, password].filter((s) => s.length > 0);
  for (const s of secrets) redactor.add(s);
  return { host, port: u.port, database, user, password, params, shown: `${user ? `${user}@` : ""}${host}${u.port ? `:${u.port}` : ""}/${database}`, secrets };
}

/** `text` without the target's secrets (whatever the process's redactor knows). */
export function scrub(t: PostgresTarget, text: string): string {
  let out = text;
  for (const s of [...t.secrets].sort((a, b) => b.length - a.length)) if (s.length >= 3) out = out.replaceAll(s, REDACTED);
  return redactor.text(out);
}

/** The message of a DuckDB/libpq error about `t`, scrubbed, on one line where it can be. */
export function errorText(t: PostgresTarget, error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  return scrub(t, postgresError(raw) ?? raw).trim();
}

/**
 * Postgres's own error out of DuckDB's wrapping, which repeats the whole statement dagx sent
 * (`Failed to execute query "DO $dagx$ …": ERROR:  …`): the error, and the statement inside the
 * block that raised it.
 */
function postgresError(message: string): string | null {
  const m = /Failed to execute query "[\s\S]*": ERROR:\s+([^\n]*)([\s\S]*)$/.exec(message);
  if (!m) return null;
  const statement = /SQL statement "([^"\n]*)"/.exec(m[2]!)?.[1];
  return `${m[1]!.trim()}${statement ? ` (in ${statement})` : ""}`;
}

const aliases = new Map<string, string>();
const attaching = new Map<string, Promise<unknown>>();

/** The catalog name of `t`'s database in any instance of this process. */
function aliasOf(t: PostgresTarget): string {
  const key = t.secrets[0]!;
  let alias = aliases.get(key);
  if (!alias) aliases.set(key, (alias = `dagx_pg_${aliases.size + 1}`));
  return alias;
}

/** libpq's key=value form of one parameter. */
function kv(k: string, v: string): string {
  return `${k}='${v.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/**
 * Attach `t`'s database to the instance of `conn` (once per instance; concurrent steps of one
 * instance wait for the first) and return its catalog name.
 */
export async function attachPostgres(conn: DuckDBConnection, t: PostgresTarget): Promise<string> {
  const alias = aliasOf(t);
  const previous = attaching.get(alias) ?? Promise.resolve();
  const next = previous.then(async () => {
    const r = await conn.runAndReadAll("SELECT count(*)::INTEGER AS n FROM duckdb_databases() WHERE database_name = $1", [alias]);
    if (Number(r.getRowObjectsJS()[0]?.n ?? 0) > 0) return;
    await loadDuckDBExtension(conn, "postgres_scanner");
    const fields = [["HOST", t.host], ["PORT", t.port], ["DATABASE", t.database], ["USER", t.user], ["PASSWORD", t.password]].filter(([, v]) => v !== "");
    try {
      await conn.run(`CREATE OR REPLACE TEMPORARY SECRET ${alias}_secret (TYPE postgres${fields.map(([k, v]) => `, ${k} ${quoteLiteral(v!)}`).join("")})`);
      await conn.run(`ATTACH ${quoteLiteral(t.params.map(([k, v]) => kv(k, v)).join(" "))} AS ${alias} (TYPE postgres, SECRET ${alias}_secret)`);
    } catch (error) {
      throw new DagxError("OUTPUT_WRITE", `Cannot connect to Postgres ${t.shown}: ${errorText(t, error)}: check postgresTable's url (is the server up, are user and password right?)`, { exitCode: 1 });
    }
  });
  attaching.set(alias, next.catch(() => {}));
  await next;
  return alias;
}

/** Run `sql` in Postgres itself, in a transaction of its own (read committed): one statement, all or nothing. */
export async function execute(conn: DuckDBConnection, alias: string, sql: string): Promise<void> {
  await conn.run(`CALL postgres_execute(${quoteLiteral(alias)}, ${quoteLiteral(sql)}, use_transaction := false)`);
}
