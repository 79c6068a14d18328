// The daemon's sensors get the resources they request — also a resource that requests another —
// set up once per daemon process (not per evaluation) and torn down, newest first, when it stops.
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runDaemon } from "../../../io/daemon/daemon.ts";
import { loadProject } from "../../../io/project/project.ts";
import { createMemoryStateStore } from "../../../io/state/memory-store.ts";
import { makeProject, removeProject } from "../../cli/helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

test("runDaemon: a sensor's resources (and theirs) are set up once per daemon process and torn down in reverse order at stop", async () => {
  const dir = makeProject(
    {
      ".dagx/.keep": "",
      "dagx.config.ts": `import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig, defineResource } from "dagx";
const trace = (l: string) => appendFileSync(join(import.meta.dir, "trace.txt"), l + "\\n");
const http = defineResource({ setup: () => (trace("setup http"), { base: "https://x" }), teardown: () => trace("teardown http") });
const api = defineResource({ resources: ["http"], setup: ({ resources }) => (trace("setup api"), { url: resources.http.base + "/orders" }), teardown: () => trace("teardown api") });
export default defineConfig({ resources: { http, api } });
`,
      "s.asset.ts": `import { asset, sensor } from "dagx";
export const a = asset(() => 1);
export const watch = sensor({ interval: "1s", select: "a", resources: ["api"] }, (ctx) => ({ skipReason: "polled " + ctx.resources.api.url }));
`,
    },
    "dagx-daemon-res-",
  );
  dirs.push(dir);
  const p = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
  const store = createMemoryStateStore();
  let t = Date.parse("2024-06-01T00:00:00.500Z");
  const controller = new AbortController();
  const logs: string[] = [];
  const done = runDaemon({ project: p, store, signal: controller.signal, log: (l) => logs.push(l), tickMs: 5, concurrency: 1, maxRuns: 1, now: () => t });
  try {
    for (let i = 1; i <= 3; i++) {
      t += 1000;
      const deadline = Date.now() + 15_000;
      while ((await store.listTicks({ name: "watch" })).length < i) {
        if (Date.now() > deadline) throw new Error(`no tick ${i}:\n${logs.join("\n")}`);
        await Bun.sleep(10);
      }
    }
  } finally {
    controller.abort();
    await done;
  }
  const ticks = await store.listTicks({ name: "watch" });
  expect(ticks.slice(0, 3).map((k) => `${k.status}: ${k.reason}`)).toEqual(Array(3).fill("skipped: polled https://x/orders"));
  expect(readFileSync(join(dir, "trace.txt"), "utf8")).toBe("setup http\nsetup api\nteardown api\nteardown http\n");
});
