/**
 * DuckDB's results are native memory freed only when their JS wrappers are collected; the run
 * engine asks for a (young) collection every few steps that used DuckDB, so a long partitioned
 * `ctx.sql` run does not keep every step's results until it ends (bench/memory.bench.ts). A long
 * run of any steps gets a full collection (its old generation is otherwise never collected) just
 * before a state write, once 50 steps have ended since the last one: the state session's memory
 * then adds to a collected heap. A short run never pays for one.
 */
import { afterAll, afterEach, expect, test } from "bun:test";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { runMaterialize } from "../../../io/run/materialize.ts";
import { loadProject } from "../../../io/project/project.ts";
import { makeProject, removeProject } from "../../cli/helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));
const gc = Bun.gc;
afterEach(() => {
  Bun.gc = gc;
});

/** The collections a run asks for (true: full), and "write" where the run wrote to the state. */
async function run(files: Record<string, string>, partitions: boolean | string, writes = false, trigger = "cli"): Promise<(boolean | "write")[]> {
  const dir = makeProject(files);
  dirs.push(dir);
  const project = await loadProject(dir, { exactRoot: true, now: Date.now });
  const store = createDuckDBStateStore(project.storage.statePath);
  const calls: (boolean | "write")[] = [];
  if (writes) {
    const write = store.write.bind(store);
    store.write = (batch) => {
      calls.push("write");
      return write(batch);
    };
  }
  Bun.gc = ((force: boolean) => {
    calls.push(force);
    return gc(force);
  }) as typeof Bun.gc;
  try {
    const outcome = await runMaterialize(project, store, {
      selectionText: "*", selected: new Set(project.graph.order), stale: false, concurrency: 2, dryRun: false, trigger,
      signal: new AbortController().signal, now: Date.now,
      ...(partitions ? { partitionSelection: partitions === true ? "2024-01-01..2024-01-20" : partitions } : {}),
    });
    expect(outcome.status).toBe("success");
  } finally {
    Bun.gc = gc;
    await store.close();
  }
  return calls;
}

test("a run of 20 ctx.sql partitions asks for young collections (never a blocking full one)", async () => {
  const calls = await run({
    "days.asset.ts": `import { asset, daily } from "dagx";
export const days = asset({ partitions: daily({ start: "2024-01-01" }) }, (ctx) => ctx.sql\`SELECT \${ctx.partition!.key} AS day, 1 AS v\`);
`,
  }, true);
  expect(calls.length).toBeGreaterThanOrEqual(2);
  expect(calls.every((force) => force === false)).toBe(true);
}, 60_000);

test("a single-run step of 20 partitions asks for young collections as it stores its pieces (one step, 20 COPYs)", async () => {
  const calls = await run({
    "days.asset.ts": `import { asset, daily } from "dagx";
export const days = asset({ partitions: daily({ start: "2024-01-01" }), backfill: "single-run" }, (ctx) => ctx.sql\`
  select strftime(d, '%Y-%m-%d') as date, 1 as v from range(\${ctx.partition!.start}, \${ctx.partition!.end}, interval 1 day) t(d)\`);
`,
  }, true, false, "backfill"); // a single-run asset runs as one step in a backfill
  // after the 8th and the 16th piece; the step's own end is the run's first DuckDB step, not the 8th
  expect(calls).toEqual([false, false]);
}, 60_000);

test("a single-run step that records 60 outputs counts them as work: a full collection before they are written", async () => {
  const calls = await run({
    "days.asset.ts": `import { asset, daily } from "dagx";
export const days = asset({ partitions: daily({ start: "2024-01-01" }), backfill: "single-run" }, (ctx) => ctx.sql\`
  select strftime(d, '%Y-%m-%d') as date, 1 as v from range(\${ctx.partition!.start}, \${ctx.partition!.end}, interval 1 day) t(d)\`);
`,
  }, "2024-01-01..2024-02-29", true, "backfill");
  const full = calls.indexOf(true);
  expect(full).toBeGreaterThan(0);
  expect(calls[full + 1]).toBe("write");
  expect(calls.filter((c) => c === false).length).toBe(7); // every 8 of the 60 pieces
}, 60_000);

test("steps that never touch DuckDB ask for none", async () => {
  const lines = [`import { asset } from "dagx";`, `export const a0 = asset(() => 1);`];
  for (let i = 1; i < 40; i++) lines.push(`export const a${i} = asset({ ins: { up: a${i - 1} } }, (_ctx, { up }) => up + 1);`);
  expect(await run({ "chain.asset.ts": `${lines.join("\n")}\n` }, false)).toEqual([]);
}, 60_000);

test("a long run of JSON steps asks for a full collection right before a state write, once 50 steps ended since the last", async () => {
  const lines = [`import { asset } from "dagx";`, `export const a0 = asset(() => 1);`];
  for (let i = 1; i < 220; i++) lines.push(`export const a${i} = asset({ ins: { up: a${i - 1} } }, (_ctx, { up }) => up + 1);`);
  const calls = await run({ "chain.asset.ts": `${lines.join("\n")}\n` }, false, true);
  // at least the final write follows 50 steps or more; never a young one (no DuckDB step)
  expect(calls.filter((c) => c === true).length).toBeGreaterThanOrEqual(1);
  expect(calls.includes(false)).toBe(false);
  // each collection is followed by a write, and no two writes share one (at most one per flush window)
  calls.forEach((c, i) => {
    if (c === true) expect(calls[i + 1]).toBe("write");
  });
  // at most one per 50 steps: 220 steps give at most 4
  expect(calls.filter((c) => c === true).length).toBeLessThanOrEqual(4);
}, 60_000);
