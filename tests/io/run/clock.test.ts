/** Time comes from the clock the caller passes: a run records no instant the clock did not give. */
import { afterAll, expect, test } from "bun:test";
import { createMemoryStateStore } from "../../../io/state/memory-store.ts";
import { runMaterialize } from "../../../io/run/materialize.ts";
import { runBackfill } from "../../../io/run/backfill.ts";
import { loadProject } from "../../../io/project/project.ts";
import { makeProject, removeProject } from "../../cli/helpers.ts";

const dir = makeProject({
  "a.asset.ts": `import { asset, staticPartitions } from "dagx";
export const a = asset(() => 1);
export const p = asset({ partitions: staticPartitions(["x", "y"]) }, (ctx) => ctx.partition!.key);
`,
});
afterAll(() => removeProject(dir));

const T = Date.UTC(2031, 0, 2, 3, 4, 5);

test("runMaterialize() and runBackfill() take every time from the injected clock", async () => {
  const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
  const store = createMemoryStateStore();
  const now = () => T;
  const base = { selectionText: "a", selected: new Set(["a"]), stale: false, concurrency: 1, dryRun: false, trigger: "test", signal: new AbortController().signal, now };
  expect((await runMaterialize(project, store, base)).status).toBe("success");
  const backfill = await runBackfill(project, store, { ...base, selectionText: "p", selected: new Set(["p"]), partitionSelection: "x..y" });
  expect(backfill.status).toBe("success");
  const runs = await store.listRuns();
  expect(runs.map((r) => [r.startedAt, r.endedAt, r.heartbeatAt])).toEqual([[T, T, T], [T, T, T]]);
  expect((await store.latestMaterializations()).map((m) => m.at)).toEqual([T, T, T]);
  expect((await store.getEvents(runs[0]!.runId)).every((e) => e.at === T)).toBe(true);
  const b = await store.getBackfill(backfill.backfillId);
  expect([b!.backfill.createdAt, b!.backfill.updatedAt, ...b!.partitions.map((x) => x.updatedAt)]).toEqual([T, T, T, T]);
});
