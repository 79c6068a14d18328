// `*.asset.py` files through the CLI (`dagx` spawned, `query` and the daemon wait's polls in this process; the test venv's python with the unmodified
// dagster-pipes client): the `python` entry of dagx.config.ts, checks declared in the header,
// code versions that follow local imports, backfills of partitioned scripts, `--stale`, and a
// schedule that targets a Python asset.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, makeProject, ok, removeProject, runDagx } from "../../cli/helpers.ts";
import { pipesPython, pipesUnavailable } from "../../support/pipes.ts";

const unavailable = pipesUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/pipes/py-cli: ${unavailable}`);

const dirs: string[] = [];
let python = "";
/** No override in the environment: the config (or `python3` on PATH) decides. */
const NO_OVERRIDE = { DAGX_PYTHON: "", DAGX_UV: "" };

function project(files: Record<string, string>): string {
  const dir = makeProject({ ".dagx/.keep": "", ...files }, "dagx-py-cli-");
  dirs.push(dir);
  return dir;
}

const ORDERS_TS = `import { asset } from "dagx";\nexport const orders = asset(() => [{ id: 1, amount: 10 }, { id: 2, amount: 30 }]);\n`;

describe.skipIf(unavailable !== undefined)("*.asset.py through the CLI", () => {
  beforeAll(async () => {
    python = await pipesPython();
  }, 600_000);
  afterAll(() => dirs.forEach(removeProject));

  test("python.executable in dagx.config.ts (an argv) runs the file; $DAGX_PYTHON overrides it", async () => {
    const dir = project({
      "orders.asset.ts": ORDERS_TS,
      "wrap.sh": `echo "$@" >> calls.txt\nexec "${python}" "$@"\n`,
      "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({\n  python: { executable: ["sh", "wrap.sh"] },\n});\n`,
      "total.asset.py": `# @deps: orders\nimport sys\nfrom dagster_pipes import open_dagster_pipes\nwith open_dagster_pipes() as context:\n    context.report_asset_materialization(metadata={"exe": sys.executable})\n`,
    });
    ok(await dagx(dir, ["materialize", "*"], { env: NO_OVERRIDE }));
    expect(readFileSync(join(dir, "calls.txt"), "utf8")).toBe("total.asset.py\n");
    // the environment's override wins over the config
    ok(await dagx(dir, ["materialize", "total"], { env: { DAGX_PYTHON: python } }));
    expect(readFileSync(join(dir, "calls.txt"), "utf8")).toBe("total.asset.py\n");
  }, 60_000);

  test("a bad python entry is a config error at its line", async () => {
    const cases: [string, RegExp][] = [
      [`python: { executable: 3 }`, /dagx\.config\.ts:3: python\.executable must be a path \("\.venv\/bin\/python", "python3"\) or a non-empty argv list/],
      [`python: { uv: [] }`, /dagx\.config\.ts:3: python\.uv must be a path \("uv", "\/opt\/uv\/bin\/uv"\) or a non-empty argv list/],
      [`python: { interpreter: "python3" }`, /dagx\.config\.ts:3: unknown key "python\.interpreter" — python takes executable and uv/],
      [`python: { executible: "python3" }`, /dagx\.config\.ts:3: unknown key "python\.executible" — did you mean "executable"/],
      [`python: "python3"`, /dagx\.config\.ts:3: python must be an object like python: \{ executable: "\.venv\/bin\/python" \}/],
    ];
    for (const [entry, expected] of cases) {
      const dir = project({ "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({\n  ${entry},\n} as never);\n` });
      const r = await runDagx(dir, ["list"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(expected);
    }
  }, 60_000);
});

const CHECKED_PY = `# @ins: orders
# @checks: not_null(id), unique(id)
# @check_specs: complete(blocking), drift(severity=warn)
import os
import pyarrow as pa, pyarrow.parquet as pq
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    dagx = context.extras["dagx"]
    t = pa.concat_tables([pq.read_table(p) for p in dagx["inputs"]["orders"]["paths"]])
    pq.write_table(t, dagx["output"]["path"])
    context.report_asset_check("complete", passed=os.environ.get("INCOMPLETE") != "1", metadata={"rows": t.num_rows})
    context.report_asset_check("drift", passed=False, severity="WARN")
    context.report_asset_check("surprise", passed=True)
`;

describe.skipIf(unavailable !== undefined)("checks declared in a *.asset.py header", () => {
  beforeAll(async () => {
    python = await pipesPython();
  }, 600_000);

  test("built-in @checks run on the Parquet the script wrote; @check_specs make its reports declared checks; a failed blocking one skips downstream", async () => {
    const dir = project({
      "orders.asset.ts": ORDERS_TS,
      "clean.asset.py": CHECKED_PY,
      "report.asset.sql": "select count(*) as n from clean\n",
    });
    const env = { DAGX_PYTHON: python };
    const r = await dagx(dir, ["materialize", "*", "--json"], { env });
    expect(r.code).toBe(0);
    type Check = { check: string; passed: boolean; severity: string; blocking: boolean; metadata: Record<string, unknown> };
    const steps = r.json<{ steps: { key: string; status: string; checks?: Check[] }[] }>().steps;
    const clean = steps.find((s) => s.key === "clean")!;
    expect(clean.checks!.map((c) => [c.check, c.passed, c.severity, c.blocking, c.metadata["dagx/undeclared"] ?? false]).sort()).toEqual([
      ["complete", true, "error", true, false],
      ["drift", false, "warn", false, false],
      ["notNull(id)", true, "error", false, false],
      ["surprise", true, "error", false, true],
      ["unique(id)", true, "error", false, false],
    ]);
    expect(r.stderr).toContain('reported check "surprise", which it does not declare');
    expect(r.stderr).not.toContain('"complete", which it does not declare');
    // the blocking check fails: the script's step fails its check, the SQL asset downstream is skipped
    const r2 = await dagx(dir, ["materialize", "*", "--json"], { env: { ...env, INCOMPLETE: "1" } });
    const steps2 = r2.json<{ steps: { key: string; status: string; checks?: Check[] }[] }>().steps;
    expect(steps2.find((s) => s.key === "clean")!.checks!.find((c) => c.check === "complete")).toMatchObject({ passed: false, blocking: true, metadata: { rows: 2 } });
    expect(steps2.find((s) => s.key === "report")!.status).toBe("skipped");
  }, 60_000);
});

describe.skipIf(unavailable !== undefined)("code version of a *.asset.py file: the script and its local imports", () => {
  beforeAll(async () => {
    python = await pipesPython();
  }, 600_000);

  test("editing an imported helper module makes the asset (and downstream) stale, and --stale re-runs them; an unrelated file does not", async () => {
    const dir = project({
      "orders.asset.ts": ORDERS_TS,
      "ml/score.asset.py": `# @ins: orders\nimport pyarrow as pa, pyarrow.parquet as pq\nfrom dagster_pipes import open_dagster_pipes\nfrom features import factor\n\nwith open_dagster_pipes() as context:\n    dagx = context.extras["dagx"]\n    t = pa.concat_tables([pq.read_table(p) for p in dagx["inputs"]["orders"]["paths"]])\n    pq.write_table(pa.table({"id": t.column("id"), "score": [a * factor() for a in t.column("amount").to_pylist()]}), dagx["output"]["path"])\n`,
      "ml/features.py": "from lib.scale import BASE\n\ndef factor():\n    return BASE\n",
      "lib/__init__.py": "",
      "lib/scale.py": "BASE = 2\n",
      "lib/unrelated.py": "X = 1\n",
      "notes.py": "print('not imported')\n",
      "report.asset.sql": "select sum(score) as total from score\n",
    });
    const env = { DAGX_PYTHON: python };
    const statusOf = async () => Object.fromEntries(ok(await dagx(dir, ["status", "--json"], { env })).json<{ key: string; status: string; causes: string[] }[]>().map((a) => [a.key, a.status]));
    ok(await dagx(dir, ["materialize", "*"], { env }));
    expect(await statusOf()).toEqual({ orders: "fresh", score: "fresh", report: "fresh" });
    // files the script does not import change nothing
    writeFileSync(join(dir, "lib/unrelated.py"), "X = 2\n");
    writeFileSync(join(dir, "notes.py"), "print('still not imported')\n");
    expect(await statusOf()).toEqual({ orders: "fresh", score: "fresh", report: "fresh" });
    // a module imported by a module the script imports
    writeFileSync(join(dir, "lib/scale.py"), "BASE = 3\n");
    const stale = await statusOf();
    expect(stale.score).toBe("stale");
    expect(stale.orders).toBe("fresh");
    const r = await dagx(dir, ["materialize", "--stale", "--json"], { env });
    expect(r.code).toBe(0);
    expect(r.json<{ steps: { key: string; status: string }[] }>().steps.map((s) => [s.key, s.status])).toEqual([["score", "success"], ["report", "success"]]);
    expect(ok(await runDagx(dir, ["query", "select total from report", "--json"], { env })).json<unknown[]>()).toEqual([{ total: 120 }]);
    expect(await statusOf()).toEqual({ orders: "fresh", score: "fresh", report: "fresh" });
  }, 90_000);
});

const DAILY_PY = `# @partitions: daily(start=2024-01-01)
# @ins: events
import json
import pyarrow as pa, pyarrow.parquet as pq
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    dagx = context.extras["dagx"]
    t = pa.concat_tables([pq.read_table(p) for p in dagx["inputs"]["events"]["paths"]])
    window = context.partition_time_window
    pq.write_table(pa.table({
        "day": [context.partition_key],
        "window_start": [window["start"]],
        "window_end": [window["end"]],
        "events": [t.num_rows],
        "seen": [",".join(str(d) for d in t.column("day").to_pylist())],
    }), dagx["output"]["path"])
`;

describe.skipIf(unavailable !== undefined)("*.asset.py as any asset: backfills and schedules", () => {
  beforeAll(async () => {
    python = await pipesPython();
  }, 600_000);

  test("a backfill of a partitioned *.asset.py over 3 days: each step sees its partition_key and partition_time_window, and its input's partition", async () => {
    const dir = project({
      "events.asset.ts": `import { asset, daily } from "dagx";\nexport const events = asset({ partitions: daily({ start: "2024-01-01" }) }, (ctx) => [{ day: ctx.partition.key }, { day: ctx.partition.key }]);\n`,
      "daily_stats.asset.py": DAILY_PY,
    });
    const env = { DAGX_PYTHON: python };
    const r = await dagx(dir, ["backfill", "*", "--partitions", "2024-01-02..2024-01-04", "--json"], { env });
    if (r.code !== 0) throw new Error(r.stderr);
    const rows = ok(await runDagx(dir, ["query", "select day, window_start, window_end, events, seen from daily_stats order by day", "--json"], { env })).json<Record<string, unknown>[]>();
    expect(rows.map((x): Record<string, unknown> => ({ ...x, window_start: String(x.window_start).slice(0, 10), window_end: String(x.window_end).slice(0, 10) }))).toEqual([
      { day: "2024-01-02", window_start: "2024-01-02", window_end: "2024-01-03", events: 2, seen: "2024-01-02,2024-01-02" },
      { day: "2024-01-03", window_start: "2024-01-03", window_end: "2024-01-04", events: 2, seen: "2024-01-03,2024-01-03" },
      { day: "2024-01-04", window_start: "2024-01-04", window_end: "2024-01-05", events: 2, seen: "2024-01-04,2024-01-04" },
    ]);
    const status = ok(await dagx(dir, ["status", "daily_stats", "--json"], { env })).json<{ partitions: { materialized: number } }[]>();
    expect(status[0]!.partitions.materialized).toBe(3);
  }, 90_000);

  test("a schedule and a sensor target *.asset.py files by key; the daemon runs them", async () => {
    const dir = project({
      "ping.asset.py": `from dagster_pipes import open_dagster_pipes\nwith open_dagster_pipes() as context:\n    context.report_asset_materialization(metadata={"run": context.run_id})\n`,
      "pong.asset.py": `from dagster_pipes import open_dagster_pipes\nwith open_dagster_pipes() as context:\n    context.report_asset_materialization(metadata={"from": "sensor"})\n`,
      "automation.asset.ts": `import { schedule, sensor } from "dagx";
export const every_second = schedule({ cron: "*/1 * * * * *", select: "ping" });
export const once = sensor({ interval: "1s", select: "pong" }, (ctx) => (ctx.cursor ? { skipReason: "done" } : { runRequests: [{ runKey: "first" }], cursor: "1" }));
`,
    });
    const env = { DAGX_PYTHON: python };
    const listed = ok(await dagx(dir, ["schedules", "list", "--json"], { env })).json<{ name: string; assets: string[] }[]>();
    expect(listed).toMatchObject([{ name: "every_second", assets: ["ping"] }]);
    const { startLive } = await import("../../cli/live.ts");
    const d = startLive(dir, ["daemon"], env);
    try {
      await d.waitFor("daemon started: 1 schedule(s), 1 sensor(s)", { timeoutMs: 30_000 });
      const deadline = Date.now() + 45_000;
      let statuses: Record<string, string> = {};
      while (Date.now() < deadline) {
        const s = await runDagx(dir, ["status", "--json"], { env }); // in this process: a poll, and no asset file changes here
        if (s.code === 0) statuses = Object.fromEntries(s.json<{ key: string; status: string }[]>().map((a) => [a.key, a.status]));
        if (statuses.ping === "fresh" && statuses.pong === "fresh") break;
        await Bun.sleep(500);
      }
      expect(statuses).toEqual({ ping: "fresh", pong: "fresh" });
    } finally {
      await d.stop("SIGTERM");
    }
  }, 90_000);
});
