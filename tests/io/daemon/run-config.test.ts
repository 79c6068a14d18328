/**
 * A sensor's run request may carry run config (`config: { asset: { field } }`): validated against the
 * schemas when the tick is recorded (a bad one fails the tick, nothing is queued), kept on the queued
 * request (state schema 8), and given to the run, which records it.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { runDaemon } from "../../../io/daemon/daemon.ts";
import { loadProject } from "../../../io/project/project.ts";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { makeProject, removeProject } from "../../cli/helpers.ts";

setDefaultTimeout(40_000);
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const FILES = {
  ".dagx/.keep": "",
  "a.asset.ts": `import { asset, sensor, v } from "dagx";
export const scaled = asset({ config: v.object({ factor: v.optional(v.number(), 1) }) }, (ctx) => ({ factor: ctx.config.factor }));
export const good = sensor({ interval: "1s", select: "scaled" }, () => ({ runRequests: [{ runKey: "once", config: { scaled: { factor: 4 } } }] }));
export const bad = sensor({ interval: "1s", select: "scaled" }, () => ({ runRequests: [{ runKey: "bad", config: { scaled: { factor: "x" } } }] }));
`,
};

async function until(cond: () => Promise<boolean>, label: string, logs: string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}\ndaemon log:\n${logs.join("\n")}`);
    await Bun.sleep(10);
  }
}

describe("schedules with config", () => {
  test("each tick's run gets the schedule's config; an invalid config fails the tick", async () => {
    const dir = makeProject(
      {
        ".dagx/.keep": "",
        "a.asset.ts": `import { asset, schedule, v } from "dagx";
export const scaled = asset({ config: v.object({ factor: v.optional(v.number(), 1) }) }, (ctx) => ({ factor: ctx.config.factor }));
export const every_second = schedule({ cron: "* * * * * *", select: "scaled", config: { scaled: { factor: 9 } } });
export const broken = schedule({ cron: "* * * * * *", select: "scaled", config: { scaled: { factr: 9 } } });
`,
      },
      "dagx-daemon-schedule-config-",
    );
    dirs.push(dir);
    const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
    const store = createDuckDBStateStore(join(dir, ".dagx", "state.duckdb"));
    const controller = new AbortController();
    const logs: string[] = [];
    const done = runDaemon({ project, store, signal: controller.signal, log: (l) => logs.push(l), tickMs: 5, concurrency: 1, maxRuns: 1 });
    try {
      await until(async () => (await store.listRuns()).some((r) => r.status === "success"), "a scheduled run", logs);
      await until(async () => (await store.listTicks({ name: "broken" })).some((t) => t.status === "failed"), "the broken schedule's tick", logs);
      const run = (await store.listRuns()).find((r) => r.status === "success");
      expect(run).toMatchObject({ trigger: "schedule:every_second", config: { scaled: { factor: 9 } } });
      const failed = (await store.listTicks({ name: "broken" })).find((t) => t.status === "failed");
      expect(failed?.reason).toContain('scaled.factr: unknown field — did you mean "factor"?');
    } finally {
      controller.abort();
      await done;
      await store.close();
    }
  });
});

describe("sensor run requests with config", () => {
  test("a valid config reaches the run and is recorded; an invalid one fails the tick with the schema's message", async () => {
    const dir = makeProject(FILES, "dagx-daemon-config-");
    dirs.push(dir);
    const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
    const store = createDuckDBStateStore(join(dir, ".dagx", "state.duckdb"));
    const controller = new AbortController();
    const logs: string[] = [];
    const done = runDaemon({ project, store, signal: controller.signal, log: (l) => logs.push(l), tickMs: 5, concurrency: 1, maxRuns: 1 });
    try {
      await until(async () => (await store.listRuns()).some((r) => r.status === "success"), "the sensor's run", logs);
      await until(async () => (await store.listTicks({ name: "bad" })).length > 0, "the bad sensor's tick", logs);
      const [run] = await store.listRuns();
      expect(run).toMatchObject({ trigger: "sensor:good", config: { scaled: { factor: 4 } } });
      const [request] = await store.listRunRequests({ source: "good" });
      expect(request?.config).toEqual({ scaled: { factor: 4 } });
      const [m] = await store.latestMaterializations(["scaled"]);
      expect(m?.configHash).toMatch(/^[0-9a-f]{16}$/);
      const [tick] = await store.listTicks({ name: "bad" });
      expect(tick?.status).toBe("failed");
      expect(tick?.reason).toContain('scaled.factor: Invalid type: Expected number but received "x"');
      expect(await store.listRunRequests({ source: "bad" })).toEqual([]);
    } finally {
      controller.abort();
      await done;
      await store.close();
    }
  });
});
