/**
 * Access to a warehouse file (duckdbTable) from a DuckDB instance of this process: the file is
 * ATTACHed into the instance that runs the step's SQL — so a `ctx.sql` result goes into a table,
 * and a downstream query reads one, without a row crossing into JS — and DETACHed (which
 * checkpoints and releases DuckDB's lock) as soon as nobody in that instance uses it.
 *
 * - One attachment per file and process. DuckDB's file lock is per process: two instances of one
 *   process could both attach the file and corrupt it. So a lease is counted per instance, and an
 *   instance that finds the file leased to another one of this process waits for it to be released.
 * - Another process (a BI tool, the `duckdb` CLI, another dagx run) holding the file makes ATTACH
 *   fail at once ("Could not set lock on file … Conflicting lock is held in <program> (PID n)"):
 *   we retry with backoff, say so once on stderr, and fail after `timeoutMs` naming the holder.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { DagxError } from "../../core/errors.ts";
import { quoteIdent } from "../../core/sql.ts";
import { quoteLiteral } from "../tabular/index.ts";

const LOCK_ERROR = /Could not set lock on file|Conflicting lock is held/;
const HOLDER = /Conflicting lock is held in (.*?) \(PID (\d+)\)/;

interface Lease {
  alias: string;
  refs: number;
  /** Resolves once the attachment is made (or failed). */
  ready: Promise<void>;
  /** Set when the last holder let it go: it is being detached, nobody may join it. */
  closing: boolean;
}

const leases = new Map<string, Lease>();
const released = new Map<string, (() => void)[]>();
let seq = 0;

/** A leased attachment: `alias` is its catalog name in the instance of the connection that took it. */
export interface WarehouseLease {
  alias: string;
  /** Give the lease back; the last one out detaches the file (with `conn`, which must still be open). */
  release(conn: DuckDBConnection): Promise<void>;
}

export interface LeaseOptions {
  /** What the wait is for, in messages: `write "orders"`. */
  purpose: string;
  timeoutMs: number;
  readOnly?: boolean;
  /** Where "waiting for …" goes (stderr by default). */
  say?: (message: string) => void;
  /** Run right after this process attached the file, before anyone of it uses the attachment. */
  onAttach?: (conn: DuckDBConnection, alias: string) => Promise<void>;
  /** The catalog name to attach under (dbt's views name the file's stem); @default a fresh `dagx_warehouse_N` */
  alias?: string;
  /** The error when another process still holds the file after `timeoutMs` (`who`: "process 12 (python3)"). @default the duckdbTable message */
  lockedMessage?: (who: string, pid: string | undefined) => string;
}

async function attachedHere(conn: DuckDBConnection, alias: string): Promise<boolean> {
  const r = await conn.runAndReadAll("SELECT count(*)::INTEGER AS n FROM duckdb_databases() WHERE database_name = $1", [alias]);
  return Number(r.getRowObjectsJS()[0]?.n ?? 0) > 0;
}

function waitForRelease(path: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const list = released.get(path) ?? released.set(path, []).get(path)!;
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      const i = list.indexOf(done);
      if (i >= 0) list.splice(i, 1);
      resolve();
    }, ms);
    list.push(done);
  });
}

/** Lease the warehouse at absolute `path` for the instance of `conn`, attaching it when this instance has not. */
export async function leaseWarehouse(conn: DuckDBConnection, path: string, o: LeaseOptions): Promise<WarehouseLease> {
  const started = Date.now();
  for (;;) {
    const held = leases.get(path);
    if (!held) break;
    await held.ready.catch(() => {});
    // joined only while nobody is detaching it: checked again after the (async) look at the
    // instance, since the last holder may have let it go in the meantime
    const joinable = () => leases.get(path) === held && !held.closing;
    if (joinable() && (await attachedHere(conn, held.alias)) && joinable()) {
      held.refs++;
      return leaseOf(path, held);
    }
    if (Date.now() - started >= o.timeoutMs) {
      throw new DagxError("OUTPUT_WRITE", `Cannot ${o.purpose} in warehouse "${path}": another run in this dagx process has used it for ${seconds(o.timeoutMs)}: let it finish, or raise lockTimeoutMs of duckdbTable`, { exitCode: 1 });
    }
    await waitForRelease(path, 50);
  }
  const lease: Lease = { alias: o.alias ?? `dagx_warehouse_${++seq}`, refs: 1, ready: Promise.resolve(), closing: false };
  lease.ready = attachWithRetry(conn, path, lease.alias, started, o);
  leases.set(path, lease);
  try {
    await lease.ready;
  } catch (error) {
    leases.delete(path);
    wake(path);
    throw error;
  }
  return leaseOf(path, lease);
}

function leaseOf(path: string, lease: Lease): WarehouseLease {
  let done = false;
  return {
    alias: lease.alias,
    async release(conn) {
      if (done) return;
      done = true;
      if (--lease.refs > 0) return;
      lease.closing = true;
      try {
        await conn.run(`DETACH ${quoteIdent(lease.alias)}`);
      } finally {
        leases.delete(path);
        wake(path);
      }
    },
  };
}

function wake(path: string): void {
  for (const f of released.get(path)?.splice(0) ?? []) f();
}

async function attachWithRetry(conn: DuckDBConnection, path: string, alias: string, started: number, o: LeaseOptions): Promise<void> {
  if (!o.readOnly) mkdirSync(dirname(path), { recursive: true });
  const say = o.say ?? ((m: string) => process.stderr.write(`${m}\n`));
  let delay = 25;
  let told = false;
  for (;;) {
    try {
      await conn.run(`ATTACH ${quoteLiteral(path)} AS ${quoteIdent(alias)}${o.readOnly ? " (READ_ONLY)" : ""}`);
      break;
    } catch (error) {
      const text = String(error);
      if (!LOCK_ERROR.test(text)) throw new DagxError("OUTPUT_WRITE", `Cannot open warehouse "${path}" (to ${o.purpose}): ${(error as Error).message}`, { exitCode: 1, cause: error });
      const who = holderOf(text);
      if (Date.now() - started >= o.timeoutMs) {
        const pid = HOLDER.exec(text)?.[2];
        if (o.lockedMessage) throw new DagxError("OUTPUT_WRITE", o.lockedMessage(who, pid), { exitCode: 1, cause: error });
        throw new DagxError(
          "OUTPUT_WRITE",
          `Cannot ${o.purpose} in warehouse "${path}": ${who} has held the file open for ${seconds(o.timeoutMs)}: close that program${pid ? ` (or "kill ${pid}")` : ""} and run again — BI tools should open a copy of the warehouse, or connect between runs (README "IO managers")`,
          { exitCode: 1, cause: error },
        );
      }
      if (!told) {
        told = true;
        say(`Waiting for warehouse "${path}": ${who} holds it open (DuckDB allows one process per file); retrying for up to ${seconds(o.timeoutMs)} — close that program to continue`);
      }
      await Bun.sleep(delay * (0.5 + Math.random() * 0.5));
      delay = Math.min(500, delay * 2);
    }
  }
  if (o.onAttach) {
    try {
      await o.onAttach(conn, alias);
    } catch (error) {
      await conn.run(`DETACH ${quoteIdent(alias)}`).catch(() => {});
      throw error;
    }
  }
  if (told) say(`Warehouse "${path}" is free again: continuing`);
}

function holderOf(text: string): string {
  const m = HOLDER.exec(text);
  return m ? `process ${m[2]} (${m[1]})` : "another process";
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
