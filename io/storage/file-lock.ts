/**
 * A cheap cross-process gate in front of the state file: flock(2) on `<db>.lock` through bun:ffi.
 *
 * Why: a DuckDB open that fails on the file lock still costs CPU (~5 ms for an instance, ~1 ms for
 * an ATTACH; measured), so 20 processes polling DuckDB burn the CPU the lock holder needs. A
 * non-blocking flock try costs ~0.5 µs, so waiters can poll every few ms for free, and only the
 * gate holder touches DuckDB. A failed try also sets a "someone waits" byte in the file, which
 * the holder reads at unlock to decide whether to step back (fairness, see _state-session.ts).
 * flock locks belong to the open file description: they are released when the process dies (no
 * stale locks after SIGKILL) and they also exclude other threads/Workers of the same process,
 * which DuckDB's own fcntl lock does not (two instances in one process both open the file).
 * Where flock is unavailable (Windows, no libc found) {@link openFileLock} returns null and the
 * caller falls back to polling DuckDB's own lock.
 */
import fs from "node:fs";

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

type FlockFn = (fd: number, operation: number) => number;

let flockFn: FlockFn | null | undefined;

function libcCandidates(): string[] {
  if (process.platform === "darwin") return ["/usr/lib/libSystem.B.dylib", "libc.dylib"];
  if (process.platform === "win32") return [];
  const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
  return ["libc.so.6", `libc.musl-${arch}.so.1`, "libc.so"];
}

async function loadFlock(): Promise<FlockFn | null> {
  if (flockFn !== undefined) return flockFn;
  flockFn = null;
  if (process.env.DAGX_STATE_NO_FLOCK === "1") return null;
  try {
    const { dlopen, FFIType } = await import("bun:ffi");
    for (const name of libcCandidates()) {
      try {
        const lib = dlopen(name, { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
        flockFn = (fd, op) => lib.symbols.flock(fd, op);
        break;
      } catch {
        // try the next name
      }
    }
  } catch {
    // not running under Bun: no FFI, fall back to DuckDB's lock
  }
  return flockFn;
}

/** An exclusive advisory lock on one file, held by this process between tryLock and unlock. */
export interface FileLock {
  /** Take the lock if free; never blocks. A failed try tells the holder that someone waits. */
  tryLock(): boolean;
  /** Release the lock; true when another process tried to take it meanwhile (time to yield). */
  unlock(): boolean;
  /** Whether another process has tried to take the lock since we took it (peek, no reset). */
  othersWaiting(): boolean;
  /** Pid recorded by the current (or last) holder, if readable. */
  holderPid(): number | null;
}

// Lock file layout: bytes 0..15 the holder's pid (space padded), byte 16 the "someone waits" flag.
const PID_BYTES = 16;
const WAITING = Buffer.from("1");
const IDLE = Buffer.from("0");

/** Open (creating with mode 0600) the lock file at `path`; null when flock is unavailable here. */
export async function openFileLock(path: string): Promise<FileLock | null> {
  const flock = await loadFlock();
  if (!flock) return null;
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  } catch {
    // a read-only .dagx: flock works on a descriptor opened for reading (no pid, no waiting flag)
    fd = fs.openSync(path, fs.constants.O_RDONLY);
  }
  const flag = Buffer.alloc(1);
  // Errors below are swallowed: the file content is advisory (fairness hint, pid for messages).
  const waiting = () => {
    try {
      return fs.readSync(fd, flag, 0, 1, PID_BYTES) === 1 && flag[0] === WAITING[0];
    } catch {
      return false;
    }
  };
  const setFlag = (value: Buffer) => {
    try {
      fs.writeSync(fd, value, 0, 1, PID_BYTES);
    } catch {
      // advisory
    }
  };
  return {
    tryLock() {
      if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
        setFlag(WAITING);
        return false;
      }
      try {
        fs.writeSync(fd, Buffer.from(String(process.pid).padEnd(PID_BYTES)), 0, PID_BYTES, 0);
      } catch {
        // advisory
      }
      return true;
    },
    unlock() {
      const contended = waiting();
      if (contended) setFlag(IDLE);
      flock(fd, LOCK_UN);
      return contended;
    },
    othersWaiting: waiting,
    holderPid() {
      try {
        const pid = Number.parseInt(fs.readFileSync(path, "utf8").slice(0, PID_BYTES), 10);
        return Number.isFinite(pid) ? pid : null;
      } catch {
        return null;
      }
    },
  };
}
