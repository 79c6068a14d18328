/**
 * The daemon's alerts through its real loop (runDaemon, fake clock, memory store, a real local HTTP
 * server): a sensor that throws alerts once however many ticks fail, and once more when it recovers
 * (resolved); an asset that becomes overdue alerts from the freshness evaluation.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runDaemon } from "../../../io/daemon/index.ts";
import { loadProject } from "../../../io/project/index.ts";
import { createMemoryStateStore } from "../../../io/state/index.ts";
import { makeProject, removeProject } from "../../cli/helpers.ts";
import { startHookServer } from "../../support/hook-server.ts";

const hook = startHookServer();
const dirs: string[] = [];
afterAll(() => {
  hook.stop();
  dirs.forEach(removeProject);
});

test("runDaemon(): one alert per failing sensor incident, a resolved notice when it ticks again, and freshness overdue", async () => {
  const dir = makeProject({
    ".dagx/.keep": "",
    "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({ alerts: [{ name: "ops", on: ["sensor_failure", "freshness_overdue"], resolved: true, webhook: "${hook.url}" }] });\n`,
    "s.asset.ts": [
      `import { existsSync } from "node:fs";`,
      `import { asset, sensor } from "dagx";`,
      `export const a = asset({ freshness: { maxLag: "1h" } }, () => 1);`,
      `export const watch = sensor({ interval: "1s", select: "a" }, () => { if (existsSync(new URL("./broken", import.meta.url))) throw new Error("bucket is gone"); return { skipReason: "nothing new" }; });`,
      ``,
    ].join("\n"),
  }, "dagx-daemon-alerts-");
  dirs.push(dir);
  writeFileSync(join(dir, "broken"), "");
  const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
  const store = createMemoryStateStore();
  let t = Date.parse("2024-06-01T00:00:00.500Z");
  const controller = new AbortController();
  const logs: string[] = [];
  const done = runDaemon({ project, store, signal: controller.signal, log: (l) => logs.push(l), tickMs: 5, freshnessMs: 1, concurrency: 1, maxRuns: 1, now: () => t });
  const ticks = async (n: number) => {
    const deadline = Date.now() + 15_000;
    while ((await store.listTicks({ name: "watch" })).length < n) {
      if (Date.now() > deadline) throw new Error(`no tick ${n}:\n${logs.join("\n")}`);
      await Bun.sleep(10);
    }
  };
  try {
    for (let i = 1; i <= 3; i++) {
      t += 1000;
      await ticks(i);
    }
    rmSync(join(dir, "broken"));
    t += 1000;
    await ticks(4);
    const deadline = Date.now() + 15_000;
    while (hook.received.filter((r) => r.body.kind === "sensor_failure").length < 2 && Date.now() < deadline) await Bun.sleep(10);
  } finally {
    controller.abort();
    await done;
  }
  expect(existsSync(join(dir, "broken"))).toBe(false);
  const sensor = hook.received.filter((r) => r.body.kind === "sensor_failure");
  expect(sensor.map((r) => [r.body.event, r.body.instigator, r.body.message])).toEqual([["opened", "watch", "sensor threw: bucket is gone"], ["resolved", "watch", "sensor threw: bucket is gone"]]);
  const fresh = hook.received.filter((r) => r.body.kind === "freshness_overdue");
  expect(fresh.map((r) => [r.body.event, r.body.asset, r.body.message])).toEqual([["opened", "a", "never materialized"]]);
  expect(logs).toContain('alert "ops" sent: sensor_failure of "watch" (1 attempt)');
});
