/**
 * DuckDB's results are native memory freed only when their JS wrappers are collected; the run
 * engine asks for a (young) collection every few steps that used DuckDB, so a long partitioned
 * `ctx.sql` run does not keep every step's results until it ends (bench/memory.bench.ts). A long
 * run of any steps gets a full collection after 50, 100, 200, … steps (its old generation is
 * otherwise never collected); a short run never pays for one.
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

async function run(files: Record<string, string>, partitions: boolean): Promise<boolean[]> {
  const dir = makeProject(files);
  dirs.push(dir);
  const project = await loadProject(dir, { exactRoot: true, now: Date.now });
  const store = createDuckDBStateStore(project.storage.statePath);
  const calls: boolean[] = [];
  Bun.gc = ((force: boolean) => {
    calls.push(force);
    return gc(force);
  }) as typeof Bun.gc;
  try {
    const outcome = await runMaterialize(project, store, {
      selectionText: "*", selected: new Set(project.graph.order), stale: false, concurrency: 2, dryRun: false, trigger: "cli",
      signal: new AbortController().signal, now: Date.now,
      ...(partitions ? { partitionSelection: "2024-01-01..2024-01-20" } : {}),
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

test("steps that never touch DuckDB ask for none", async () => {
  const lines = [`import { asset } from "dagx";`, `export const a0 = asset(() => 1);`];
  for (let i = 1; i < 40; i++) lines.push(`export const a${i} = asset({ ins: { up: a${i - 1} } }, (_ctx, { up }) => up + 1);`);
  expect(await run({ "chain.asset.ts": `${lines.join("\n")}\n` }, false)).toEqual([]);
}, 60_000);

test("a long run of JSON steps asks for a full collection after 50, 100, 200 steps", async () => {
  const lines = [`import { asset } from "dagx";`, `export const a0 = asset(() => 1);`];
  for (let i = 1; i < 220; i++) lines.push(`export const a${i} = asset({ ins: { up: a${i - 1} } }, (_ctx, { up }) => up + 1);`);
  expect(await run({ "chain.asset.ts": `${lines.join("\n")}\n` }, false)).toEqual([true, true, true]);
}, 60_000);
