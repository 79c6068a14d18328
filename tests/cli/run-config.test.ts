// Per-run config through the real CLI: an asset's `config` schema (v from "dagx"), given by
// `--config` and `--config-file`, validated before the run (every problem, exit 2), seen as
// ctx.config, recorded with the run (`runs --json`, `logs`), and part of provenance: status shows
// "config changed" after a run with other config, fresh again after a plain run.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { makeProject, ok, removeProject, runDagx, writeFile } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const ASSETS = `import { asset, v } from "dagx";
export const orders = asset(
  { config: v.object({ limit: v.optional(v.number(), 3), region: v.optional(v.picklist(["eu", "us"]), "eu"), filter: v.optional(v.object({ min: v.optional(v.number(), 0) }), {}) }) },
  (ctx) => Array.from({ length: ctx.config.limit }, (_, i) => ({ i, region: ctx.config.region, min: ctx.config.filter.min })),
);
export const total = asset({ ins: { orders } }, async (ctx, { orders }) => ({ n: (await orders.rows()).length }));
`;

interface StatusJson {
  key: string;
  status: string;
  causes: string[];
  config: { hash: string | null; lastHash: string | null; changed: boolean } | null;
}
interface RunJson {
  runId: string;
  config: Record<string, unknown> | null;
}

describe("run config", () => {
  const dir = makeProject({ "a.asset.ts": ASSETS, "run.json": JSON.stringify({ orders: { limit: 4, region: "us" } }) }, "dagx-run-config-");
  dirs.push(dir);

  test("--config and --config-file reach ctx.config, are recorded with the run, and make status show config changed until a plain run", async () => {
    const run = ok(await runDagx(dir, ["materialize", "--config-file", "run.json", "--config", "orders.limit=5", "--config", "orders.filter.min=2", "--json"])).json<RunJson & { status: string }>();
    expect(run.status).toBe("success");
    const [last] = ok(await runDagx(dir, ["runs", "--json"])).json<RunJson[]>();
    expect(last).toMatchObject({ runId: run.runId, config: { orders: { filter: { min: 2 }, limit: 5, region: "us" } } });
    const rows = ok(await runDagx(dir, ["query", "select count(*) as n, min(region) as r, min(min) as m from orders", "--json"])).json<{ n: number; r: string; m: number }[]>();
    expect(rows).toEqual([{ n: 5, r: "us", m: 2 }]);
    const logs = ok(await runDagx(dir, ["logs", run.runId]));
    expect(logs.stdout).toContain('orders {"filter":{"min":2},"limit":5,"region":"us"}');
    expect(ok(await runDagx(dir, ["logs", run.runId, "--json"])).json<{ run: RunJson }>().run.config).toEqual(last!.config);

    let status = ok(await runDagx(dir, ["status", "--json"])).json<StatusJson[]>();
    const orders = status.find((s) => s.key === "orders")!;
    expect(orders.status).toBe("stale");
    expect(orders.causes).toEqual([expect.stringMatching(/^config changed \([0-9a-f]{8} → [0-9a-f]{8}\)$/)]);
    expect(orders.config).toMatchObject({ changed: true, hash: expect.stringMatching(/^[0-9a-f]{16}$/), lastHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(orders.config!.hash).not.toBe(orders.config!.lastHash);
    expect(status.find((s) => s.key === "total")).toMatchObject({ status: "stale", config: null, causes: ['upstream "orders" is stale'] });
    expect(ok(await runDagx(dir, ["status"])).stdout).toContain("config changed (");

    // a plain run uses the schema's defaults: fresh again, and its run records them
    const plain = ok(await runDagx(dir, ["materialize", "--stale", "--json"])).json<RunJson>();
    const [again] = ok(await runDagx(dir, ["runs", "--json"])).json<RunJson[]>();
    expect(again).toMatchObject({ runId: plain.runId, config: { orders: { filter: { min: 0 }, limit: 3, region: "eu" } } });
    status = ok(await runDagx(dir, ["status", "--json"])).json<StatusJson[]>();
    expect(status.map((s) => [s.key, s.status])).toEqual([["orders", "fresh"], ["total", "fresh"]]);
    expect(status[0]!.config).toEqual({ hash: orders.config!.hash, lastHash: orders.config!.hash, changed: false });
  });

  test("every problem is reported at once with the asset, field path and the schema's message; exit 2 and no run", async () => {
    const before = ok(await runDagx(dir, ["runs", "--json"])).json<RunJson[]>().length;
    const r = await runDagx(dir, ["materialize", "orders", "--config", "orders.limit=\"many\"", "--config", "orders.regoin=us", "--config", "ordrs.limit=1", "--config", "total.x=1", "--config", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Invalid run config (5 problems):");
    expect(r.stderr).toContain('Invalid --config "nope": expected ASSET.FIELD=VALUE');
    expect(r.stderr).toContain('Invalid --config "ordrs.limit=1": no asset "ordrs" — did you mean "orders"?');
    expect(r.stderr).toContain('orders.limit: Invalid type: Expected number but received "many"');
    expect(r.stderr).toContain('orders.regoin: unknown field — did you mean "region"?');
    expect(r.stderr).toContain('total: Config for asset "total", which this run does not materialize');
    expect(r.stderr).not.toContain("    at ");
    expect(ok(await runDagx(dir, ["runs", "--json"])).json<RunJson[]>().length).toBe(before);
    // config for a selected asset without a schema, and a missing or broken file
    const noSchema = await runDagx(dir, ["materialize", "total", "--config", "total.x=1"]);
    expect([noSchema.code, noSchema.stderr]).toEqual([2, expect.stringContaining('total: Config for asset "total", which declares no config schema')]);
    writeFile(dir, "bad.json", "{ nope");
    const bad = await runDagx(dir, ["materialize", "--config-file", "bad.json"]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('Cannot read --config-file "bad.json": not valid JSON')]);
    const missing = await runDagx(dir, ["materialize", "--config-file", "missing.json", "--dry-run"]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('Cannot read --config-file "missing.json": no such file')]);
  });

  test("a config schema that is not a Standard Schema is a definition error at its line", async () => {
    const d = makeProject({ "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset({ config: { limit: 1 } as never }, () => 1);\n` }, "dagx-run-config-bad-");
    dirs.push(d);
    const r = await runDagx(d, ["materialize"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Invalid option of asset "a" at \S*a\.asset\.ts:2: config must be a Standard Schema/);
    expect(existsSync(join(d, ".dagx", "data", "a"))).toBe(false);
  });
});

describe("backfill --config", () => {
  const dir = makeProject(
    {
      "p.asset.ts": `import { asset, daily, v } from "dagx";
export const p = asset({ partitions: daily({ start: "2024-01-01" }), config: v.object({ scale: v.optional(v.number(), 1) }) }, (ctx) => [{ day: ctx.partition.key, scale: ctx.config.scale }]);
`,
    },
    "dagx-run-config-backfill-",
  );
  dirs.push(dir);

  test("a backfill's runs get the config and record it; --resume refuses new config", async () => {
    ok(await runDagx(dir, ["backfill", "p", "--partitions", "2024-01-01..2024-01-02", "--config", "p.scale=7"]));
    const [run] = ok(await runDagx(dir, ["runs", "--json"])).json<RunJson[]>();
    expect(run!.config).toEqual({ p: { scale: 7 } });
    const rows = ok(await runDagx(dir, ["query", "select distinct scale from p", "--json"])).json<{ scale: number }[]>();
    expect(rows).toEqual([{ scale: 7 }]);
    const bad = await runDagx(dir, ["backfill", "p", "--partitions", "2024-01-01", "--config", "p.scale=\"x\""]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('p.scale: Invalid type: Expected number but received "x"')]);
  });
});
