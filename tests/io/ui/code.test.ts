/**
 * GET /api/assets/<key>/code (the asset page's Code section) on a copy of examples/python-pipes with
 * a few assets of its own: a partitioned SQL asset (its compiled query, parameters bound for one
 * partition), the pipesAsset and the *.asset.py file (command, script text), a TS asset (file:line
 * only), and commands that name files outside the project (never read). Then, with the test venv's
 * Python, a materialization whose script reports a failing declared check with metadata and an
 * undeclared one: the asset's API document carries severity, blocking, metadata and the flag.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ApiAssetCode, ApiAssetDetail, ApiError } from "../../../core/ui-api.ts";
import type { UiServer } from "../../../io/ui/index.ts";
import { dagx } from "../../cli/helpers.ts";
import { pipesPython, pipesUnavailable } from "../../support/pipes.ts";
import { apiGet, REPO, removeDir, startTestServer } from "./_server.ts";

const DAILY_SQL = `-- One day of orders.
-- @partitions: daily(start=2024-01-01, end=2024-01-08)
select order_id, amount, $partition_key as day, $partition_start as since
from orders
where $partition_end is not null
`;
const OUTSIDE = `import { pipesAsset } from "dagx";
export const outside = pipesAsset({ command: ["python3", "../secret.py"] });
export const linked = pipesAsset({ command: ["python3", "scripts/link.py"] });
export const absolute = pipesAsset({ command: ["cat", "/etc/passwd"] });
`;
const REPORTER = `import { checkSpec, pipesAsset } from "dagx";
export const reporter = pipesAsset({
  command: ["python3", "scripts/reporter.py"],
  checks: [checkSpec("amounts_positive", { severity: "warn", blocking: false, description: "No negative amounts" }), checkSpec("ids_unique", { blocking: true })],
});
`;
const REPORTER_PY = `from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    context.report_asset_materialization(metadata={"rows": 3})
    context.report_asset_check("amounts_positive", passed=False, severity="WARN", metadata={"failing_rows": 2})
    context.report_asset_check("ids_unique", passed=True)
    context.report_asset_check("surprise", passed=True, metadata={"note": "<b>not html</b>"})
`;

let dir: string;
let outside: string;
let server: UiServer;

const get = async <T>(path: string, status = 200): Promise<T> => {
  const res = await apiGet(server, path);
  const body = await res.json();
  expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(status);
  return body as T;
};

beforeAll(async () => {
  outside = mkdtempSync(join(tmpdir(), "dagx-ui-outside-"));
  writeFileSync(join(outside, "secret.py"), "TOP_SECRET = 1\n");
  dir = join(outside, "project");
  cpSync(join(REPO, "examples/python-pipes"), dir, { recursive: true, filter: (src) => !/\/(\.dagx|\.venv)(\/|$)/.test(src) });
  writeFileSync(join(dir, "assets/orders_by_day.asset.sql"), DAILY_SQL);
  writeFileSync(join(dir, "assets/outside.asset.ts"), OUTSIDE);
  writeFileSync(join(dir, "assets/reporter.asset.ts"), REPORTER);
  writeFileSync(join(dir, "scripts/reporter.py"), REPORTER_PY);
  symlinkSync(join(outside, "secret.py"), join(dir, "scripts/link.py"));
  server = await startTestServer(dir);
});
afterAll(async () => {
  await server?.close();
  removeDir(outside);
});

describe("code", () => {
  test("a SQL asset: the query as dagx sql compiles it, its parameters, bound for one partition", async () => {
    const code = await get<ApiAssetCode>("/api/assets/orders_by_day/code");
    expect(code.kind).toBe("sql");
    expect(code.location).toBe(`${join(dir, "assets/orders_by_day.asset.sql")}:3`);
    const query = code.texts[0]!;
    expect(query.text).toBe("-- One day of orders.\n-- @partitions: daily(start=2024-01-01, end=2024-01-08)\nselect order_id, amount, $1 as day, $2 as since\nfrom orders\nwhere $3 is not null");
    expect(code.sql).toEqual({
      partition: null,
      params: [
        { index: 1, name: "partition_key", value: null },
        { index: 2, name: "partition_start", value: null },
        { index: 3, name: "partition_end", value: null },
      ],
      upstreams: ["orders"],
      external: [],
    });
    expect(code.texts[1]).toMatchObject({ label: "file", file: join(dir, "assets/orders_by_day.asset.sql"), text: DAILY_SQL, language: "sql" });
    const bound = await get<ApiAssetCode>("/api/assets/orders_by_day/code?partition=2024-01-03");
    expect(bound.sql!.partition).toBe("2024-01-03");
    expect(bound.sql!.params.map((p) => p.value)).toEqual(["2024-01-03", "2024-01-03T00:00:00.000Z", "2024-01-04T00:00:00.000Z"]);
    // the same as the CLI prints
    const cli = await dagx(dir, ["sql", "orders_by_day", "--partition", "2024-01-03", "--json"]);
    expect(JSON.parse(cli.stdout)).toMatchObject({ sql: bound.texts[0]!.text, params: bound.sql!.params });
    const bad = await get<ApiError>("/api/assets/orders_by_day/code?partition=2031-01-01", 400);
    expect(bad.error.message).toContain('Unknown partition "2031-01-01"');
    const unpartitioned = await get<ApiAssetCode>("/api/assets/segments/code");
    expect(unpartitioned.texts[0]!.text).toContain("from customer_scores");
    expect(unpartitioned.sql!.params).toEqual([]);
  }, 30_000);

  test("a pipesAsset: its command and the script it names; a *.asset.py file: its text", async () => {
    const code = await get<ApiAssetCode>("/api/assets/customer_scores/code");
    expect(code.kind).toBe("pipes");
    expect(code.pipes).toEqual({ command: ["python3", "scripts/score.py"], script: join(dir, "scripts/score.py") });
    expect(code.texts[0]!.language).toBe("python");
    expect(code.texts[0]!.text).toContain("open_dagster_pipes");
    expect(code.location).toContain("assets/scores.asset.ts:");
    expect(code.checks.map((c) => [c.name, c.kind, c.blocking])).toContainEqual(["scores_in_range", "reported", true]);
    const py = await get<ApiAssetCode>("/api/assets/high_value/code");
    expect(py.kind).toBe("pipes");
    expect(py.pipes!.script).toBe(join(dir, "assets/high_value.asset.py"));
    expect(py.pipes!.command.at(-1)).toBe("assets/high_value.asset.py");
    expect(py.texts[0]!.text).toContain("# @ins: customer_scores");
    expect(py.location).toBe(`${join(dir, "assets/high_value.asset.py")}:1`);
  });

  test("files outside the project are never read: a ../ path, a symlink out, an absolute path", async () => {
    for (const key of ["outside", "linked", "absolute"]) {
      const code = await get<ApiAssetCode>(`/api/assets/${key}/code`);
      expect(code.pipes!.script, key).toBeNull();
      expect(code.texts, key).toEqual([]);
      expect(JSON.stringify(code)).not.toContain("TOP_SECRET");
      expect(JSON.stringify(code)).not.toContain("root:");
    }
  });

  test("a TS asset: its file:line only; an unknown key is a 404; the token is needed", async () => {
    const code = await get<ApiAssetCode>("/api/assets/orders/code");
    expect(code).toMatchObject({ kind: "ts", texts: [], sql: null, dbt: null, pipes: null });
    expect(code.location).toBe(`${join(dir, "assets/orders.asset.ts")}:4`);
    expect((await get<ApiError>("/api/assets/nope/code", 404)).error.code).toBe("NOT_FOUND");
    expect((await fetch(`${server.origin}/api/assets/orders/code`)).status).toBe(401);
  });
});

const unavailable = pipesUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/io/ui/code.test.ts checks: ${unavailable}`);

describe.skipIf(unavailable !== undefined)("checks a step reports", () => {
  test("severity, blocking, metadata (failing rows) and the undeclared flag reach the asset's document", async () => {
    const env = { PATH: `${dirname(await pipesPython())}:${process.env.PATH}` };
    const r = await dagx(dir, ["materialize", "reporter"], { env });
    expect(r.code, r.stderr).toBe(0);
    const detail = await get<ApiAssetDetail>("/api/assets/reporter");
    const by = Object.fromEntries(detail.checks.latest.map((c) => [c.check, c]));
    expect(by.amounts_positive).toMatchObject({ passed: false, severity: "warn", blocking: false, metadata: { failing_rows: 2 } });
    expect(by.ids_unique).toMatchObject({ passed: true, severity: "error", blocking: true });
    expect(by.surprise).toMatchObject({ passed: true, blocking: false });
    expect(by.surprise!.metadata).toMatchObject({ "dagx/undeclared": true, note: "<b>not html</b>" });
    const code = await get<ApiAssetCode>("/api/assets/reporter/code");
    expect(code.checks.map((c) => c.name)).toEqual(["amounts_positive", "ids_unique"]);
  }, 120_000);
});
