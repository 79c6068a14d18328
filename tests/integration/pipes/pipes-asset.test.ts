/**
 * pipesAsset() end to end, in-process on the memory store, with real Python processes: the
 * unmodified `dagster-pipes` client from PyPI and pyarrow (tests/support/pipes.ts). Conformance: the
 * scripts use only the documented client API (open_dagster_pipes, context.log,
 * report_asset_materialization, report_asset_check, extras).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { redactor } from "../../../io/secrets/index.ts";
import { withEnv } from "../../support/env.ts";
import { pipesPython, pipesUnavailable } from "../../support/pipes.ts";
import { type TestProject, testProjects } from "../../support/project.ts";

const projects = testProjects("dagx-pipes-it-");
afterAll(projects.cleanup);
let python = "";
beforeAll(async () => {
  if (pipesUnavailable() === undefined) python = await pipesPython();
}, 600_000);

const SCORE_PY = `
import os, sys
import pyarrow as pa
import pyarrow.parquet as pq
from dagster_pipes import open_dagster_pipes

with open_dagster_pipes() as context:
    dagx = context.extras["dagx"]
    assert dagx["version"] == 1
    orders = pa.concat_tables([pq.read_table(p) for p in dagx["inputs"]["orders"]["paths"]])
    context.log.info(f"scoring {orders.num_rows} orders for {context.asset_key}, retry {context.retry_number}")
    print("a line on stdout")
    print("a line on stderr", file=sys.stderr)
    if os.environ.get("FAIL") == "1":
        raise ValueError("the model file is corrupt")
    scores = [a * 2 for a in orders.column("amount").to_pylist()]
    pq.write_table(pa.table({"id": orders.column("id"), "score": scores}), dagx["output"]["path"])
    context.report_asset_materialization(metadata={
        "mean_score": sum(scores) / len(scores),
        "model": {"raw_value": "https://example.com/model", "type": "url"},
        "rows_seen": {"raw_value": orders.num_rows, "type": "int"},
    })
    context.report_asset_check("scores_positive", passed=all(s > 0 for s in scores), metadata={"min": min(scores)})
    context.report_asset_check("enough_rows", passed=False, severity="WARN")
`;

const project = (py: string, options = "") => ({
  "score.py": SCORE_PY,
  "report_only.py": `
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    context.report_asset_materialization(metadata={"uploaded": 3}, data_version="upload-42")
`,
  "nothing.py": `
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    context.log.info("did nothing")
`,
  "flaky.py": `
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    if context.retry_number == 0:
        raise RuntimeError("first attempt fails")
    context.report_asset_materialization(metadata={"attempt": context.retry_number + 1})
`,
  "slow.py": `
import time
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    context.log.info("slow started")
    time.sleep(30)
`,
  "secret.py": `
import os
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    print("token is " + os.environ["API_TOKEN"])
    context.log.info("logged token " + os.environ["API_TOKEN"])
    raise RuntimeError("bad token " + os.environ["API_TOKEN"])
`,
  "parts.py": `
import pyarrow as pa, pyarrow.parquet as pq
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    pq.write_table(pa.table({"region": [context.partition_key], "n": [len(context.partition_key)]}), context.extras["dagx"]["output"]["path"])
`,
  "bin/report.sh": `#!/bin/sh
# a client without dagster-pipes: reads the plain path variables, appends messages by hand
grep -q '"asset_keys":\\["shell_counts"\\]' "$DAGX_PIPES_CONTEXT_PATH" || exit 4
echo '{"__dagster_pipes_version": "0.1", "method": "log", "params": {"message": "counted by sh", "level": "INFO"}}' >> "$DAGX_PIPES_MESSAGES_PATH"
echo '{"__dagster_pipes_version": "0.1", "method": "report_asset_materialization", "params": {"asset_key": "shell_counts", "data_version": "sh-7", "metadata": {"files": {"raw_value": 7, "type": "int"}}}}' >> "$DAGX_PIPES_MESSAGES_PATH"
`,
  "a.asset.ts": `
import { asset, checkSpec, pipesAsset, staticPartitions } from "dagx";
const py = ${JSON.stringify(py)};
export const orders = asset(() => [{ id: 1, amount: 10 }, { id: 2, amount: 5.5 }]);
export const scores = pipesAsset({ command: [py, "score.py"], ins: { orders }, group: "ml", checks: [checkSpec("scores_positive", { blocking: true })]${options} });
export const total = asset({ ins: { scores } }, (ctx, { scores }) => ctx.sql\`select sum(score) as total, count(*) as n from \${scores}\`);
export const uploaded = pipesAsset({ command: [py, "report_only.py"], deps: [scores], checks: [checkSpec("upload_complete", { severity: "warn" })] });
export const idle = pipesAsset({ command: [py, "nothing.py"] });
export const flaky = pipesAsset({ command: [py, "flaky.py"], retry: { maxRetries: 1, delay: 0, jitter: false } });
export const slow = pipesAsset({ command: [py, "slow.py"], cancelGraceMs: 1000 });
export const leaky = pipesAsset({ command: [py, "secret.py"], env: { API_TOKEN: "tok-9f8e7d6c5b" } });
export const shell_counts = pipesAsset({ command: ["sh", "bin/report.sh"] });
export const by_region = pipesAsset({ command: [py, "parts.py"], partitions: staticPartitions(["eu", "asia"]) });
`,
});

async function logsOf(p: TestProject, runId: string | null, key: string): Promise<string[]> {
  const events = await p.store.getEvents(runId!);
  return events.filter((e) => e.type === "log" && e.assetKey === key).map((e) => String(e.payload.message));
}

describe.skipIf(pipesUnavailable() !== undefined)("pipesAsset() with the dagster-pipes client", () => {
  test("conformance: a script reads its input's Parquet, writes Parquet, logs, reports metadata and checks; dagx records a table a TS asset reads", async () => {
    const p = await projects.open(project(python));
    const r = await p.materialize("orders, scores, total");
    expect(r.steps.map((s) => [s.key, s.status])).toEqual([["orders", "success"], ["scores", "success"], ["total", "success"]]);
    const [m] = await p.store.latestMaterializations(["scores"]);
    expect(m).toMatchObject({ format: "parquet", rows: 2, metadata: { mean_score: 15.5, model: { type: "url", value: "https://example.com/model" }, rows_seen: 2 } });
    expect(m!.schema!.map((c) => c.name)).toEqual(["id", "score"]);
    expect(await p.query("select total, n from total")).toEqual([{ total: 31, n: 2 }]);
    const logs = await logsOf(p, r.runId, "scores");
    expect(logs).toContain("scoring 2 orders for scores, retry 0");
    expect(logs).toContain("a line on stdout");
    expect(logs).toContain("a line on stderr");
    expect(logs).toContain('Pipes: check "scores_positive" passed');
    expect(logs).toContain('Pipes: check "enough_rows" failed (severity warn)');
    // reported checks are the step's reported checks: the declared one recorded, the other flagged undeclared
    const step = r.steps[1]!;
    expect(step.status === "success" && step.checks?.map((c) => [c.checkName, c.passed, c.severity, c.blocking, c.metadata["dagx/undeclared"] ?? false])).toEqual([
      ["scores_positive", true, "error", true, false],
      ["enough_rows", false, "warn", false, true],
    ]);
    expect(step.status === "success" && step.checks?.[0]?.metadata).toEqual({ min: 11 });
    expect(logs.some((l) => l.includes('reported check "enough_rows", which it does not declare'))).toBe(true);
    // the same content gives the same data version: early cutoff works through a script
    const again = await p.materialize("scores");
    expect(again.status).toBe("success");
    const [m2] = await p.store.latestMaterializations(["scores"]);
    expect(m2!.runId).toBe(again.runId!);
    expect(m2!.dataVersion).toBe(m!.dataVersion);
  }, 60_000);

  test("a script that reports a materialization without a file: its metadata and data version are recorded", async () => {
    const p = await projects.open(project(python));
    await p.materialize("orders, scores");
    const r = await p.materialize("uploaded");
    expect(r.status).toBe("success");
    const [m] = await p.store.latestMaterializations(["uploaded"]);
    expect(m).toMatchObject({ dataVersion: "upload-42", metadata: { uploaded: 3 }, rows: null, format: "none" });
    // a declared check the script did not report is failed at its severity
    expect(r.steps[0]!.status === "success" && r.steps[0]!.checks).toMatchObject([{ checkName: "upload_complete", passed: false, severity: "warn", error: expect.stringContaining('did not report check "upload_complete"') }]);
  }, 60_000);

  test("exit 0 with neither a file nor a report fails the step", async () => {
    const p = await projects.open(project(python));
    const r = await p.materialize("idle");
    expect(r.steps[0]).toMatchObject({ status: "failed", error: expect.stringContaining("the script wrote no output and reported nothing") });
  }, 60_000);

  test("an exception fails the step with its name, message and the last stderr lines; the previous output stays", async () => {
    const p = await projects.open(project(python));
    await p.materialize("orders, scores");
    const [before] = await p.store.latestMaterializations(["scores"]);
    const file = join(p.project.storage.dataRoot, before!.path!);
    const bytes = readFileSync(file);
    const r = await withEnv({ FAIL: "1" }, () => p.materialize("scores"));
    const step = r.steps[0]!;
    expect(step.status).toBe("failed");
    if (step.status !== "failed") return;
    expect(step.error).toContain('Pipes asset "scores"');
    expect(step.error).toContain("(exit code 1): ValueError: the model file is corrupt");
    expect(step.error).toContain("last stderr lines:");
    expect(step.error).toContain("a line on stderr");
    expect(step.detail).toContain("raise ValueError");
    const [after] = await p.store.latestMaterializations(["scores"]);
    expect(after!.runId).toBe(before!.runId);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  }, 60_000);

  test("retry: the second attempt gets retry_number 1 and succeeds", async () => {
    const p = await projects.open(project(python));
    const r = await p.materialize("flaky");
    expect(r.steps[0]).toMatchObject({ status: "success", attempts: 2 });
    expect((await p.store.latestMaterializations(["flaky"]))[0]!.metadata).toMatchObject({ attempt: 2 });
  }, 60_000);

  test("secrets are redacted from the script's output, its logs and its failure", async () => {
    redactor.add("tok-9f8e7d6c5b");
    const p = await projects.open(project(python));
    const r = await p.materialize("leaky");
    const step = r.steps[0]!;
    expect(step.status).toBe("failed");
    const events = JSON.stringify(await p.store.getEvents(r.runId!));
    const logs = await logsOf(p, r.runId, "leaky");
    expect(logs).toContain("token is [redacted]");
    expect(logs).toContain("logged token [redacted]");
    expect(JSON.stringify(step)).not.toContain("tok-9f8e7d6c5b");
    expect(JSON.stringify(step)).toContain("bad token [redacted]");
    expect(events).not.toContain("tok-9f8e7d6c5b");
  }, 60_000);

  test("cancel: the process gets SIGINT, the step ends canceled at once, nothing is recorded", async () => {
    const p = await projects.open(project(python));
    const ac = new AbortController();
    const running = p.materialize("slow", { signal: ac.signal });
    for (let i = 0; i < 400; i++) {
      const [run] = await p.store.listRuns({ status: "running" });
      if (run && (await logsOf(p, run.runId, "slow")).includes("slow started")) break;
      await Bun.sleep(25);
    }
    const t0 = performance.now();
    ac.abort();
    const r = await running;
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.status).toBe("canceled");
    expect(r.steps[0]).toMatchObject({ key: "slow", status: "canceled" });
    expect(await p.store.latestMaterializations(["slow"])).toEqual([]);
  }, 60_000);

  test("any executable: a shell script speaking Pipes by hand reports a materialization", async () => {
    const p = await projects.open(project(python));
    const r = await p.materialize("shell_counts");
    expect(r.steps[0]).toMatchObject({ status: "success" });
    expect((await p.store.latestMaterializations(["shell_counts"]))[0]).toMatchObject({ dataVersion: "sh-7", metadata: { files: 7 } });
    expect(await logsOf(p, r.runId, "shell_counts")).toContain("counted by sh");
  }, 60_000);

  test("partitions: each partition's script sees its partition_key and its output is stored under it", async () => {
    const p = await projects.open(project(python));
    const r = await p.backfill("by_region", { partitionSelection: "eu,asia" } as never);
    expect(r.status).toBe("success");
    const rows = await p.query<{ region: string; n: number }>("select region, n from by_region order by region");
    expect(rows).toEqual([{ region: "asia", n: 4 }, { region: "eu", n: 2 }]);
  }, 60_000);
});
