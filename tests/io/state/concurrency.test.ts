import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";

const REPO = path.join(import.meta.dir, "../../..");
const WORKER = path.join(REPO, "tests/fixtures/state-worker.ts");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-state-conc-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function spawnWorker(args: string[]) {
  return Bun.spawn([process.execPath, WORKER, ...args], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
}

async function finished(child: ReturnType<typeof spawnWorker>) {
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code, stdout, stderr };
}

async function count(file: string, sql: string): Promise<number> {
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  try {
    return Number((await conn.runAndReadAll(sql)).getRowObjectsJS()[0]?.n);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Resolve with the `committed <n>` numbers a crash worker printed once it printed `atLeast` of them. */
async function waitForCommits(child: ReturnType<typeof spawnWorker>, atLeast: number): Promise<number[]> {
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`crash worker ended early: ${text}`);
    text += decoder.decode(value);
    const commits = [...text.matchAll(/committed (\d+)\n/g)].map((m) => Number(m[1]));
    if (commits.length >= atLeast) {
      reader.releaseLock();
      return commits;
    }
  }
}

describe("createDuckDBStateStore() across processes", () => {
  test("20 processes at once: all exit 0, no lock error, no lost events", async () => {
    const file = path.join(root, "many", ".dagx", "state.duckdb");
    const startAt = Date.now() + 1500; // every worker starts its first write at the same moment
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => finished(spawnWorker(["mixed", file, String(i), String(startAt)]))));
    for (const result of results) {
      expect(result.stderr).not.toMatch(/lock/i);
      expect(result).toMatchObject({ code: 0 });
    }
    const store = createDuckDBStateStore(file);
    const runs = await store.listRuns();
    expect(runs.map((r) => r.status)).toEqual(Array(20).fill("success"));
    for (const result of results) {
      const { runId } = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}") as { runId: string };
      expect((await store.getEvents(runId)).map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    }
    expect((await store.latestMaterializations(["shared"])).length).toBe(200);
    expect((await store.latestMaterializations(["common"])).length).toBe(1);
    await store.close();
    expect(await count(file, "SELECT count(*) AS n FROM events")).toBe(1000);
    expect(await count(file, "SELECT count(*) AS n FROM materializations")).toBe(220);
  }, 180_000);

  test("a writer killed with SIGKILL mid-write leaves only complete batches; others carry on", async () => {
    const file = path.join(root, "crash", ".dagx", "state.duckdb");
    const perBatch = 300;
    const reported = new Map<string, number>();
    for (let round = 0; round < 4; round++) {
      const bystander = spawnWorker(["mixed", file, `bystander${round}`, "0"]);
      const victim = spawnWorker(["crash", file, `c${round}`, "0", String(perBatch)]);
      const commits = await waitForCommits(victim, 2 + round);
      await Bun.sleep(Math.random() * 15); // land somewhere inside the next open → insert → commit → detach
      victim.kill("SIGKILL");
      await victim.exited;
      reported.set(`c${round}`, Math.max(...commits));
      const result = await finished(bystander);
      expect(result.stderr).not.toMatch(/lock/i);
      expect(result.code).toBe(0);
    }
    const store = createDuckDBStateStore(file);
    for (const run of (await store.listRuns()).filter((r) => r.runId.startsWith("run-c"))) {
      const workerId = run.runId.split("-")[1] as string;
      const sizes = new Map<number, number>();
      for (const e of await store.getEvents(run.runId)) sizes.set(Number(e.payload.batch), (sizes.get(Number(e.payload.batch)) ?? 0) + 1);
      const batches = [...sizes.keys()].sort((a, b) => a - b);
      expect(batches).toEqual(batches.map((_, i) => i)); // a prefix: 0, 1, …, n
      expect([...sizes.values()].every((n) => n === perBatch)).toBe(true); // each batch whole
      expect(batches.length).toBeGreaterThanOrEqual((reported.get(workerId) ?? 0) + 1); // nothing acknowledged got lost
      const mats = await store.latestMaterializations([`crash/${workerId}`]);
      expect(mats.length).toBe(batches.length * 5); // materializations committed with their events, or not at all
    }
    expect((await store.listRuns()).length).toBe(8);
    await store.close();
  }, 180_000);
});
