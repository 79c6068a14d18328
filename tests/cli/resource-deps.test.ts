// Resources that request resources (`defineResource({ resources: ["http"], setup(ctx) … })`): what a
// resource requests is set up first, once per process (shared with the steps that request it
// directly), torn down after it — also when a step or a setup fails; an unknown name or a cycle is a
// definition error at the requesting resource's file:line (exit 2).
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, removeProject, runDagx } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const CONFIG = `import { appendFileSync } from "node:fs";
import { defineConfig, defineResource } from "dagx";

const trace = (line: string) => appendFileSync(process.env.RESOURCE_TRACE!, line + "\\n");

const http = defineResource({
  setup: () => (trace("setup http"), { get: (path: string) => "GET " + path }),
  teardown: () => trace("teardown http"),
});

const api = defineResource({
  resources: ["http", "region"],
  setup: ({ resources }) => {
    trace("setup api sees " + Object.keys(resources).sort().join(","));
    return { orders: () => resources.http.get("/orders?region=" + resources.region) };
  },
  teardown: () => trace("teardown api"),
});

const broken = defineResource({
  resources: ["http"],
  setup: () => {
    trace("setup broken");
    throw new Error("api key rejected");
  },
  teardown: () => trace("teardown broken"),
});

export default defineConfig({ resources: { http, api, broken, region: "eu" } });
`;

const ASSETS = `import { asset } from "dagx";

export const orders = asset({ resources: ["api"] }, (ctx) => ({ got: ctx.resources.api.orders() }));
export const direct = asset({ resources: ["http"] }, (ctx) => ({ got: ctx.resources.http.get("/x") }));
export const fails = asset({ resources: ["api"] }, () => { throw new Error("step failed"); });
export const needs_broken = asset({ resources: ["broken"] }, () => 1);
`;

function project(files: Record<string, string> = {}): string {
  const dir = makeProject({ "dagx.config.ts": CONFIG, "a.asset.ts": ASSETS, ...files }, "dagx-resource-deps-");
  dirs.push(dir);
  return dir;
}

const lines = (file: string) => readFileSync(file, "utf8").trim().split("\n");

describe("resources requesting resources", () => {
  test("set up after what they request, once per process; torn down before it, also after a failed step", async () => {
    const dir = project();
    const trace = join(dir, "trace.txt");
    const r = await runDagx(dir, ["materialize", "orders", "direct", "fails", "--json", "-j", "1"], { env: { RESOURCE_TRACE: trace } });
    expect(r.code).toBe(1);
    const steps = Object.fromEntries(r.json<{ steps: { key: string; status: string }[] }>().steps.map((s) => [s.key, s.status]));
    expect(steps).toEqual({ orders: "success", direct: "success", fails: "failed" });
    expect(JSON.parse(readFileSync(join(dir, ".dagx/data/orders/value.json"), "utf8"))).toEqual({ got: "GET /orders?region=eu" });
    // http once although api and an asset both request it; api sees exactly what it requested
    expect(lines(trace)).toEqual(["setup http", "setup api sees http,region", "teardown api", "teardown http"]);
  });

  test("a failing setup fails only the steps that need it; what it requested is still torn down", async () => {
    const dir = project();
    const trace = join(dir, "trace.txt");
    const r = await runDagx(dir, ["materialize", "needs_broken", "direct", "--json", "-j", "1"], { env: { RESOURCE_TRACE: trace } });
    expect(r.code).toBe(1);
    const steps = r.json<{ steps: { key: string; status: string; error?: string }[] }>().steps;
    const byKey = Object.fromEntries(steps.map((s) => [s.key, s]));
    expect(byKey.direct!.status).toBe("success");
    expect(byKey.needs_broken!.error).toMatch(/Resource "broken" setup \(defined at dagx\.config\.ts:\d+\) threw: api key rejected \(at dagx\.config\.ts:\d+:\d+\)/);
    const t = lines(trace);
    expect(t).toContain("setup broken");
    expect(t).not.toContain("teardown broken");
    expect(t.at(-1)).toBe("teardown http");
    expect(t.filter((l) => l === "setup http")).toHaveLength(1);
  });

  test("a resource that requests an unknown name is a definition error at its file:line, with did-you-mean (exit 2)", async () => {
    const dir = project({
      "dagx.config.ts": `import { defineConfig, defineResource } from "dagx";
const http = defineResource({ setup: () => 1 });
const api = defineResource({
  resources: ["htp"],
  setup: () => 2,
});
export default defineConfig({ resources: { http, api } });
`,
      "a.asset.ts": `import { asset } from "dagx";\nexport const x = asset(() => 1);\n`,
    });
    const r = await runDagx(dir, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Resource "api" at dagx.config.ts:3 requests unknown resource "htp" — did you mean "http"?: declare it in dagx.config.ts under resources, or fix the name`);
  });

  test("resources that request each other in a cycle are a definition error naming each step with its file:line (exit 2)", async () => {
    const dir = project({
      "dagx.config.ts": `import { defineConfig, defineResource } from "dagx";
const a = defineResource({ resources: ["b"], setup: () => 1 });
const b = defineResource({ resources: ["c"], setup: () => 2 });
const c = defineResource({ resources: ["a"], setup: () => 3 });
export default defineConfig({ resources: { a, b, c } });
`,
      "a.asset.ts": `import { asset } from "dagx";\nexport const x = asset(() => 1);\n`,
    });
    const r = await runDagx(dir, ["materialize"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `Resources request each other in a cycle: "a" → "b" → "c" → "a" (resource "a" at dagx.config.ts:2 requests "b"; resource "b" at dagx.config.ts:3 requests "c"; resource "c" at dagx.config.ts:4 requests "a"): a resource is set up after the ones it requests, so one of these requests must go`,
    );
    const selfDir = project({
      "dagx.config.ts": `import { defineConfig, defineResource } from "dagx";\nconst self = defineResource({ resources: ["self"], setup: () => 4 });\nexport default defineConfig({ resources: { self } });\n`,
      "a.asset.ts": `import { asset } from "dagx";\nexport const x = asset(() => 1);\n`,
    });
    const s = await runDagx(selfDir, ["list"]);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain(`Resources request each other in a cycle: "self" → "self" (resource "self" at dagx.config.ts:2 requests "self")`);
  });
});
