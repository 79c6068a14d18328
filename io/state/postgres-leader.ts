/**
 * One daemon per deployment, elected through the Postgres state (issue 17 item 3; the decision is
 * in docs/ARCHITECTURE.md, "Daemon election").
 *
 * - **The lock.** A session advisory lock (`pg_try_advisory_lock`, keyed by the state's schema)
 *   held on a connection of its own (a one-connection client, nothing else runs on it). While the
 *   leader's process lives, so does its session and the lock; kill -9 closes the socket, the
 *   server ends the session and a standby's next try (every `beatMs`) wins.
 * - **The row.** `daemon_leader` names the holder (host, pid, backend pid, elected at) and its
 *   heartbeat, written by the server's clock. A standby that finds the heartbeat older than
 *   `timeoutMs` (the leader's machine vanished without closing its socket, or the process is
 *   frozen) ends the holder's backend with `pg_terminate_backend` — only the backend the row names
 *   and only while the lock is still held by it, so a leader elected meanwhile is never hit.
 * - **The term.** Each election increments `daemon_leader.term`; every tick's transaction checks
 *   it (`checkTerm`, `FOR SHARE`, so an election waits for a tick in flight and a tick after an
 *   election is refused). A leader also stops on its own: when a heartbeat fails, finds the row
 *   changed or runs on a replaced connection, or when no heartbeat was confirmed for half the
 *   timeout (a frozen process, once thawed, sees the lapse before it commits anything).
 */
import { SQL } from "bun";
import { NotLeaderError, StateStoreError } from "../../core/errors.ts";
import { parsePgUrl, type Pg, scrubPg } from "./_pg-client.ts";
import { migratePostgres } from "./_pg-schema.ts";

/** The server's clock in epoch ms (one clock for every machine's heartbeats). */
const NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
/** First key of the leader lock ("dagx"); the second is the schema's hash (one leader per state). */
const LOCK_CLASS = 0x64616778;

/** The second advisory-lock key: FNV-1a of the schema, kept positive (equal as int4 and as pg_locks' oid). */
export function leaderLockKey(schema: string): number {
  let h = 0x811c9dc5;
  for (const ch of `daemon-leader:${schema}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

/** Inside a tick's transaction: refuse unless `term` is still the deployment's leader term. */
export async function checkTerm(q: Pg, term: number): Promise<void> {
  const [row] = await q.unsafe("SELECT term FROM daemon_leader WHERE id = 1 FOR SHARE");
  const current = row ? Number(row.term) : null;
  if (current !== term) {
    throw new NotLeaderError(`Tick refused: this daemon was elected with term ${term}, but the deployment's leader now has term ${current ?? "none"} (another daemon took over)`);
  }
}

export interface ElectionOptions {
  /** A standby deposes a leader whose heartbeat is older than this. @default 15_000 */
  timeoutMs?: number;
  /** Heartbeat and standby poll period. @default min(1000, timeoutMs / 5) */
  beatMs?: number;
  host: string;
  pid: number;
  /** Progress lines (stderr). */
  log(line: string): void;
}

/** This process leads: tick only while `holds()`; `lost` aborts the moment it stops leading. */
export interface Leadership {
  readonly term: number;
  holds(): boolean;
  readonly lost: AbortSignal;
  /** Give the lock up (the daemon stops). */
  resign(): Promise<void>;
}

export interface DaemonElection {
  /** Stand by until elected (logging who leads), or until `signal` aborts (then null). */
  campaign(signal: AbortSignal): Promise<Leadership | null>;
  close(): Promise<void>;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (ms: number | null): string => (ms === null ? "?" : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z"));

/** The election of `dagx daemon` over the Postgres state at `url`. Nothing connects before `campaign`. */
export function createDaemonElection(url: string, o: ElectionOptions): DaemonElection {
  const target = parsePgUrl(url);
  const timeoutMs = o.timeoutMs ?? 15_000;
  const beatMs = o.beatMs ?? Math.max(50, Math.min(1000, Math.floor(timeoutMs / 5)));
  const leaseMs = Math.floor(timeoutMs / 2);
  const queryMs = Math.max(1000, leaseMs);
  const key = [LOCK_CLASS, leaderLockKey(target.schema)] as const;
  const daemonId = Bun.randomUUIDv7();
  let conn: SQL | null = null;
  let closed = false;
  let registered = false;
  /** The leadership this election handed out last (resigned on close). */
  let current: Leadership | null = null;

  const connect = (): SQL =>
    (conn ??= new SQL(target.url, {
      max: 1,
      idleTimeout: 0,
      connectionTimeout: Math.max(2, Math.ceil(queryMs / 1000)),
      connection: { search_path: `${target.schema}, public`, application_name: "dagx daemon" },
    }));
  /** Close the election connection (its session lock, if any, goes with it). */
  const drop = async () => {
    const c = conn;
    conn = null;
    await c?.close({ timeout: 0 }).catch(() => {});
  };
  /** One statement on the election connection; a statement that hangs (half-open socket) fails after `queryMs`. */
  const q = async (text: string, params: unknown[] = []): Promise<Row[]> => {
    let timer: Timer | undefined;
    try {
      return await Promise.race([
        connect().unsafe(text, params) as Promise<Row[]>,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from the server within ${queryMs} ms`)), queryMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  const message = (e: unknown) => scrubPg(target, e instanceof Error ? e.message : String(e));
  const register = (role: "leader" | "standby") =>
    q(`INSERT INTO daemons (daemon_id, host, pid, role, started_at, beat_at, timeout_ms) VALUES ($1, $2, $3, $4, ${NOW_MS}, ${NOW_MS}, $5)
       ON CONFLICT (daemon_id) DO UPDATE SET role = EXCLUDED.role, beat_at = EXCLUDED.beat_at`, [daemonId, o.host, o.pid, role, timeoutMs]);

  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });

  /** Elected: the heartbeat, the lease, and the way out. */
  function lead(term: number): Leadership {
    const lost = new AbortController();
    let confirmed = performance.now();
    let beating = false;
    const lose = (why: string) => {
      if (lost.signal.aborted) return;
      clearInterval(timer);
      o.log(`leadership lost (term ${term}): ${why}; this daemon commits no further tick and stands by`);
      lost.abort();
      void drop(); // whatever the connection's state, the lock must not outlive the leadership
    };
    const timer = setInterval(async () => {
      if (performance.now() - confirmed >= leaseMs) return lose(`no heartbeat confirmed for ${Math.round(performance.now() - confirmed)} ms (lease ${leaseMs} ms)`);
      if (beating) return;
      beating = true;
      const started = performance.now();
      try {
        // the row is ours only under our term, on the very session that took the lock
        const rows = await q(`UPDATE daemon_leader SET beat_at = ${NOW_MS} WHERE id = 1 AND term = $1 AND backend_pid = pg_backend_pid() RETURNING term`, [term]);
        if (rows.length !== 1) return lose("the leader row names another daemon or session (deposed, or the connection was replaced)");
        confirmed = started;
        await q(`UPDATE daemons SET beat_at = ${NOW_MS}, role = 'leader' WHERE daemon_id = $1`, [daemonId]);
      } catch (e) {
        lose(`heartbeat failed: ${message(e)}`);
      } finally {
        beating = false;
      }
    }, beatMs);
    return {
      term,
      holds: () => !lost.signal.aborted && performance.now() - confirmed < leaseMs,
      lost: lost.signal,
      async resign() {
        if (lost.signal.aborted) return;
        clearInterval(timer);
        lost.abort();
        await q(`UPDATE daemon_leader SET backend_pid = NULL, beat_at = NULL WHERE id = 1 AND term = $1`, [term]).catch(() => {});
        await q("SELECT pg_advisory_unlock($1, $2)", [...key]).catch(() => {});
        await drop();
      },
    };
  }

  return {
    async campaign(signal) {
      let shown = "";
      let lastError = "";
      let migrated = false;
      while (!signal.aborted && !closed) {
        try {
          if (!migrated) {
            await migratePostgres(connect() as never, target.schema, Date.now());
            await q(`DELETE FROM daemons WHERE beat_at < ${NOW_MS} - 86400000`);
            migrated = true;
          }
          const [got] = await q("SELECT pg_try_advisory_lock($1, $2) AS got, pg_backend_pid() AS backend", [...key]);
          if (got?.got === true) {
            // a tick transaction of a vanished leader, left open on a half-open socket, would hold
            // the leader row (FOR SHARE) and the tick lock until TCP gives up: end it once it has
            // sat idle in its transaction longer than the timeout (a live tick takes milliseconds). Only
            // dagx's own sessions (same role, application "dagx") holding the row FOR SHARE: never a pg_dump
            await q(
              `SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a
               WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.state LIKE 'idle in transaction%'
                 AND a.usename = current_user AND a.application_name = 'dagx'
                 AND a.state_change < clock_timestamp() - make_interval(secs => $1::double precision / 1000)
                 AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.relation = 'daemon_leader'::regclass AND l.mode = 'RowShareLock')`,
              [timeoutMs],
            );
            // waits for a tick in flight under the old term (its FOR SHARE), then fences it out
            const [row] = await q(
              `INSERT INTO daemon_leader (id, term, daemon_id, host, pid, backend_pid, elected_at, beat_at, timeout_ms) VALUES (1, 1, $1, $2, $3, $4, ${NOW_MS}, ${NOW_MS}, $5)
               ON CONFLICT (id) DO UPDATE SET term = daemon_leader.term + 1, daemon_id = $1, host = $2, pid = $3, backend_pid = $4, elected_at = ${NOW_MS}, beat_at = ${NOW_MS}, timeout_ms = $5
               RETURNING term`,
              [daemonId, o.host, o.pid, Number(got.backend), timeoutMs],
            );
            if (!row) throw new Error("the daemon_leader row is missing (state schema damaged?)");
            await register("leader");
            registered = true;
            const term = Number(row.term);
            o.log(`elected leader (term ${term}): this daemon ticks schedules, sensors and automation`);
            current = lead(term);
            return current;
          }
          await register("standby");
          registered = true;
          const [leader] = await q(`SELECT host, pid, elected_at, backend_pid, ${NOW_MS} - beat_at AS age FROM daemon_leader WHERE id = 1`);
          const age = num(leader?.age);
          if (age !== null && age > timeoutMs) {
            // the holder stopped beating: end its session (the lock goes with it), but only the session the row names, still holding the lock
            const ended = await q(
              `SELECT l.pid, pg_terminate_backend(l.pid) AS ended FROM pg_locks l JOIN daemon_leader d ON d.id = 1 AND d.backend_pid = l.pid
               WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 2
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND d.beat_at < ${NOW_MS} - $3::bigint`,
              [...key, timeoutMs],
            );
            if (ended.some((r) => r.ended === true)) {
              o.log(`standby: deposing leader ${leader?.host} pid ${leader?.pid}: no heartbeat for ${Math.round(age / 1000)} s (timeout ${timeoutMs / 1000} s); its session was ended`);
              continue; // the lock is free: try at once
            }
          }
          const now = leader && leader.host !== null ? `${leader.host} pid ${leader.pid} since ${iso(num(leader.elected_at))}` : "not recorded yet (being elected)";
          if (now !== shown) {
            o.log(`standby: leader is ${now}; taking over when it stops (heartbeat timeout ${timeoutMs / 1000} s)`);
            shown = now;
          }
          lastError = "";
        } catch (e) {
          const m = message(e);
          const hint = /must be a member|permission denied/i.test(m) ? " (the daemons must connect as the same role, or as one with pg_signal_backend: docs/deploy.md)" : "";
          if (m !== lastError) o.log(`standby: election on the Postgres state ${target.shown} failed: ${m}${hint}; retrying every ${beatMs} ms`);
          lastError = m;
          await drop();
        }
        await sleep(beatMs, signal);
      }
      return null;
    },
    async close() {
      closed = true;
      await current?.resign();
      if (registered) await q("DELETE FROM daemons WHERE daemon_id = $1", [daemonId]).catch(() => {});
      await drop();
    },
  };
}

/** A daemon process as `dagx daemon status` shows it. */
export interface DaemonInfo {
  host: string;
  pid: number;
  /** Elected at (leader) or started at (standby), ISO; null when unknown. */
  since: string | null;
  /** Last heartbeat, ISO; null when unknown. */
  lastBeatAt: string | null;
}

export interface DaemonStatus {
  /** How one daemon is chosen: the Postgres advisory lock, or the project's file lock (DuckDB state). */
  election: "postgres" | "file-lock";
  leader: (DaemonInfo & { term: number | null; stale: boolean }) | null;
  standbys: DaemonInfo[];
  /** Heartbeat timeout after which a standby deposes the leader (ms); null for the file lock. */
  timeoutMs: number | null;
}

/** Who leads the deployment of the Postgres state at `url`, and who stands by. */
export async function readDaemonStatus(url: string): Promise<DaemonStatus> {
  const target = parsePgUrl(url);
  const sql = new SQL(target.url, { max: 1, connectionTimeout: 10, connection: { search_path: `${target.schema}, public`, application_name: "dagx" } });
  try {
    await migratePostgres(sql as never, target.schema, Date.now());
    const [row] = (await sql.unsafe(
      `SELECT d.*, ${NOW_MS} AS now, EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid
         AND l.objid = $2::bigint::oid AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS held
       FROM daemon_leader d WHERE d.id = 1`,
      [LOCK_CLASS, leaderLockKey(target.schema)],
    )) as Row[];
    const now = Number(row?.now ?? Date.now());
    const standbys = (await sql.unsafe(
      `SELECT * FROM daemons WHERE role = 'standby' AND beat_at > ${NOW_MS} - greatest(timeout_ms, 3000) ORDER BY started_at, daemon_id`,
    )) as Row[];
    const timeoutMs = num(row?.timeout_ms);
    const leaderBeat = num(row?.beat_at);
    const leader = row?.held === true && row.host !== null
      ? {
        host: String(row.host), pid: Number(row.pid), since: toIso(row.elected_at), lastBeatAt: toIso(row.beat_at),
        term: num(row.term), stale: leaderBeat === null || now - leaderBeat > (timeoutMs ?? 15_000),
      }
      : null;
    return {
      election: "postgres",
      leader,
      standbys: standbys.filter((s) => s.daemon_id !== row?.daemon_id).map((s) => ({ host: String(s.host), pid: Number(s.pid), since: toIso(s.started_at), lastBeatAt: toIso(s.beat_at) })),
      timeoutMs,
    };
  } catch (e) {
    throw new StateStoreError(`Cannot read the daemons of the Postgres state ${target.shown}: ${scrubPg(target, e instanceof Error ? e.message : String(e))}`);
  } finally {
    await sql.close({ timeout: 1 }).catch(() => {});
  }
}

const toIso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
