/**
 * multiAsset() in-process: one step materializes several assets, each recorded, versioned and
 * checked on its own; partial selections with and without canSubset; a failing step and a missing
 * out; a downstream asset reading one out; partitioned multi-assets.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { resolveRunConfig, type RunOutcome } from "../../../io/run/index.ts";
import { testProjects } from "../../support/project.ts";

const projects = testProjects("dagx-multi-io-");
afterAll(projects.cleanup);

const byKey = (o: RunOutcome) => Object.fromEntries(o.steps.map((s) => [s.key, s.status]));
const calls = (dir: string) => `${dir}/calls.log`;

/** A project with raw → shop{customers, orders} → revenue; every call of the step appends a line to calls.log. */
function shop(opts: { canSubset?: boolean; body?: string } = {}) {
  return {
    "shop.asset.ts": [
      `import { appendFileSync } from "node:fs";`,
      `import { asset, multiAsset, notNull, rowCount } from "dagx";`,
      `export const raw = asset(() => [{ id: 1, customer: "ana", amount: 10 }, { id: 2, customer: "bo", amount: 5 }, { id: 3, customer: "ana", amount: 7 }]);`,
      `export const shop = multiAsset(`,
      `  { ins: { raw }, canSubset: ${opts.canSubset === true}, outs: { customers: { group: "crm", checks: [rowCount({ min: 3 })] }, orders: { description: "one row per order", checks: [notNull("id")] } } },`,
      `  async (ctx, { raw }) => {`,
      `    appendFileSync(ctx.path("calls.log"), ctx.selectedOutputs.join(",") + "\\n");`,
      opts.body ??
        `    const out: { customers?: unknown; orders?: unknown } = {};\n    if (ctx.selectedOutputs.includes("customers")) out.customers = ctx.sql\`select distinct customer from \${raw} order by 1\`;\n    if (ctx.selectedOutputs.includes("orders")) out.orders = ctx.sql\`select id, amount from \${raw}\`;\n    return out as { customers: ReturnType<typeof ctx.sql>; orders: ReturnType<typeof ctx.sql> };`,
      `  },`,
      `);`,
      `export const revenue = asset({ ins: { orders: shop.outs.orders } }, (ctx, { orders }) => ctx.sql\`select sum(amount)::int as revenue from \${orders}\`);`,
      ``,
    ].join("\n"),
  };
}

describe("multiAsset()", () => {
  test("each out is its own asset: one call stores both, records, checks, downstream reads one out", async () => {
    const p = await projects.open(shop());
    const g = p.project.graph;
    expect([...g.assets.keys()].sort()).toEqual(["customers", "orders", "raw", "revenue"]);
    expect(g.assets.get("customers")!.group).toBe("crm");
    expect(g.assets.get("orders")!.description).toBe("one row per order");
    expect(g.assets.get("revenue")!.deps).toEqual(["orders"]);
    const run = await p.materialize("*");
    expect(run.status).toBe("success");
    expect(byKey(run)).toEqual({ raw: "success", customers: "success", orders: "success", revenue: "success" });
    expect(await Bun.file(calls(p.dir)).text()).toBe("customers,orders\n"); // called once
    expect(await p.query(`select * from revenue`)).toEqual([{ revenue: 22 }]);
    expect(await p.query(`select customer from customers order by 1`)).toEqual([{ customer: "ana" }, { customer: "bo" }]);
    const checks = run.steps.flatMap((s) => (s.status === "success" ? (s.checks ?? []).map((c) => `${c.assetKey}:${c.checkName}:${c.passed}`) : []));
    expect(checks.sort()).toEqual(["customers:rowCount(min=3):false", "orders:notNull(id):true"].sort());
    const st = await p.status();
    expect([st.get("customers")!.status, st.get("orders")!.status]).toEqual(["fresh", "fresh"]);
  });

  test("without canSubset, selecting one out runs the whole step and materializes all outs (said in the plan)", async () => {
    const p = await projects.open(shop());
    await p.materialize("raw");
    const plan = await p.materialize("orders", { dryRun: true });
    expect(plan.plan.steps.map((s) => [s.key, s.reason.startsWith("runs with \"orders\"") ? "sibling" : s.reason])).toEqual([
      ["customers", "sibling"],
      ["orders", "selected"],
    ]);
    const run = await p.materialize("orders");
    expect(byKey(run)).toEqual({ customers: "success", orders: "success" });
    expect(await Bun.file(calls(p.dir)).text()).toBe("customers,orders\n");
  });

  test("with canSubset, the step learns which outs are wanted and returns only those", async () => {
    const p = await projects.open(shop({ canSubset: true }));
    await p.materialize("raw");
    const run = await p.materialize("orders");
    expect(byKey(run)).toEqual({ orders: "success" });
    expect(await Bun.file(calls(p.dir)).text()).toBe("orders\n");
    const st = await p.status(["customers", "orders"]);
    expect([st.get("customers")!.status, st.get("orders")!.status]).toEqual(["missing", "fresh"]);
  });

  test("a failing step fails every out; a missing out fails alone, naming the out and file:line", async () => {
    const failing = await projects.open(shop({ body: `    throw new Error("warehouse down");` }));
    const run = await failing.materialize("*");
    expect(run.status).toBe("failed");
    expect(byKey(run)).toEqual({ raw: "success", customers: "failed", orders: "failed", revenue: "skipped" });
    for (const s of run.steps) if (s.status === "failed") expect(s.error).toContain("warehouse down");

    const missing = await projects.open(shop({ body: `    return { customers: [{ customer: "x" }] } as { customers: { customer: string }[]; orders: { id: number; amount: number }[] };` }));
    const r2 = await missing.materialize("*");
    expect(byKey(r2)).toEqual({ raw: "success", customers: "success", orders: "failed", revenue: "skipped" });
    const err = r2.steps.find((s) => s.key === "orders")!;
    expect(err.status === "failed" && err.error).toMatch(/did not return out "orders" \(asset "orders"\)/);
    expect(err.status === "failed" && err.error).toMatch(/shop\.asset\.ts:4/);
    const st = await missing.status(["customers", "orders"]);
    expect([st.get("customers")!.status, st.get("orders")!.status]).toEqual(["fresh", "failed"]);
  });

  test("partitioned: outs share the step's partitions; one call per partition; an out cannot set its own", async () => {
    const p = await projects.open({
      "daily.asset.ts": [
        `import { daily, multiAsset } from "dagx";`,
        `export const split = multiAsset({ codeVersion: "v7", partitions: daily({ start: "2024-01-01", end: "2024-01-04" }), outs: { a: {}, b: { io: "json" } } },`,
        `  (ctx) => ({ a: [{ day: ctx.partition.key, n: 1 }], b: { day: ctx.partition.key } }));`,
        ``,
      ].join("\n"),
    });
    expect(p.project.graph.assets.get("a")!.partitioned && p.project.graph.assets.get("b")!.partitioned).toBe(true);
    // the step's code version is every out's
    expect([p.project.graph.assets.get("a")!.codeVersion, p.project.graph.assets.get("b")!.codeVersion]).toEqual(["v7", "v7"]);
    const run = await p.materialize("a", { partitionSelection: "2024-01-01..2024-01-02" });
    expect(run.status).toBe("success");
    expect(run.steps.map((s) => `${s.key}@${s.partition}:${s.status}`).sort()).toEqual(["a@2024-01-01:success", "a@2024-01-02:success", "b@2024-01-01:success", "b@2024-01-02:success"]);
    const bad = await projects.open({
      "bad.asset.ts": `import { daily, multiAsset } from "dagx";\nexport const s = multiAsset({ outs: { a: { partitions: daily({ start: "2024-01-01" }) } } as never }, () => ({ a: 1 }));\n`,
    });
    expect(bad.project.graph.errors.map((e) => e.message).join("\n")).toMatch(/out "a" sets `partitions`, which belongs to the whole step/);
  });

  test("retries: a step that fails once is called again and every out succeeds (concurrency 1 and 4)", async () => {
    for (const concurrency of [1, 4]) {
      const p = await projects.open({
        "flaky.asset.ts": [
          `import { appendFileSync, existsSync } from "node:fs";`,
          `import { multiAsset } from "dagx";`,
          `export const flaky = multiAsset({ retry: { maxRetries: 2, delay: 1, jitter: false }, outs: { x: {}, y: {}, z: {} } }, (ctx) => {`,
          `  const first = !existsSync(ctx.path("calls.log"));`,
          `  appendFileSync(ctx.path("calls.log"), "call\\n");`,
          `  if (first) throw new Error("transient");`,
          `  return { x: [{ v: 1 }], y: [{ v: 2 }], z: [{ v: 3 }] };`,
          `});`,
          ``,
        ].join("\n"),
      });
      const run = await p.materialize("*", { concurrency });
      expect([concurrency, byKey(run)]).toEqual([concurrency, { x: "success", y: "success", z: "success" }]);
      expect((await Bun.file(calls(p.dir)).text()).trim().split("\n").length).toBe(2);
      expect(await p.query(`select (select v from x) + (select v from y) + (select v from z) as s`)).toEqual([{ s: 6 }]);
    }
  });

  test("cancel (Ctrl-C) while the step runs: every out is canceled, none recorded; a check() export on one out runs on it", async () => {
    const p = await projects.open({
      "slow.asset.ts": [
        `import { check, multiAsset } from "dagx";`,
        `export const slow = multiAsset({ outs: { left: {}, right: {} } }, async (ctx) => {`,
        `  await new Promise<void>((resolve, reject) => {`,
        `    const t = setTimeout(resolve, Number(process.env.SLOW_MS ?? 0));`,
        `    ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped")); });`,
        `  });`,
        `  return { left: [{ v: 1 }], right: [{ v: -1 }] };`,
        `});`,
        `export const right_positive = check(slow.outs.right, {}, async (_ctx, right) => ({ passed: (await right.rows()).every((r) => r.v > 0) }));`,
        ``,
      ].join("\n"),
    });
    const ac = new AbortController();
    process.env.SLOW_MS = "5000";
    try {
      setTimeout(() => ac.abort(), 150);
      const run = await p.materialize("*", { signal: ac.signal });
      expect(run.status).toBe("canceled");
      expect(byKey(run)).toEqual({ left: "canceled", right: "canceled" });
      const st = await p.status(["left", "right"]);
      expect([st.get("left")!.status, st.get("right")!.status]).toEqual(["missing", "missing"]);
    } finally {
      delete process.env.SLOW_MS;
    }
    const ok = await p.materialize("*");
    expect(byKey(ok)).toEqual({ left: "success", right: "success" });
    const checks = ok.steps.flatMap((s) => (s.status === "success" ? (s.checks ?? []).map((c) => `${c.assetKey}:${c.checkName}:${c.passed}`) : []));
    expect(checks).toEqual(["right:right_positive:false"]);
  });

  test("outs exported on their own (with or without the step) register once, with all their siblings", async () => {
    const p = await projects.open({
      "both.asset.ts": `import { multiAsset } from "dagx";\nexport const pair = multiAsset({ outs: { l: {}, r: {} } }, () => ({ l: [{ v: 1 }], r: [{ v: 2 }] }));\nexport const { l, r } = pair.outs;\n`,
      "outs-only.asset.ts": `import { multiAsset } from "dagx";\nconst hidden = multiAsset({ outs: { m: {}, n: {} } }, () => ({ m: [{ v: 3 }], n: [{ v: 4 }] }));\nexport const m = hidden.outs.m;\n`,
    });
    expect([...p.project.graph.assets.keys()].sort()).toEqual(["l", "m", "n", "r"]);
    expect(p.project.graph.errors).toEqual([]);
    const run = await p.materialize("m");
    expect(byKey(run)).toEqual({ m: "success", n: "success" });
  });

  test("an out returned as undefined is recorded with nothing stored (written elsewhere), with its metadata", async () => {
    const p = await projects.open({
      "ext.asset.ts": `import { multiAsset } from "dagx";\nexport const ext = multiAsset({ outs: { table: {}, side: {} } }, (ctx) => ({ table: [{ v: 1 }], side: ctx.output(undefined, { metadata: { written: "elsewhere" } }) }));\n`,
    });
    const run = await p.materialize("*");
    expect(byKey(run)).toEqual({ table: "success", side: "success" });
    const [rec] = await p.store.latestMaterializations(["side"]);
    expect([rec?.path, rec?.format, rec?.metadata?.written]).toEqual(["", "none", "elsewhere"]);
  });

  test("run config: a sibling out shares the config of the selected out; different config per out is refused", async () => {
    const p = await projects.open({
      "cfg.asset.ts": [
        `import { multiAsset, v } from "dagx";`,
        `export const cfg = multiAsset({ config: v.object({ n: v.optional(v.number(), 1) }), outs: { p: {}, q: {} } }, (ctx) => ({ p: [{ n: ctx.config.n }], q: [{ n: ctx.config.n * 10 }] }));`,
        ``,
      ].join("\n"),
    });
    const graph = p.project.graph;
    const run = await p.materialize("p", { config: await resolveRunConfig(graph, new Set(["p"]), { p: { n: 4 } }) });
    expect(byKey(run)).toEqual({ p: "success", q: "success" });
    expect(await p.query(`select (select n from p) as p, (select n from q) as q`)).toEqual([{ p: 4, q: 40 }]);
    const both = await p.materialize("p, q", { config: await resolveRunConfig(graph, new Set(["p", "q"]), { p: { n: 2 } }) });
    expect(byKey(both)).toEqual({ p: "failed", q: "failed" });
    const err = both.steps[0]!;
    expect(err.status === "failed" && err.error).toMatch(/got different config for its outs "p", "q": they share one step/);
  });

  test("--stale: one failed out brings its sibling back into the plan (the step cannot subset)", async () => {
    const p = await projects.open({
      "st.asset.ts": `import { multiAsset } from "dagx";\nexport const st = multiAsset({ outs: { s1: {}, s2: {} } }, () => (process.env.DROP_S2 ? { s1: [{ v: 1 }] } : { s1: [{ v: 1 }], s2: [{ v: 2 }] }) as { s1: { v: number }[]; s2: { v: number }[] });\n`,
    });
    process.env.DROP_S2 = "1";
    try {
      expect(byKey(await p.materialize("*"))).toEqual({ s1: "success", s2: "failed" });
    } finally {
      delete process.env.DROP_S2;
    }
    const plan = await p.materialize("*", { stale: true, dryRun: true });
    expect(plan.plan.steps.map((s) => [s.key, s.reason.startsWith("runs with") ? "sibling" : "own"]).sort()).toEqual([
      ["s1", "sibling"],
      ["s2", "own"],
    ]);
    expect(byKey(await p.materialize("*", { stale: true }))).toEqual({ s1: "success", s2: "success" });
  });

  test("--stale: an out the step's leader already recorded in this run is reported as materialized, not skipped as fresh", async () => {
    const p = await projects.open({
      "lead.asset.ts": [
        `import { asset, multiAsset } from "dagx";`,
        `export const src = asset(() => [{ v: Number(process.env.SRC_V ?? 1) }]);`,
        `export const pair = multiAsset({ ins: { src }, canSubset: true, outs: { a: {}, b: {} } }, (ctx, { src }) =>`,
        `  Object.fromEntries(ctx.selectedOutputs.map((n) => [n, ctx.sql\`select v from \${src}\`])) as { a: unknown; b: unknown });`,
        ``,
      ].join("\n"),
    });
    expect(byKey(await p.materialize("*"))).toEqual({ src: "success", a: "success", b: "success" });
    process.env.SRC_V = "2";
    try {
      expect(byKey(await p.materialize("src"))).toEqual({ src: "success" });
    } finally {
      delete process.env.SRC_V;
    }
    const run = await p.materialize("*", { stale: true, concurrency: 1 });
    expect(byKey(run)).toEqual({ a: "success", b: "success" });
    expect(await p.query(`select (select v from a) as a, (select v from b) as b`)).toEqual([{ a: 2, b: 2 }]);
  });

  describe("dependsOn: an out computed from a sibling out", () => {
    const FILES = {
      "chain.asset.ts": [
        `import { asset, multiAsset } from "dagx";`,
        `export const src = asset(async () => { await Bun.sleep(150); return [{ v: Number(process.env.SRC_V ?? 1) }]; });`,
        `export const other = asset(() => [{ w: 1 }]);`,
        `export const chain = multiAsset(`,
        `  { ins: { src, other }, canSubset: true, outs: {`,
        `    staged: { dependsOn: [src] },`,
        `    mart: { dependsOn: ["staged"] },`,
        `    lone: { dependsOn: [] },`,
        `  } },`,
        `  (ctx, { src }) => Object.fromEntries(ctx.selectedOutputs.map((n) => [n, ctx.sql\`select v from \${src}\`])) as { staged: unknown; mart: unknown; lone: unknown },`,
        `);`,
        `export const report = asset({ ins: { mart: chain.outs.mart } }, (ctx, { mart }) => ctx.sql\`select v * 10 as v from \${mart}\`);`,
        ``,
      ].join("\n"),
    };

    test("lineage follows it; every out waits for the step's inputs; outs record their siblings' versions and are fresh", async () => {
      const p = await projects.open(FILES);
      const g = p.project.graph;
      expect(g.assets.get("staged")!.deps).toEqual(["src"]);
      expect(g.assets.get("mart")!.deps).toEqual(["staged"]);
      expect(g.assets.get("lone")!.deps).toEqual([]);
      // "lone" depends on nothing, but whichever out starts the call reads src: all wait for it
      const run = await p.materialize("*");
      expect(byKey(run)).toEqual({ src: "success", other: "success", staged: "success", mart: "success", lone: "success", report: "success" });
      expect(await p.query(`select v from report`)).toEqual([{ v: 10 }]);
      const st = await p.status();
      expect(["staged", "mart", "lone", "report"].map((k) => st.get(k)!.status)).toEqual(["fresh", "fresh", "fresh", "fresh"]);
      // what a call records for an out computed from a sibling includes that sibling's new version
      const recs = await p.store.latestMaterializations();
      const latest = new Map(recs.map((m) => [m.assetKey, m]));
      expect(latest.get("mart")!.inputVersions.staged).toBe(latest.get("staged")!.dataVersion);
    });

    test("an unknown or self dependsOn is a definition error naming the out and the choices", async () => {
      const bad = (deps: string) =>
        projects.open({
          "bad.asset.ts": `import { asset, multiAsset } from "dagx";\nexport const src = asset(() => 1);\nexport const m = multiAsset({ deps: [src], outs: { a: {}, b: { dependsOn: ${deps} } } }, () => ({ a: 1, b: 2 }));\n`,
        });
      const e1 = await bad(`["aa"]`).then((p) => p.project.graph.errors.map((e) => e.message).join("\n"), (e) => String(e));
      expect(e1).toMatch(/Out "b" \(asset "b"\) at .*bad\.asset\.ts:3.* depends on "aa", which is neither a sibling out nor an upstream of its step — did you mean "a"\?/);
      const e2 = await bad(`["b"]`).then((p) => p.project.graph.errors.map((e) => e.message).join("\n"), (e) => String(e));
      expect(e2).toMatch(/lists itself in dependsOn/);
    });
  });
});
