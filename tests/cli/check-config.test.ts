// `dagx check --config/--config-file`: check functions read the checked asset's run config as
// `ctx.config` (typed from its schema) — in materialize, what the step ran with; in `dagx check`, the
// flags validated as materialize validates them (every problem, exit 2), else the schema's defaults.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, removeProject, runDagx } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const ASSETS = `import { asset, check, v } from "dagx";

export const orders = asset({ config: v.object({ min_rows: v.optional(v.number(), 2) }) }, () => [{ id: 1 }, { id: 2 }, { id: 3 }]);
export const enough = check(orders, async (ctx, data) => {
  const n = (await data.rows()).length;
  ctx.log.info("min_rows " + ctx.config.min_rows);
  return { passed: n >= ctx.config.min_rows, metadata: { n, min: ctx.config.min_rows } };
});

export const targets = asset({ config: v.object({ goal: v.number() }) }, (ctx) => ({ goal: ctx.config.goal }));
export const stored = check(targets, (_ctx, value) => value.goal > 0);
export const reads_config = check(targets, (ctx, value) => value.goal === ctx.config.goal);
`;

type CheckJson = { check: string; passed: boolean; metadata: Record<string, unknown>; error: string | null };

function project(): string {
  const dir = makeProject({ "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`, "a.asset.ts": ASSETS }, "dagx-check-config-");
  dirs.push(dir);
  return dir;
}

test("materialize: a check function's ctx.config is what its asset's step ran with", async () => {
  const dir = project();
  const r = await runDagx(dir, ["materialize", "orders", "--config", "orders.min_rows=5", "--json"]);
  expect(r.code).toBe(0); // a failed check that does not block is reported, the run still succeeds
  const checks = r.json<{ steps: { checks: CheckJson[] }[] }>().steps[0]!.checks;
  expect(checks.map((c) => [c.check, c.passed, c.metadata])).toEqual([["enough", false, { n: 3, min: 5 }]]);
});

test("dagx check --config / --config-file: ctx.config of the checks, the schema's defaults without; recorded with the run", async () => {
  const dir = project();
  expect((await runDagx(dir, ["materialize", "orders"])).code).toBe(0);
  const plain = await runDagx(dir, ["check", "orders", "--json"]);
  expect(plain.code).toBe(0);
  expect(JSON.parse(plain.stdout).map((c: CheckJson) => [c.check, c.passed, c.metadata])).toEqual([["enough", true, { n: 3, min: 2 }]]);
  const strict = await runDagx(dir, ["check", "orders", "--config", "orders.min_rows=4", "--json"]);
  expect(strict.code).toBe(1);
  expect(JSON.parse(strict.stdout).map((c: CheckJson) => [c.check, c.passed, c.metadata])).toEqual([["enough", false, { n: 3, min: 4 }]]);
  writeFileSync(join(dir, "run.json"), JSON.stringify({ orders: { min_rows: 3 } }));
  const file = await runDagx(dir, ["check", "--config-file", "run.json", "--json"]);
  expect(JSON.parse(file.stdout).filter((c: CheckJson) => c.check === "enough").map((c: CheckJson) => [c.passed, c.metadata])).toEqual([[true, { n: 3, min: 3 }]]);
  const runs = await runDagx(dir, ["runs", "--json"]);
  const checkRuns = runs.json<{ trigger: string; config?: Record<string, unknown> }[]>().filter((r) => r.trigger === "check");
  expect(checkRuns.map((r) => r.config)).toContainEqual({ orders: { min_rows: 4 } });
});

test("dagx check: invalid config is refused before anything runs, every problem at once (exit 2)", async () => {
  const dir = project();
  expect((await runDagx(dir, ["materialize", "orders"])).code).toBe(0);
  const r = await runDagx(dir, ["check", "orders", "--config", "orders.min_rows=many", "--config", "orders.min_row=1", "--config", "targets.goal=1"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("Invalid run config (3 problems)");
  expect(r.stderr).toContain(`orders.min_row: unknown field — did you mean "min_rows"?`);
  expect(r.stderr).toContain("orders.min_rows: Invalid type: Expected number but received \"many\"");
  expect(r.stderr).toContain(`Config for asset "targets", which this run does not check: add it to the selection or drop its config`);
});

test("dagx check: an asset whose schema needs a field runs its checks without config; only a check that reads ctx.config fails, saying how to give it", async () => {
  const dir = project();
  expect((await runDagx(dir, ["materialize", "targets", "--config", "targets.goal=7"])).code).toBe(0);
  const r = await runDagx(dir, ["check", "targets", "--json"]);
  expect(r.code).toBe(1);
  const byName = Object.fromEntries(JSON.parse(r.stdout).map((c: CheckJson) => [c.check, c]));
  expect(byName.stored.passed).toBe(true);
  expect(byName.reads_config.passed).toBe(false);
  expect(byName.reads_config.error).toContain(`Asset "targets" has no run config to give its checks (targets.goal: Invalid key: Expected "goal" but received undefined): pass it with --config targets.FIELD=VALUE or --config-file`);
  const given = await runDagx(dir, ["check", "targets", "--config", "targets.goal=7", "--json"]);
  expect(given.code).toBe(0);
});
