/**
 * Opening state sessions (io/state/_session.ts): the host instance warmed up ahead of the first
 * session, and an idle session lingering briefly for this process's next job — unless another
 * process waits for the file or the caller is done with it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { DuckDBInstance } from "@duckdb/node-api";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { releaseWarmStateHost, stateSessionCount, warmStateHost, whenStateIdle, withStateConnection } from "../../../io/state/_session.ts";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { makeRun } from "./runs.contract.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-session-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => path.join(root, `p${++counter}`, ".dagx", "state.duckdb");
const REPO = path.join(import.meta.dir, "../../..");

const isClosed = async (i: DuckDBInstance) => {
  try {
    (await i.connect()).closeSync();
    return false;
  } catch (e) {
    return /closed/.test(String(e));
  }
};

describe("warmStateHost()", () => {
  test("the first session takes the warm host: no second instance", async () => {
    const made: DuckDBInstance[] = [];
    warmStateHost(async () => {
      const i = await DuckDBInstance.create(":memory:", { threads: "1" });
      made.push(i);
      return i;
    });
    const store = createDuckDBStateStore(freshPath());
    await store.createRun(makeRun("r1"));
    expect((await store.getRun("r1"))?.runId).toBe("r1");
    await store.close();
    await releaseWarmStateHost(); // taken: nothing to release, the host stays the file's
    expect(made.length).toBe(1);
    expect(await isClosed(made[0]!)).toBe(false);
  });

  test("a warm host no session took is closed by releaseWarmStateHost()", async () => {
    let instance: DuckDBInstance | null = null;
    warmStateHost(async () => (instance = await DuckDBInstance.create(":memory:", { threads: "1" })));
    await releaseWarmStateHost();
    expect(instance).not.toBeNull();
    expect(await isClosed(instance!)).toBe(true);
    await releaseWarmStateHost(); // nothing left: a no-op
  });

  test("a failed warm-up is silent, and the session creates its own host", async () => {
    let tries = 0;
    warmStateHost(() => (tries++, Promise.reject(new Error("cannot create instance"))));
    await Bun.sleep(5); // rejected by now: no unhandled rejection (it would fail this test)
    const store = createDuckDBStateStore(freshPath());
    await store.createRun(makeRun("r1"));
    expect((await store.getRun("r1"))?.runId).toBe("r1");
    await store.close();
    expect(tries).toBe(1);
  });
});

describe("an idle session lingers for the next job", () => {
  const job = (file: string) => withStateConnection(file, 5_000, async (conn) => conn.run("SELECT 1"));

  test("a job queued a few ms after the previous one resolved joins its session; one queued later opens another", async () => {
    const file = freshPath();
    await job(file);
    await whenStateIdle(file);
    const before = stateSessionCount();
    await job(file);
    await Bun.sleep(3); // a short run's steps, between its first and its last state write
    await job(file);
    expect(stateSessionCount() - before).toBe(1);
    await whenStateIdle(file);
    await job(file);
    await Bun.sleep(100); // longer than the linger
    await job(file);
    expect(stateSessionCount() - before).toBe(3);
    await whenStateIdle(file);
  });

  test("whenStateIdle() called while the session lingers resolves once the file is detached (checkpointed, WAL gone)", async () => {
    const file = freshPath();
    await withStateConnection(file, 5_000, (conn) => conn.run("CREATE TABLE t AS SELECT 1 AS x"));
    expect(fs.existsSync(`${file}.wal`)).toBe(true); // committed to the WAL, session still open
    await whenStateIdle(file);
    expect(fs.existsSync(`${file}.wal`)).toBe(false);
  });

  test("another process waiting at the file's gate ends the linger", async () => {
    const file = freshPath();
    await job(file);
    await whenStateIdle(file);
    if (!fs.existsSync(`${file}.lock`)) return; // no flock on this system: no gate, no linger
    // the child polls the gate every ms until it gets it, then says so
    const script = `import { openFileLock } from "./io/storage/file-lock.ts";
const lock = await openFileLock(${JSON.stringify(`${file}.lock`)});
console.log("polling");
for (;;) { if (lock.tryLock()) { lock.unlock(); console.log("got"); process.exit(0); } await Bun.sleep(1); }`;
    const before = stateSessionCount();
    const child = Bun.spawn([process.execPath, "-e", script], { cwd: REPO, stdout: "pipe", stdin: "ignore", stderr: "inherit" });
    const reader = child.stdout.getReader();
    let text = "";
    const readUntil = async (word: string) => {
      while (!text.includes(word)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    try {
      await withStateConnection(file, 5_000, async () => {
        await readUntil("polling");
        await Bun.sleep(20); // the child has tried (and failed) a few times: it waits
      });
      await Bun.sleep(5);
      await job(file); // would join a lingering session; the waiter made it detach instead
      expect(stateSessionCount() - before).toBe(2);
      await readUntil("got");
      expect(text).toContain("got");
      expect(await child.exited).toBe(0);
    } finally {
      child.kill();
      await whenStateIdle(file);
    }
  });
});
