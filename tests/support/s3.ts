/**
 * A real S3-compatible server for a test file: moto (PyPI `moto[server]`, pinned) on loopback,
 * a random free port, SigV4 signatures checked against a generated access key, with the
 * buckets asked for already created.
 *
 *   let s3: S3Server;
 *   beforeAll(async () => { s3 = await startS3({ buckets: ["data"] }); });
 *   afterAll(() => s3?.stop());
 *
 * The venv lives outside the repository (~/.cache/dagx-tests/moto-<version>-py<x.y>); the first
 * start on a machine builds it from PyPI (~20–40 s), later starts take ~0.4 s, so each file
 * starts its own server. Objects are kept in the server's memory and go with it. The server
 * also exits when its stdin closes, and a watchdog removes its folder, so a test process that
 * dies without afterAll leaves nothing behind.
 *
 * Why moto and not s3rver: see docs/ARCHITECTURE.md, "Reaching S3 and Postgres: DuckDB version"
 * (s3rver accepts a wrong signature, fails a paged ListObjectsV2 and ignores conditional PUTs).
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildOnce, cachedVenvPath } from "./venv-cache.ts";
import { S3Client, type Subprocess } from "bun";
import { stopProcess, waitForLog, watchOver } from "./_local-server.ts";

/** The moto release the tests run against (bump here; the venv folder is named after it). */
export const MOTO_VERSION = "5.2.6";

/** A running server. `client(bucket)` is a Bun S3Client for it (path-style, http). */
export interface S3Server {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The temp folder holding the server's address and log (removed by stop()). */
  readonly folder: string;
  /** The server's process id. */
  readonly pid: number;
  client(bucket: string): S3Client;
  /** The server's log so far (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

export interface S3Options {
  /** Buckets to create before the server is handed out. */
  readonly buckets?: readonly string[];
}

/** Start a fresh S3 server; the caller stops it (afterAll). */
export async function startS3(options: S3Options = {}): Promise<S3Server> {
  const python = await motoPython();
  const folder = mkdtempSync(join(tmpdir(), "dagx-s3-"));
  const infoPath = join(folder, "server.json");
  const logPath = join(folder, "server.log");
  const child: Subprocess = Bun.spawn([python, join(import.meta.dir, "_moto-server.py"), ...(options.buckets ?? [])], {
    stdio: ["pipe", Bun.file(infoPath), Bun.file(logPath)],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" },
  });
  const watchdog = watchOver(child.pid, folder); // removes the folder if this process dies
  try {
    await waitForLog(infoPath, (t) => t.includes("\n"), child, 30_000, "The S3 server (moto)");
  } catch (error) {
    await stopProcess(child, "SIGTERM", 2_000);
    watchdog.kill();
    const log = readText(logPath);
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  const info = JSON.parse(readText(infoPath)) as { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string };
  let stopped: Promise<void> | undefined;
  return {
    ...info,
    folder,
    pid: child.pid,
    client: (bucket) =>
      new S3Client({ ...info, bucket, virtualHostedStyle: false }),
    log: () => readText(logPath),
    stop: () =>
      (stopped ??= (async () => {
        (child.stdin as import("bun").FileSink).end(); // the server exits at EOF on stdin
        await stopProcess(child, "SIGTERM", 5_000);
        watchdog.kill();
        rmSync(folder, { recursive: true, force: true });
      })()),
  };
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** The venv's python with moto installed; built once per machine, under a lock, moved into place when whole. */
async function motoPython(): Promise<string> {
  const system = findPython();
  const venv = cachedVenvPath(system, `moto-${MOTO_VERSION}`);
  const python = join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  await buildOnce(venv, () => existsSync(python), () => buildVenv(system, venv), 600_000);
  return python;
}

function buildVenv(system: string, venv: string): void {
  const partial = `${venv}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const run = (cmd: string[]) => {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) {
      rmSync(partial, { recursive: true, force: true });
      throw new Error(`Cannot build the moto venv (${cmd.join(" ")}): ${r.stderr.toString()}${r.stdout.toString()}`);
    }
  };
  run([system, "-m", "venv", partial]);
  const partialPython = join(partial, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  run([partialPython, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", `moto[server]==${MOTO_VERSION}`]);
  renameSync(partial, venv); // its scripts' #! lines name the old folder; bin/python, all we run, does not
}

/** Why the S3 server cannot start here (for `describe.skipIf`), or undefined when it can. */
export function s3Unavailable(): string | undefined {
  return pythonOnPath() ? undefined : "no python3 on PATH: install Python 3 (with its venv module) to run the S3 tests";
}

function pythonOnPath(): string | undefined {
  return Bun.which("python3") ?? Bun.which("python") ?? undefined;
}

function findPython(): string {
  const path = pythonOnPath();
  if (!path) throw new Error(`Cannot start the S3 server: ${s3Unavailable()}`);
  return path;
}
