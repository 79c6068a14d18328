/**
 * `*.asset.py` files: discovered beside `*.asset.ts` and `*.asset.sql`, defined by their `# @field:`
 * header, run with `$DAGX_PYTHON` (here the test venv's python, with the unmodified dagster-pipes
 * client) through the same Pipes step as pipesAsset().
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { withEnv } from "../../support/env.ts";
import { pipesPython, pipesUnavailable, pipesUv } from "../../support/pipes.ts";
import { testProjects } from "../../support/project.ts";

const projects = testProjects("dagx-py-asset-");
afterAll(projects.cleanup);
let python = "";
let uv = "";
beforeAll(async () => {
  if (pipesUnavailable() !== undefined) return;
  python = await pipesPython();
  uv = await pipesUv();
}, 600_000);

const SCORE_PY = `#!/usr/bin/env python3
# Scores each order.
# @group: ml
# @ins: orders
# @checks: not_null(id), row_count(min=2)
# @retry: max_retries=1, delay=0s
import pyarrow as pa, pyarrow.parquet as pq
from dagster_pipes import open_dagster_pipes

with open_dagster_pipes() as context:
    dagx = context.extras["dagx"]
    t = pa.concat_tables([pq.read_table(p) for p in dagx["inputs"]["orders"]["paths"]])
    pq.write_table(pa.table({"id": t.column("id"), "score": [a / 10 for a in t.column("amount").to_pylist()]}), dagx["output"]["path"])
    context.report_asset_materialization(metadata={"model": "tenth"})
`;

const FILES = {
  "orders.asset.ts": `import { asset } from "dagx";\nexport const orders = asset(() => [{ id: 1, amount: 10 }, { id: 2, amount: 30 }]);\n`,
  "ml/score.asset.py": SCORE_PY,
  "report.asset.sql": "-- @group: reports\nselect count(*) as n, sum(score) as total from score\n",
};

describe.skipIf(pipesUnavailable() !== undefined)("*.asset.py", () => {
  test("a Python file is an asset: key from its name, header options, inputs by key; a SQL asset reads its output", async () => {
    await withEnv({ DAGX_PYTHON: python }, async () => {
      const p = await projects.open(FILES);
      expect(p.project.graph.errors).toEqual([]);
      const score = p.project.graph.assets.get("score")!;
      expect(score).toMatchObject({ group: "ml", deps: ["orders"], ins: { orders: "orders" } });
      expect(score.def.options.kinds).toEqual(["python"]);
      expect(score.checks).toHaveLength(2);
      expect(p.project.graph.assets.get("report")!.deps).toEqual(["score"]);
      const r = await p.materialize("*");
      expect(r.steps.map((s) => [s.key, s.status])).toEqual([["orders", "success"], ["score", "success"], ["report", "success"]]);
      expect(r.steps[1]).toMatchObject({ checks: [{ passed: true }, { passed: true }] });
      expect(await p.query("select n, total from report")).toEqual([{ n: 2, total: 4 }]);
      expect((await p.store.latestMaterializations(["score"]))[0]!.metadata).toMatchObject({ model: "tenth" });
    });
  }, 60_000);

  test("a file with a PEP 723 block runs with uv run, which installs its dependencies and downloads no Python", async () => {
    const script = `# /// script
# requires-python = ">=3.9"
# dependencies = ["dagster-pipes==1.13.28"]
# ///
# @deps: orders
import os, sys
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    context.report_asset_materialization(metadata={"downloads": os.environ.get("UV_PYTHON_DOWNLOADS"), "uv_env": "/environments" in sys.executable or "/uv/" in sys.executable})
`;
    await withEnv({ DAGX_UV: uv, DAGX_PYTHON: "/nonexistent/python" }, async () => {
      const p = await projects.open({ "orders.asset.ts": FILES["orders.asset.ts"], "inline.asset.py": script });
      expect(p.project.graph.errors).toEqual([]);
      const r = await p.materialize("*");
      expect(r.steps.map((s) => [s.key, s.status])).toEqual([["orders", "success"], ["inline", "success"]]);
      expect((await p.store.latestMaterializations(["inline"]))[0]!.metadata).toMatchObject({ downloads: "never", uv_env: true });
    });
  }, 120_000);

  test("a header naming an unknown input is a load error of that file, with a suggestion; the other assets load", async () => {
    const { "report.asset.sql": _, ...files } = FILES;
    const p = await projects.open({ ...files, "ml/score.asset.py": SCORE_PY.replace("# @ins: orders", "# @ins: ordrs") });
    expect(p.project.graph.errors).toHaveLength(1);
    expect(p.project.graph.errors[0]!.message).toMatch(/^Error in ml\/score\.asset\.py:4:9: input "ordrs": "ordrs" is not an asset — did you mean "orders"\?/);
    expect([...p.project.graph.assets.keys()]).toEqual(["orders"]);
  }, 60_000);
});
