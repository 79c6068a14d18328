/**
 * Resources are typed end to end in a user's project: `dagx types` writes the declarations with
 * the `Register` augmentation read from dagx.config.ts, and `tsc` checks asset files against it —
 * `ctx.resources.<name>` has the type setup returns, and an unknown name is a type error. A
 * project of its own (not tests/types/inference.ts): the augmentation is global to a program.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { scaffoldFiles } from "../../io/project/scaffold.ts";
import { writeTypeDeclarations } from "../../io/project/index.ts";
import { makeProject, removeProject, REPO } from "../cli/helpers.ts";

const TSC = join(REPO, "node_modules/.bin/tsc");
const dirs: string[] = [];
afterAll(() => { if (!process.env.KEEP) dirs.forEach(removeProject); });

const HELPERS = `
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export const expectType = <T extends true>(_ok: T) => {};
`;

const CONFIG = `import { defineConfig, defineResource, env } from "dagx";
import { type Equal, expectType } from "./helpers.ts";

export interface Warehouse {
  url: string;
  query(sql: string): Promise<number[]>;
}

const warehouse = defineResource({
  config: { url: env("WAREHOUSE_URL", { default: "mem://" }), token: env("WAREHOUSE_TOKEN"), pool: 4 },
  setup: async ({ config }): Promise<Warehouse> => {
    expectType<Equal<typeof config.url, string>>(true);
    expectType<Equal<typeof config.token, string>>(true);
    expectType<Equal<typeof config.pool, number>>(true);
    return { url: config.url, query: async () => [config.pool] };
  },
  teardown: (w) => void w.url,
});

const counter = defineResource({ setup: () => ({ n: 0 }) });

export default defineConfig({ resources: { warehouse, counter, apiUrl: "https://example.com" } });
`;

const ASSETS = `import { asset, check } from "dagx";
import type { Warehouse } from "./dagx.config.ts";
import { type Equal, expectType } from "./helpers.ts";

export const orders = asset({ resources: ["warehouse"] }, async (ctx) => {
  expectType<Equal<typeof ctx.resources.warehouse, Warehouse>>(true);
  // plain values reach every asset
  expectType<Equal<typeof ctx.resources.apiUrl, string>>(true);
  // @ts-expect-error — declared, but not requested by this asset
  void ctx.resources.counter;
  return ctx.resources.warehouse.query("select 1");
});

// @ts-expect-error — a name dagx.config.ts does not declare
export const typo = asset({ resources: ["warehous"] }, () => 1);

export const plain = asset((ctx) => {
  expectType<Equal<typeof ctx.resources.apiUrl, string>>(true);
  // @ts-expect-error — not requested
  void ctx.resources.warehouse;
  return 1;
});

export const both = asset({ ins: { orders }, resources: ["warehouse", "counter"] }, (ctx, { orders }) => {
  expectType<Equal<typeof ctx.resources.counter, { n: number }>>(true);
  expectType<Equal<typeof orders, number[]>>(true);
  return ctx.resources.counter.n;
});

export const orders_ok = check(orders, { resources: ["counter"] }, (ctx, data) => {
  expectType<Equal<typeof ctx.resources.counter, { n: number }>>(true);
  return data.length >= ctx.resources.counter.n;
});

// @ts-expect-error — checks are checked too
export const bad_check = check(orders, { resources: ["nope"] }, () => true);
`;

async function tsc(dir: string): Promise<{ code: number; out: string }> {
  const p = Bun.spawn([TSC, "--noEmit", "-p", dir], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out: out + err };
}

function project(files: Record<string, string>): string {
  const tsconfig = scaffoldFiles("t").find((f) => f.path === "tsconfig.json")!.content;
  const dir = makeProject({ "tsconfig.json": tsconfig, "helpers.ts": HELPERS, ...files }, "dagx-types-");
  dirs.push(dir);
  writeTypeDeclarations(dir, { version: "test" });
  return dir;
}

test("dagx types: ctx.resources has each requested resource's setup type; unknown names are type errors", async () => {
  const r = await tsc(project({ "dagx.config.ts": CONFIG, "a.asset.ts": ASSETS }));
  expect(r.out).toBe("");
  expect(r.code).toBe(0);
}, 60_000);

test("dagx types: a wrong use of a resource's type fails tsc (the types are not any)", async () => {
  const wrong = `import { asset } from "dagx";\nexport const x = asset({ resources: ["warehouse"] }, (ctx) => { const n: number = ctx.resources.warehouse.url; return n; });\n`;
  const r = await tsc(project({ "dagx.config.ts": CONFIG, "a.asset.ts": wrong }));
  expect(r.code).not.toBe(0);
  expect(r.out).toContain("a.asset.ts");
  expect(r.out).toContain("not assignable to type 'number'");
}, 60_000);

// A resource that requests others: `ctx.resources` of its setup is typed from the config like an
// asset's. Its setup must name its return type when that type comes from what it requested (the
// config's type includes the resource's own: TypeScript cannot infer one from the other).
const DEPENDENT_CONFIG = `import { defineConfig, defineResource } from "dagx";
import { type Equal, expectType } from "./helpers.ts";

export interface Http { get(url: string): Promise<string> }
export interface Api { orders(): Promise<string>; http: Http }

const http = defineResource({ setup: (): Http => ({ get: async (u) => u }) });

const api = defineResource({
  resources: ["http"],
  setup: ({ resources }): Api => {
    expectType<Equal<typeof resources.http, Http>>(true);
    // @ts-expect-error — declared, but not requested by this resource
    void resources.api;
    return { orders: () => resources.http.get("/orders"), http: resources.http };
  },
});

// its return type does not involve what it requested: inferred
const audit = defineResource({
  resources: ["api", "region"],
  setup: ({ resources }) => {
    expectType<Equal<typeof resources.region, string>>(true);
    void resources.api.orders();
    return { calls: 0 };
  },
});

export default defineConfig({ resources: { http, api, audit, region: "eu" } });
`;

const DEPENDENT_ASSETS = `import { asset } from "dagx";
import type { Api } from "./dagx.config.ts";
import { type Equal, expectType } from "./helpers.ts";

export const orders = asset({ resources: ["api", "audit"] }, async (ctx) => {
  expectType<Equal<typeof ctx.resources.api, Api>>(true);
  expectType<Equal<typeof ctx.resources.audit, { calls: number }>>(true);
  // @ts-expect-error — the string is not a number: the types are not any
  const n: number = await ctx.resources.api.orders();
  return n;
});
`;

test("dagx types: a resource's setup sees the resources it requests, typed; what it makes reaches assets typed", async () => {
  const r = await tsc(project({ "dagx.config.ts": DEPENDENT_CONFIG, "a.asset.ts": DEPENDENT_ASSETS }));
  expect(r.out).toBe("");
  expect(r.code).toBe(0);
}, 60_000);
