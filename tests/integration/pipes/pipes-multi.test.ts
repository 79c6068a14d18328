// Several assets from one process: `pipesAsset({ command, outs })` through the CLI (`dagx`
// spawned, the test venv's python3 first on PATH, the unmodified dagster-pipes client). The script
// writes one Parquet per out (`extras.dagx.outputs[KEY].path`) or reports an out
// (`report_asset_materialization(asset_key=…)`), reports checks per out, and downstream assets
// read each out; a missing out fails the step without replacing anything; editing the script makes
// every out stale.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { dagx, makeProject, ok, removeProject } from "../../cli/helpers.ts";
import { pipesPython, pipesUnavailable } from "../../support/pipes.ts";

const unavailable = pipesUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/pipes/pipes-multi: ${unavailable}`);
let dir = "";
let env: Record<string, string> = {};

const SPLIT_PY = `import os
import pyarrow as pa, pyarrow.parquet as pq
from dagster_pipes import open_dagster_pipes

with open_dagster_pipes() as context:
    dagx = context.extras["dagx"]
    assert dagx["output"] is None
    outputs = dagx["outputs"]
    orders = pa.concat_tables([pq.read_table(p) for p in dagx["inputs"]["orders"]["paths"]])
    amounts = orders.column("amount").to_pylist()
    ids = orders.column("id").to_pylist()
    big = [(i, a) for i, a in zip(ids, amounts) if a >= 20]
    small = [(i, a) for i, a in zip(ids, amounts) if a < 20]
    pq.write_table(pa.table({"id": [i for i, _ in big], "amount": [a for _, a in big]}), outputs["big"]["path"])
    if os.environ.get("SKIP_SMALL") != "1":
        pq.write_table(pa.table({"id": [i for i, _ in small], "amount": [a for _, a in small]}), outputs["small"]["path"])
    context.report_asset_materialization(asset_key="big", metadata={"orders": len(big)})
    context.report_asset_materialization(asset_key="shop/summary", metadata={"keys": ",".join(context.asset_keys)}, data_version=str(len(ids)))
    context.report_asset_check("big_positive", passed=all(a > 0 for _, a in big), asset_key="big")
    context.log.info(f"split {len(ids)} orders")
`;

describe.skipIf(unavailable !== undefined)("pipesAsset({ command, outs }): several assets from one process", () => {
  beforeAll(async () => {
    env = { PATH: `${dirname(await pipesPython())}:${process.env.PATH}` };
    dir = makeProject({
      ".dagx/.keep": "",
      "assets/orders.asset.ts": `import { asset } from "dagx";\nexport const orders = asset(() => [{ id: 1, amount: 10 }, { id: 2, amount: 30 }, { id: 3, amount: 50 }]);\n`,
      "assets/shop.asset.ts": `import { checkSpec, notNull, pipesAsset } from "dagx";
import { orders } from "./orders.asset.ts";
export const shop = pipesAsset({
  command: ["python3", "scripts/split.py"],
  ins: { orders },
  group: "ml",
  outs: {
    big: { checks: [checkSpec("big_positive", { blocking: true }), notNull("id")] },
    small: {},
    summary: { key: "shop/summary", group: "reports" },
  },
});
`,
      "assets/report.asset.ts": `import { asset } from "dagx";
import { shop } from "./shop.asset.ts";
export const report = asset({ ins: { big: shop.outs.big, small: shop.outs.small } }, (ctx, { big, small }) =>
  ctx.sql\`select (select sum(amount) from \${big}) as big_total, (select count(*) from \${small}) as small_n\`);
`,
      "scripts/split.py": SPLIT_PY,
    }, "dagx-pipes-multi-");
  }, 600_000);
  afterAll(() => {
    if (dir) removeProject(dir);
  });

  test("list: every out is an asset of its own, with the shared inputs and its own group", async () => {
    const assets = ok(await dagx(dir, ["list", "--json"], { env })).json<{ key: string; group: string; deps: string[]; kinds: string[] }[]>();
    const by = Object.fromEntries(assets.map((a) => [a.key, a]));
    expect(by.big).toMatchObject({ group: "ml", deps: ["orders"], kinds: ["pipes"] });
    expect(by.small).toMatchObject({ group: "ml", deps: ["orders"] });
    expect(by["shop/summary"]).toMatchObject({ group: "reports", deps: ["orders"] });
    expect(by.report!.deps.sort()).toEqual(["big", "small"]);
  }, 60_000);

  test("materialize: one process, one Parquet per out or a report; metadata, data version and checks per out; downstream reads the outs", async () => {
    const r = await dagx(dir, ["materialize", "*", "--json"], { env });
    if (r.code !== 0) throw new Error(r.stderr);
    type Step = { key: string; status: string; rows?: number; checks?: { check: string; passed: boolean; blocking: boolean }[] };
    const steps = r.json<{ steps: Step[] }>().steps;
    expect(steps.map((s) => [s.key, s.status]).sort()).toEqual([["big", "success"], ["orders", "success"], ["report", "success"], ["shop/summary", "success"], ["small", "success"]]);
    expect(steps.find((s) => s.key === "big")!.checks!.map((c) => [c.check, c.passed, c.blocking]).sort()).toEqual([["big_positive", true, true], ["notNull(id)", true, false]]);
    // one process for the three outs
    expect(r.stderr.match(/split 3 orders/g)).toHaveLength(1);
    expect(ok(await dagx(dir, ["query", "select big_total, small_n from report", "--json"], { env })).json()).toEqual([{ big_total: 80, small_n: 1 }]);
    const status = Object.fromEntries(ok(await dagx(dir, ["status", "--json"], { env })).json<{ key: string; lastMaterialization: { rows: number | null; dataVersion: string; metadata: Record<string, unknown> | null } }[]>().map((a) => [a.key, a.lastMaterialization]));
    expect(status.big).toMatchObject({ rows: 2, metadata: { orders: 2 } });
    expect(status.small).toMatchObject({ rows: 1 });
    expect(status["shop/summary"]).toMatchObject({ dataVersion: "3", metadata: { keys: "big,small,shop/summary" } });
  }, 90_000);

  test("an out the script neither writes nor reports fails every out of the step, and replaces nothing", async () => {
    const r = await dagx(dir, ["materialize", "big", "small", "shop/summary", "--json"], { env: { ...env, SKIP_SMALL: "1" } });
    expect(r.code).toBe(1);
    const steps = r.json<{ steps: { key: string; status: string; error?: string }[] }>().steps;
    expect(steps.map((s) => s.status)).toEqual(["failed", "failed", "failed"]);
    expect(steps[0]!.error).toContain('for "small" the script wrote no output and reported nothing');
    expect(ok(await dagx(dir, ["query", "select count(*) as n from small", "--json"], { env })).json()).toEqual([{ n: 1 }]);
  }, 60_000);

  test("editing the script makes every out stale", async () => {
    const ok1 = await dagx(dir, ["materialize", "*"], { env });
    expect(ok1.code).toBe(0);
    const statuses = async () => Object.fromEntries(ok(await dagx(dir, ["status", "--json"], { env })).json<{ key: string; status: string }[]>().map((a) => [a.key, a.status]));
    expect(Object.values(await statuses()).every((s) => s === "fresh")).toBe(true);
    writeFileSync(join(dir, "scripts/split.py"), `${SPLIT_PY}# edited\n`);
    const after = await statuses();
    expect([after.big, after.small, after["shop/summary"], after.orders]).toEqual(["stale", "stale", "stale", "fresh"]);
  }, 60_000);
});
