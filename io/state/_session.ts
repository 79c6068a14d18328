/**
 * Short-lived access to a DuckDB state file: gate → ATTACH → migrate → jobs → DETACH → release.
 *
 * DuckDB lets one process hold a file; every other open fails at once with "Could not set lock on
 * file … Conflicting lock is held in <program> (PID n)". So nothing keeps the file between sessions.
 * Each process keeps one in-memory DuckDB instance per state file and ATTACHes the file for a
 * session, then DETACHes it: DETACH checkpoints and releases the lock (verified from a second
 * process). Measured on 2 vCPUs: ATTACH ~2 ms, DETACH ~3 ms + ~3 ms per table written, against
 * ~10 ms + ~6 ms/table to create and close a `DuckDBInstance` per operation.
 *
 * - One queue per file and process: two attachments of one file in one process would both succeed
 *   (DuckDB's fcntl lock is per process) and corrupt the file, so sessions never overlap here.
 * - Batching: a session keeps serving this process's jobs — including one its caller queues right
 *   after the previous one resolved — for up to HOLD_MS, saving a checkpoint per job. With the queue
 *   empty it lingers up to LINGER_MS for the next job (a short run's final write joins the session
 *   of its start: one DETACH and ATTACH fewer), unless another process waits for the file or the
 *   store is closing (whenStateIdle()).
 * - Warm-up: creating the host instance costs ~10–20 ms; warmStateHost() starts it while the caller
 *   does other work (loads the project), and the first session takes it.
 * - Fairness: waiters poll the flock gate (io/storage/file-lock.ts) every 1–6 ms; a holder that kept
 *   someone waiting pauses YIELD_MS before its next session, so the file changes hands.
 * - Without the gate (no flock here), tries are DuckDB ATTACHes, with exponential backoff + jitter.
 * - A state file this process cannot write (or whose folder it cannot write: DuckDB writes a WAL
 *   beside it) is attached READ_ONLY, so reading commands work on a read-only `.dagx`; a write
 *   then fails with a message saying so (io/state/_errors.ts), as does a damaged file.
 * - A state file this process creates gets 64 KiB blocks (NEW_FILE_BLOCK_SIZE); an existing one
 *   keeps its own (older dagx made 256 KiB ones), also when it appeared after we looked.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import fs from "node:fs";
import path from "node:path";
import { StateStoreError } from "../../core/errors.ts";
import { isStateWritable, stateFileError } from "./_errors.ts";
import { openFileLock, type FileLock } from "../storage/index.ts";
import { releaseDuckDBMemory } from "../platform/index.ts";
import { registerHash } from "./_staleness.ts";
import { migrate, SCHEMA_VERSION, SchemaTooNewError } from "./_schema.ts";

const LOCK_ERROR = /Could not set lock on file|Conflicting lock is held/;
const HOLDER = /Conflicting lock is held in (.*?) \(PID (\d+)\)/;
/** Jobs served by one attachment before the file is released for other processes. */
const MAX_JOBS_PER_OPEN = 32;
/** Waiters poll the gate every 1–6 ms; a holder that kept others waiting pauses longer than that. */
const GATE_POLL_MIN_MS = 1;
const GATE_POLL_MAX_MS = 6;
const YIELD_MS = 8;
/** Longest a session keeps taking more jobs of this process while others may be waiting. */
const HOLD_MS = 100;
/** Longest an idle session waits for this process's next job before it detaches (see the file comment). */
const LINGER_MS = 20;
/** While lingering, how often it looks whether another process waits for the file. */
const LINGER_POLL_MS = 2;
/** Catalog name of the attached state file inside the host instance. */
const ALIAS = "dagx_state";
/**
 * Block size of a state file dagx creates. DuckDB's default, 256 KiB, makes every COMMIT append
 * through a transient block per column written (events 7 columns, materializations and their
 * latest copy 15 each): ~9 MB of anonymous memory for one run's records, most of a small run's
 * state cost. 64 KiB blocks take 6–12 MB off a trivial run's peak; 16 and 32 KiB take 1–4 MB more
 * off but make a 1M-partition state file larger and its `status` 10–25 % slower
 * (docs/benchmarks.md, "Memory: second cut and the floor for every case").
 */
export const NEW_FILE_BLOCK_SIZE = 65_536;
const BLOCK_SIZE_MISMATCH = /block size parameter does not match/;

/** What a job learns about its session. */
export interface SessionInfo {
  /** The file is attached READ_ONLY (this process cannot write it or its folder): writes fail. */
  readOnly: boolean;
}

interface Job {
  fn: (conn: DuckDBConnection, info: SessionInfo) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  timeoutMs: number;
}

interface FileQueue {
  jobs: Job[];
  draining: boolean;
  lock: Promise<FileLock | null>;
  /** In-memory instance + connection that attach the file; dropped after a failed DETACH. */
  host: Host | null;
  /** Callers of whenStateIdle() waiting for the current drain to end. */
  idle: (() => void)[];
  /** Ends a lingering session's wait: a job arrived, or a caller wants the file released. */
  wake: (() => void) | null;
}

interface Host {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
}

const queues = new Map<string, FileQueue>();
/** Sessions (ATTACHes) this process opened, over all files: for tests. */
let sessionsOpened = 0;

/** How many sessions this process has opened so far (tests count the ATTACH/DETACH pairs a sequence of calls costs). */
export function stateSessionCount(): number {
  return sessionsOpened;
}

function queueFor(dbPath: string): FileQueue {
  let queue = queues.get(dbPath);
  if (!queue) {
    const lock = (async () => {
      fs.mkdirSync(path.dirname(dbPath), { recursive: true, mode: 0o700 });
      return openFileLock(`${dbPath}.lock`);
    })().catch(() => null); // no gate: fall back to polling DuckDB's own lock
    queue = { jobs: [], draining: false, lock, host: null, idle: [], wake: null };
    queues.set(dbPath, queue);
  }
  return queue;
}

/**
 * Run `fn` with an open connection to `dbPath` while holding its lock; `fn` owns its transaction.
 * Waits up to `timeoutMs` for other processes, then fails with a StateStoreError naming the holder.
 */
export function withStateConnection<T>(
  dbPath: string,
  timeoutMs: number,
  fn: (conn: DuckDBConnection, info: SessionInfo) => Promise<T>,
): Promise<T> {
  const absolute = path.resolve(dbPath);
  const queue = queueFor(absolute);
  return new Promise<T>((resolve, reject) => {
    queue.jobs.push({ fn, resolve: resolve as (value: unknown) => void, reject, timeoutMs });
    queue.wake?.();
    if (!queue.draining) void drain(absolute, queue);
  });
}

/** Resolves once this process has no session open on `dbPath` (the file is detached and released). */
export function whenStateIdle(dbPath: string): Promise<void> {
  const queue = queues.get(path.resolve(dbPath));
  if (!queue?.draining) return Promise.resolve();
  // a lingering session stops waiting for more jobs: the caller is done with the file
  const idle = new Promise<void>((resolve) => queue.idle.push(resolve));
  queue.wake?.();
  return idle;
}

/** Wait up to `ms` for a job to be queued; ends early when another process waits for the file or a caller wants it released. */
async function linger(queue: FileQueue, lock: FileLock | null, ms: number): Promise<void> {
  // without the gate nobody can tell us they wait: do not hold the file idle
  if (!lock || ms <= 0 || queue.idle.length > 0) return;
  let woken = false;
  const until = performance.now() + ms;
  while (!woken && queue.jobs.length === 0 && !lock.othersWaiting()) {
    const left = until - performance.now();
    if (left <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(LINGER_POLL_MS, left));
      queue.wake = () => {
        woken = true;
        clearTimeout(timer);
        resolve();
      };
    });
    queue.wake = null;
  }
}

async function drain(dbPath: string, queue: FileQueue): Promise<void> {
  queue.draining = true;
  let othersWaited = false;
  try {
    while (queue.jobs.length > 0) {
      // Another process waited while we held the file: step back so that one of them gets it next.
      if (othersWaited) await Bun.sleep(YIELD_MS);
      const lock = await queue.lock;
      let session: Session;
      try {
        session = await openSession(dbPath, queue, lock, queue.jobs[0]?.timeoutMs ?? 30_000);
      } catch (error) {
        for (const job of queue.jobs.splice(0)) job.reject(error);
        continue;
      }
      try {
        const until = performance.now() + HOLD_MS;
        for (let served = 0; served < MAX_JOBS_PER_OPEN && (served === 0 || performance.now() < until); served++) {
          // A caller awaiting its previous job queues the next one within this turn: keep the file
          // for it (one commit + checkpoint fewer), within the HOLD_MS budget.
          if (queue.jobs.length === 0) await new Promise((resolve) => setImmediate(resolve));
          if (queue.jobs.length === 0 && served > 0) await linger(queue, lock, Math.min(LINGER_MS, until - performance.now()));
          const job = queue.jobs.shift();
          if (!job) break;
          try {
            job.resolve(await job.fn(session.conn, { readOnly: session.readOnly }));
          } catch (error) {
            job.reject(error);
            // Leave no transaction open behind a failed job for the next one (usually a no-op).
            await session.conn.run("ROLLBACK").catch(() => {});
          }
        }
      } finally {
        othersWaited = await session.close();
        // what the session's commit and checkpoint freed goes back to the system before the next
        releaseDuckDBMemory();
      }
    }
  } finally {
    queue.draining = false;
    for (const resolve of queue.idle.splice(0)) resolve();
  }
}

interface Session {
  conn: DuckDBConnection;
  readOnly: boolean;
  /** Detach and release; true when another process waited for the file meanwhile. */
  close(): Promise<boolean>;
}

async function openSession(dbPath: string, queue: FileQueue, lock: FileLock | null, timeoutMs: number): Promise<Session> {
  const started = Date.now();
  // Built outside the gate: creating an instance costs ~10 ms we need not make others wait for.
  let host: Host;
  try {
    host = queue.host ??= await takeHost();
  } catch (error) {
    throw openError(dbPath, error);
  }
  // Gate tries cost ~0.5 µs: poll it often, at random intervals shorter than YIELD_MS, so every
  // waiter gets a fair chance. Without the gate each try is a DuckDB ATTACH: back off exponentially.
  let delay = 10;
  let lastLockError: unknown = null;
  for (;;) {
    if (!lock || lock.tryLock()) {
      try {
        return await attach(dbPath, queue, host, lock);
      } catch (error) {
        lock?.unlock();
        if (!LOCK_ERROR.test(String(error))) throw openError(dbPath, error);
        lastLockError = error;
      }
    }
    if (Date.now() - started >= timeoutMs) throw lockTimeoutError(dbPath, timeoutMs, lastLockError, lock);
    if (lock && !lastLockError) {
      await Bun.sleep(GATE_POLL_MIN_MS + Math.random() * (GATE_POLL_MAX_MS - GATE_POLL_MIN_MS));
    } else {
      await Bun.sleep(delay * (0.5 + Math.random() * 0.5));
      delay = Math.min(250, delay * 2);
    }
  }
}

async function createHost(create: () => Promise<DuckDBInstance> = createHostInstance): Promise<Host> {
  const instance = await create();
  try {
    const conn = await instance.connect();
    registerHash(conn);
    return { instance, conn };
  } catch (error) {
    instance.closeSync();
    throw error;
  }
}

const createHostInstance = () => DuckDBInstance.create(":memory:", { threads: "1" });

/** A host created ahead of need by warmStateHost(), for the next session that has none. */
let warm: Promise<Host> | null = null;

/**
 * Start creating a host instance now, in the background (DuckDB creates it on a worker thread),
 * so that the first session does not wait for it: call it before work that does not need the
 * state, e.g. loading the project. Does nothing when a warm host is already waiting. A warm-up
 * that fails stays silent: the session that needs a host then creates its own, and reports that
 * failure as usual. Close an unused one with {@link releaseWarmStateHost}. `create` is for tests.
 */
export function warmStateHost(create: () => Promise<DuckDBInstance> = createHostInstance): void {
  if (warm) return;
  warm = createHost(create);
  warm.catch(() => {}); // handled where it is taken
}

/** Close the warm host if no session took it (the command ended before it opened the state). */
export async function releaseWarmStateHost(): Promise<void> {
  const pending = warm;
  warm = null;
  const host = await pending?.catch(() => null);
  if (!host) return;
  host.conn.closeSync();
  host.instance.closeSync();
}

/** The warm host if one was started and it worked, else a new one. */
async function takeHost(): Promise<Host> {
  const pending = warm;
  warm = null;
  const host = await pending?.catch(() => null);
  return host ?? createHost();
}

async function attach(dbPath: string, queue: FileQueue, host: Host, lock: FileLock | null): Promise<Session> {
  const existed = fs.existsSync(dbPath);
  if (!existed) fs.mkdirSync(path.dirname(dbPath), { recursive: true, mode: 0o700 });
  const readOnly = existed && !isStateWritable(dbPath);
  await attachFile(host.conn, dbPath, { existed, readOnly });
  sessionsOpened++;
  const close = async (): Promise<boolean> => {
    try {
      await host.conn.run("USE memory");
      await host.conn.run(`DETACH ${ALIAS}`);
    } catch {
      // A failing DETACH (checkpoint) is not an error of the jobs: their commits are in the WAL.
      // Closing the host instead still releases DuckDB's lock (the connection must go first).
      queue.host = null;
      try {
        host.conn.closeSync();
        host.instance.closeSync();
      } catch {
        // nothing more to do; the process exit releases the lock
      }
    }
    return lock?.unlock() ?? false;
  };
  try {
    if (!existed) fs.chmodSync(dbPath, 0o600);
    await host.conn.run(`USE ${ALIAS}`);
    await migrate(host.conn, Date.now());
    return { conn: host.conn, readOnly, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * ATTACH the state file as {@link ALIAS}. A file this process is about to create gets
 * {@link NEW_FILE_BLOCK_SIZE}-byte blocks; an existing file keeps the block size it was made with
 * (DuckDB stores it in the header and refuses an ATTACH that asks for another). When another
 * process — an older dagx, or any DuckDB client — created the file with another block size between
 * our look and our ATTACH, DuckDB says so and the file is attached as it is.
 */
export async function attachFile(conn: DuckDBConnection, dbPath: string, o: { existed: boolean; readOnly: boolean }): Promise<void> {
  // ATTACH takes no bound parameters; a doubled quote is the literal's only escape.
  const attach = (options: string) => conn.run(`ATTACH '${dbPath.replaceAll("'", "''")}' AS ${ALIAS}${options}`);
  if (o.existed) {
    await attach(o.readOnly ? " (READ_ONLY)" : "");
    return;
  }
  try {
    await attach(` (BLOCK_SIZE ${NEW_FILE_BLOCK_SIZE})`);
  } catch (error) {
    if (!BLOCK_SIZE_MISMATCH.test(String(error))) throw error;
    await attach("");
  }
}

function openError(dbPath: string, error: unknown): StateStoreError {
  if (error instanceof SchemaTooNewError) {
    return new StateStoreError(
      `Cannot use state file "${dbPath}": it has schema version ${error.found}, this dagx knows up to ${SCHEMA_VERSION}; upgrade dagx`,
      { cause: error },
    );
  }
  const known = stateFileError(dbPath, error, "open or upgrade it");
  if (known) return known;
  const detail = error instanceof Error ? error.message : String(error);
  return new StateStoreError(`Cannot open state file "${dbPath}": ${detail}`, { cause: error });
}

function lockTimeoutError(dbPath: string, timeoutMs: number, lockError: unknown, lock: FileLock | null): StateStoreError {
  const seconds = Math.round(timeoutMs / 100) / 10;
  const match = lockError ? HOLDER.exec(String(lockError)) : null;
  if (match) {
    return new StateStoreError(
      `Cannot open state file "${dbPath}": process ${match[2]} (${match[1]}) has held its lock for ${seconds} s; ` +
        `dagx never keeps the file open between operations, so close that program (or "kill ${match[2]}") and retry`,
      { cause: lockError },
    );
  }
  const pid = lock?.holderPid();
  return new StateStoreError(
    `Cannot open state file "${dbPath}": dagx process ${pid ?? "?"} has held "${dbPath}.lock" for ${seconds} s; ` +
      `if that process is stuck, stop it${pid ? ` ("kill ${pid}")` : ""} and retry`,
  );
}
