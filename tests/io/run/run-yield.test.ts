/**
 * A run of steps that never wait on anything (small JSON values are written with blocking
 * calls) must still let timers run: the state writer's flush window, progress lines and
 * heartbeats. The run engine gives the event loop a turn every few milliseconds.
 */
import { afterAll, expect, test } from "bun:test";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { runMaterialize } from "../../../io/run/materialize.ts";
import { loadProject } from "../../../io/project/project.ts";
import { makeProject, removeProject } from "../../cli/helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

test("timers keep firing during a long chain of synchronous JSON steps, and state is flushed before the run ends", async () => {
  const n = 1500;
  const lines = [`import { asset } from "dagx";`, `export const a0 = asset(() => 1);`];
  for (let i = 1; i < n; i++) lines.push(`export const a${i} = asset({ ins: { up: a${i - 1} } }, (_ctx, { up }) => up + 1);`);
  const dir = makeProject({ "chain.asset.ts": `${lines.join("\n")}\n` });
  dirs.push(dir);
  const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
  const store = createDuckDBStateStore(project.storage.statePath);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  let ticksAtLastStep = -1;
  let writesBeforeEnd = 0;
  const write = store.write.bind(store);
  let ended = false;
  store.write = (batch) => {
    if (!ended) writesBeforeEnd++;
    return write(batch);
  };
  const started = performance.now();
  let lastStepAt = 0;
  try {
    const outcome = await runMaterialize(project, store, {
      selectionText: "*", selected: new Set(project.graph.order), stale: false, concurrency: 2, dryRun: false, trigger: "cli",
      signal: new AbortController().signal,
      now: Date.now,
      reporter: {
        onStepEnd: () => {
          ticksAtLastStep = ticks;
          lastStepAt = performance.now();
        },
      },
    });
    ended = true;
    expect(outcome.status).toBe("success");
    expect(outcome.steps.length).toBe(n);
  } finally {
    clearInterval(timer);
    await store.close();
  }
  const stepsMs = lastStepAt - started;
  // A 1 ms interval fires at least once per turn of the loop; with a turn every 5 ms there are
  // many. A starved loop would show none until the last step had ended.
  expect(ticksAtLastStep).toBeGreaterThan(Math.min(10, stepsMs / 20));
  // The state writer flushes on a 250 ms timer: a run this long flushes before it ends when
  // timers fire (only meaningful when the steps took longer than one window).
  if (stepsMs > 600) expect(writesBeforeEnd).toBeGreaterThan(1);
});
