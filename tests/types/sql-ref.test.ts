/**
 * `ref("key")` is typed from a SQL asset's output schema: `dagx types` writes the row type of each
 * SQL asset (here from a DESCRIBE of its query over a materialized TS upstream), and tsc checks a
 * TS asset's use of it — a right column type passes, a wrong one fails.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { scaffoldFiles } from "../../io/project/scaffold.ts";
import { makeProject, removeProject, REPO, runDagx } from "../cli/helpers.ts";

const TSC = join(REPO, "node_modules/.bin/tsc");
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const HELPERS = `
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export const expectType = <T extends true>(_ok: T) => {};
`;

const FILES = {
  "orders.asset.ts": `import { asset } from "dagx";\nexport const orders = asset(() => [{ id: 1, customer: "ann", amount: 10 }]);\n`,
  "totals.asset.sql": "-- @key: analytics/totals\nselect customer, sum(amount)::double as total, count(*)::integer as n from orders group by customer\n",
};

async function tsc(dir: string): Promise<{ code: number; out: string }> {
  const p = Bun.spawn([TSC, "--noEmit", "-p", dir], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out: out + err };
}

async function project(top: string): Promise<string> {
  const tsconfig = scaffoldFiles("t").find((f) => f.path === "tsconfig.json")!.content;
  const dir = makeProject({ "tsconfig.json": tsconfig, "helpers.ts": HELPERS, ...FILES, "top.asset.ts": top }, "dagx-sqlref-");
  dirs.push(dir);
  expect((await runDagx(dir, ["materialize", "orders"])).code).toBe(0);
  expect((await runDagx(dir, ["types"])).code).toBe(0);
  return dir;
}

test("dagx types: ref() to a SQL asset has its row type", async () => {
  const top = `import { asset, ref } from "dagx";
import { type Equal, expectType } from "./helpers.ts";
export const top = asset({ ins: { totals: ref("analytics/totals") } }, async (ctx, { totals }) => {
  const rows = await totals.rows();
  expectType<Equal<(typeof rows)[number], { customer: string | null; total: number | null; n: number | null }>>(true);
  return ctx.sql\`select * from \${totals}\`;
});
`;
  const r = await tsc(await project(top));
  expect(r.out).toBe("");
  expect(r.code).toBe(0);
}, 60_000);

test("dagx types: a wrong column type of a ref() fails tsc", async () => {
  const top = `import { asset, ref } from "dagx";
export const top = asset({ ins: { totals: ref("analytics/totals") } }, async (_ctx, { totals }) => {
  const rows = await totals.rows();
  const s: string = rows[0]!.total!;
  return s;
});
`;
  const r = await tsc(await project(top));
  expect(r.code).not.toBe(0);
  expect(r.out).toContain("not assignable to type 'string'");
}, 60_000);
