/**
 * Journey of a multi-asset through the CLI: list, --dry-run (a sibling out runs with the selected
 * one), materialize, status, lineage, and a step that does not return one of its outs.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, makeProject, ok, removeProject, runDagx, writeFile } from "./helpers.ts";

const SHOP = `import { asset, multiAsset, unique } from "dagx";
export const raw = asset(() => [{ id: 1, customer: "ana", amount: 10 }, { id: 2, customer: "bo", amount: 5 }]);
export const shop = multiAsset(
  { ins: { raw }, outs: { customers: { group: "crm", checks: [unique("customer")] }, orders: { group: "sales" } } },
  (ctx, { raw }) => ({ customers: ctx.sql\`select distinct customer from \${raw}\`, orders: ctx.sql\`select id, amount from \${raw}\` }),
);
export const revenue = asset({ ins: { orders: shop.outs.orders } }, (ctx, { orders }) => ctx.sql\`select sum(amount)::int as revenue from \${orders}\`);
`;

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));
const project = (files: Record<string, string>) => {
  const d = makeProject({ ".dagx/.keep": "", ...files }, "dagx-multi-cli-");
  dirs.push(d);
  return d;
};

describe("dagx with a multi-asset", () => {
  test("list, --dry-run, materialize one out, status, lineage", async () => {
    const dir = project({ "shop.asset.ts": SHOP });
    const list = ok(await runDagx(dir, ["list", "--json"])).json<{ key: string; group: string; deps: string[]; step: { outs: string[]; canSubset: boolean; location: string } | null }[]>();
    expect(list.map((a) => [a.key, a.group, a.deps])).toEqual([
      ["raw", "default", []],
      ["customers", "crm", ["raw"]],
      ["orders", "sales", ["raw"]],
      ["revenue", "default", ["orders"]],
    ]);
    // each out names its step's outs; plain assets have none
    expect(list.map((a) => a.step?.outs ?? null)).toEqual([null, ["customers", "orders"], ["customers", "orders"], null]);
    expect(list[1]!.step).toMatchObject({ canSubset: false, location: expect.stringMatching(/shop\.asset\.ts:3$/) });
    ok(await runDagx(dir, ["materialize", "raw"]));
    const dry = ok(await runDagx(dir, ["materialize", "orders", "--dry-run"]));
    expect(dry.stdout).toMatch(/customers\s+\(runs with "orders" \(one multi-asset step; canSubset is off\)\)/);
    expect(dry.stdout).toMatch(/orders\s+\(selected\)/);
    const run = ok(await runDagx(dir, ["materialize", "orders+"]));
    expect(run.stderr).toMatch(/✓ customers\s+2 rows.*1\/1 checks passed/);
    expect(run.stderr).toMatch(/✓ orders\s+2 rows/);
    expect(run.stderr).toMatch(/✓ revenue\s+1 row/);
    const status = ok(await runDagx(dir, ["status", "--json"])).json<{ key: string; status: string }[]>();
    expect(Object.fromEntries(status.map((s) => [s.key, s.status]))).toEqual({ raw: "fresh", customers: "fresh", orders: "fresh", revenue: "fresh" });
    const lineage = ok(await runDagx(dir, ["lineage", "revenue", "--json"])).json<{ edges: { from: string; to: string }[] }>();
    expect(lineage.edges).toContainEqual({ from: "orders", to: "revenue" });
    expect(lineage.edges).toContainEqual({ from: "raw", to: "orders" });
  });

  test("an out the function does not return fails alone, naming the out and file:line (exit 1)", async () => {
    const dir = project({
      "split.asset.ts": `import { multiAsset } from "dagx";
export const split = multiAsset({ outs: { a: {}, b: {} } }, () => ({ a: [{ n: 1 }] }) as { a: { n: number }[]; b: { n: number }[] });
`,
    });
    const r = await runDagx(dir, ["materialize"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✓ a\s+1 row/);
    expect(r.stderr).toMatch(/Multi-asset at split\.asset\.ts:2 did not return out "b" \(asset "b"\)/);
    const status = ok(await runDagx(dir, ["status", "--json"])).json<{ key: string; status: string }[]>();
    expect(Object.fromEntries(status.map((s) => [s.key, s.status]))).toEqual({ a: "fresh", b: "failed" });
  });

  test("dependsOn: a new code version of one out marks the siblings computed from it stale, not the others; --stale rebuilds those", async () => {
    const file = (v: string) => `import { asset, multiAsset } from "dagx";
export const src = asset(() => [{ v: 1 }]);
export const chain = multiAsset({ ins: { src }, canSubset: true, outs: { staged: { codeVersion: "s${v}" }, mart: { dependsOn: ["staged"], codeVersion: "m" }, lone: { dependsOn: [], codeVersion: "l" } } },
  (ctx, { src }) => Object.fromEntries(ctx.selectedOutputs.map((n) => [n, ctx.sql\`select v from \${src}\`])) as { staged: unknown; mart: unknown; lone: unknown });
export const report = asset({ ins: { mart: chain.outs.mart } }, (ctx, { mart }) => ctx.sql\`select v from \${mart}\`);
`;
    const dir = project({ "chain.asset.ts": file("1") });
    const lineage = ok(await dagx(dir, ["lineage", "+report", "--json"])).json<{ edges: { from: string; to: string }[] }>();
    expect(lineage.edges).toContainEqual({ from: "staged", to: "mart" });
    ok(await dagx(dir, ["materialize", "*"]));
    const statusOf = async () => Object.fromEntries(ok(await dagx(dir, ["status", "--json"])).json<{ key: string; status: string }[]>().map((s) => [s.key, s.status]));
    expect(await statusOf()).toEqual({ src: "fresh", staged: "fresh", mart: "fresh", lone: "fresh", report: "fresh" });
    // (a new process per command: the edited file is imported afresh)
    writeFileSync(join(dir, "chain.asset.ts"), file("2"));
    expect(await statusOf()).toEqual({ src: "fresh", staged: "stale", mart: "stale", lone: "fresh", report: "stale" });
    const run = ok(await dagx(dir, ["materialize", "*", "--stale"]));
    expect(run.stderr).toMatch(/✓ staged/);
    expect(run.stderr).toMatch(/✓ mart/);
    expect(run.stderr).not.toMatch(/✓ lone/);
    expect(await statusOf()).toEqual({ src: "fresh", staged: "fresh", mart: "fresh", lone: "fresh", report: "fresh" });
  });

  test("per-out codeVersion: changing one out's version marks only it and its downstream stale; --stale rebuilds those", async () => {
    const file = (v1: string, v2: string) => `import { asset, multiAsset } from "dagx";
export const pair = multiAsset({ codeVersion: "step-1", outs: { one: { codeVersion: "${v1}" }, two: { codeVersion: "${v2}" }, three: {} } }, () => ({ one: [{ n: 1 }], two: [{ n: "${v2}" }], three: [{ n: 3 }] }));
export const below = asset({ ins: { two: pair.outs.two } }, (ctx, { two }) => ctx.sql\`select n || '!' as n from \${two}\`);
`;
    const dir = project({ "pair.asset.ts": file("a1", "b1") });
    const list = ok(await runDagx(dir, ["list", "--json"])).json<{ key: string; codeVersion?: string }[]>();
    const versions = Object.fromEntries(list.map((a) => [a.key, a.codeVersion]));
    expect([versions.one, versions.two, versions.three]).toEqual(["a1", "b1", "step-1"]);
    ok(await runDagx(dir, ["materialize"]));
    writeFile(dir, "pair.asset.ts", file("a1", "b2"));
    // after the edit, the CLI runs in a process of its own (this one keeps the module it imported)
    const stale = async () => {
      const st = ok(await dagx(dir, ["status", "--json"])).json<{ key: string; status: string }[]>();
      return Object.fromEntries(st.map((s) => [s.key, s.status]));
    };
    expect(await stale()).toEqual({ one: "fresh", two: "stale", three: "fresh", below: "stale" });
    // the step cannot subset: its siblings run with "two"; "below" runs after it (two's data changed)
    const run = ok(await dagx(dir, ["materialize", "--stale"]));
    expect(run.stderr).toMatch(/✓ two/);
    expect(run.stderr).toMatch(/✓ below/);
    expect(await stale()).toEqual({ one: "fresh", two: "fresh", three: "fresh", below: "fresh" });
    expect(ok(await dagx(dir, ["query", "select n from below", "--json"])).json()).toEqual([{ n: "b2!" }]);
  });

  test("checkSpec on an out: materialize records the reported result; dagx check says it runs only with the step", async () => {
    const dir = project({
      "rep.asset.ts": `import { checkSpec, multiAsset } from "dagx";
export const rep = multiAsset({ outs: { r: { checks: [checkSpec("r_ok")] } } }, (ctx) => ({ r: ctx.output([{ n: 1 }], { checks: { r_ok: { passed: true } } }) }));
`,
    });
    expect(ok(await runDagx(dir, ["materialize"])).stderr).toMatch(/✓ r\s+1 row.*1\/1 checks passed/);
    const check = ok(await runDagx(dir, ["check", "r"]));
    expect(check.stdout).toMatch(/- check r_ok of r\s+not run: its result is reported by the asset's own step, so it runs only with it — dagx materialize r/);
  });
});
