/**
 * Definitions reload when project files change (the server watches them): an added asset appears,
 * an edited one gets its new code version (asset files are imported afresh), a broken file shows in
 * /api/meta's load errors while the rest still serves, and open streams hear `definitions`.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, removeProject } from "../../cli/helpers.ts";
import { until } from "../../cli/live.ts";
import type { ApiAssets, ApiMeta } from "../../../core/ui-api.ts";
import type { UiServer } from "../../../io/ui/index.ts";
import { apiGet, readEvents, startTestServer, TOKEN } from "./_server.ts";

let dir: string;
let server: UiServer;
const assets = async () => ((await (await apiGet(server, "/api/assets")).json()) as ApiAssets).assets;

beforeAll(async () => {
  dir = makeProject({ "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => [{ x: 1 }]);\n` }, "dagx-ui-reload-");
  server = await startTestServer(dir, { watch: true });
});
afterAll(async () => {
  await server?.close();
  removeProject(dir);
});

test("added, edited and broken files: the API follows, load errors in /api/meta, `definitions` on the stream", async () => {
  const stream = await fetch(`${server.origin}/api/events`, { headers: { Cookie: `dagx_token=${TOKEN}`, Origin: server.origin } });
  const heard = readEvents(stream, (events) => events.some((e) => JSON.parse(e.data).topics.includes("definitions")), 20_000);
  const before = (await assets()).find((a) => a.key === "a")!.codeVersion;
  writeFileSync(join(dir, "b.asset.ts"), `import { asset } from "dagx";\nexport const b = asset(() => [{ y: 2 }]);\n`);
  await until(async () => (await assets()).some((a) => a.key === "b"), "asset b to appear", 20_000);
  expect((await heard).events.some((e) => JSON.parse(e.data).topics.includes("definitions"))).toBe(true);

  writeFileSync(join(dir, "a.asset.ts"), `import { asset } from "dagx";\nexport const a = asset(() => [{ x: 2 }]);\n`);
  await until(async () => (await assets()).find((a) => a.key === "a")?.codeVersion !== before, "a's code version to change", 20_000);

  writeFileSync(join(dir, "b.asset.ts"), `import { asset } from "dagx";\nexport const b = asset(() => [{ y: 2 }]\n`);
  await until(async () => ((await (await apiGet(server, "/api/meta")).json()) as ApiMeta).loadErrors.length > 0, "a load error", 20_000);
  const meta = (await (await apiGet(server, "/api/meta")).json()) as ApiMeta;
  expect(meta.loadErrors[0]!.file).toBe("b.asset.ts");
  expect((await assets()).map((a) => a.key)).toEqual(["a"]);
}, 60_000);

test("asset files that import each other, and a helper module they import, reload together", async () => {
  const d = makeProject(
    {
      "helper.ts": `export const factor = 2;\n`,
      "up.asset.ts": `import { asset } from "dagx";\nexport const up = asset(() => [{ x: 1 }]);\n`,
      "down.asset.ts": `import { asset } from "dagx";\nimport { up } from "./up.asset.ts";\nimport { factor } from "./helper.ts";\nexport const down = asset({ ins: { up } }, (_ctx, { up }) => up.map((r) => ({ x: r.x * factor })));\n`,
    },
    "dagx-ui-reload2-",
  );
  const s = await startTestServer(d, { watch: true });
  try {
    const list = async () => ((await (await apiGet(s, "/api/assets")).json()) as ApiAssets).assets;
    const meta = async () => ((await (await apiGet(s, "/api/meta")).json()) as ApiMeta).loadErrors;
    expect((await list()).find((a) => a.key === "down")!.deps).toEqual(["up"]);
    writeFileSync(join(d, "extra.asset.ts"), `import { asset } from "dagx";\nexport const extra = asset(() => [{ z: 1 }]);\n`);
    await until(async () => (await list()).some((a) => a.key === "extra"), "asset extra to appear", 20_000);
    expect(await meta()).toEqual([]);
    expect((await list()).find((a) => a.key === "down")!.deps).toEqual(["up"]);
    // a helper module is part of the project's code: an edit reaches the next load
    const before = (await list()).find((a) => a.key === "down")!.codeVersion;
    writeFileSync(join(d, "helper.ts"), `export const factor = 3;\n`);
    await until(async () => (await list()).find((a) => a.key === "down")!.codeVersion !== before, "down's code version to change", 20_000);
    expect(await meta()).toEqual([]);
  } finally {
    await s.close();
    removeProject(d);
  }
}, 60_000);
