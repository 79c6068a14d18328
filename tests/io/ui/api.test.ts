/**
 * Every GET endpoint of the UI's API against examples/shop with a real DuckDB state (materialized
 * by the CLI in this process), checked against what the CLI's `--json` prints for the same thing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ok, runDagx } from "../../cli/helpers.ts";
import type { ApiAssetDetail, ApiAssets, ApiError, ApiMeta, ApiOverview, ApiPreview, ApiRunDetail, ApiRuns, ApiSelection } from "../../../core/ui-api.ts";
import type { UiServer } from "../../../io/ui/index.ts";
import { apiGet, copyShop, removeDir, startTestServer } from "./_server.ts";

let dir: string;
let server: UiServer;
let runId: string;

const get = async <T>(path: string, status = 200): Promise<T> => {
  const res = await apiGet(server, path);
  const body = await res.json();
  expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  return body as T;
};

beforeAll(async () => {
  dir = copyShop();
  runId = ok(await runDagx(dir, ["materialize", "--json"])).json<{ runId: string }>().runId;
  server = await startTestServer(dir);
});
afterAll(async () => {
  await server?.close();
  removeDir(dir);
});

describe("assets", () => {
  test("/api/assets: every asset with the fields of list --json and status --json", async () => {
    const { assets } = await get<ApiAssets>("/api/assets");
    const list = ok(await runDagx(dir, ["list", "--json"])).json<{ key: string; deps: string[]; group: string; codeVersion: string }[]>();
    const status = ok(await runDagx(dir, ["status", "--json"])).json<{ key: string; status: string; lastMaterialization: { runId: string } | null }[]>();
    expect(assets.map((a) => a.key)).toEqual(list.map((a) => a.key));
    for (const a of assets) {
      const l = list.find((x) => x.key === a.key)!;
      const s = status.find((x) => x.key === a.key)!;
      expect(a.deps).toEqual(l.deps);
      expect(a.group).toBe(l.group);
      expect(a.codeVersion).toBe(l.codeVersion);
      expect(a.status).toBe(s.status as never);
      expect(a.lastMaterialization?.runId).toBe(s.lastMaterialization?.runId);
      expect(a.runningRuns).toEqual([]);
      for (const d of a.deps) expect(assets.find((x) => x.key === d)!.downstream).toContain(a.key);
    }
    expect(assets.every((a) => a.status === "fresh")).toBe(true);
  });
  test("/api/assets/<key>: detail with status as status --json has it, and the history", async () => {
    const detail = await get<ApiAssetDetail>("/api/assets/analytics/revenue_by_customer");
    expect(detail.asset.key).toBe("analytics/revenue_by_customer");
    const [s] = ok(await runDagx(dir, ["status", "analytics/revenue_by_customer", "--json"])).json<unknown[]>();
    expect(detail.status).toEqual(s);
    expect(detail.history.length).toBe(1);
    expect(detail.history[0]!.runId).toBe(runId);
    expect(detail.history[0]!.schema!.length).toBeGreaterThan(0);
    expect(detail.checks.latest).toEqual([]);
    // the key URL-encoded as one segment (encodeURIComponent) is the same asset
    const encoded = await get<ApiAssetDetail>(`/api/assets/${encodeURIComponent("analytics/revenue_by_customer")}`);
    expect(encoded.asset.key).toBe("analytics/revenue_by_customer");
    expect((await get<ApiPreview>(`/api/assets/${encodeURIComponent("analytics/revenue_by_customer")}/preview`)).rows.length).toBeGreaterThan(0);
  });
  test("an unknown asset is a 404 with the error shape", async () => {
    const e = await get<ApiError>("/api/assets/nope", 404);
    expect(e.error.code).toBe("NOT_FOUND");
    expect(e.error.message).toContain('"nope"');
  });
  test("/api/assets/<key>/preview: the first rows through DuckDB", async () => {
    const p = await get<ApiPreview>("/api/assets/orders/preview");
    expect(p.columns.length).toBeGreaterThan(0);
    expect(p.rows.length).toBe(100);
    expect(p.truncated).toBe(true);
    const q = ok(await runDagx(dir, ["query", "select count(*) as n from orders", "--json"])).json<{ n: number }[]>();
    expect(q[0]!.n).toBeGreaterThan(100);
  });
  test("/api/assets/<key>/partitions of an unpartitioned asset is a 404", async () => {
    expect((await get<ApiError>("/api/assets/orders/partitions", 404)).error.message).toContain("not partitioned");
  });
  test("/api/selection: the CLI's parser; a bad selection gives the caret pointer", async () => {
    const s = await get<ApiSelection>(`/api/selection?q=${encodeURIComponent("+daily_revenue")}`);
    expect(s.keys).toContain("orders");
    expect(s.keys).toContain("daily_revenue");
    const e = await get<ApiError>(`/api/selection?q=${encodeURIComponent("group:raw and (")}`, 400);
    expect(e.error.code).toBe("SELECTION_SYNTAX");
    expect(e.error.pointer).toContain("^");
    const u = await get<ApiError>(`/api/selection?q=ordrs`, 400);
    expect(u.error.message).toContain("orders");
  });
});

describe("runs", () => {
  test("/api/runs: runs --json items (plus assets); filters by status, trigger, asset", async () => {
    const { runs } = await get<ApiRuns>("/api/runs");
    const cli = ok(await runDagx(dir, ["runs", "--json"])).json<unknown[]>();
    expect(runs.map(({ assets: _a, ...r }) => r)).toEqual(cli as never);
    expect(runs[0]!.runId).toBe(runId);
    expect(runs[0]!.assets).toContain("orders");
    expect((await get<ApiRuns>("/api/runs?status=failed")).runs).toEqual([]);
    expect((await get<ApiRuns>("/api/runs?trigger=cli")).runs.length).toBe(1);
    expect((await get<ApiRuns>("/api/runs?trigger=ui")).runs.length).toBe(0);
    expect((await get<ApiRuns>("/api/runs?asset=orders")).runs.length).toBe(1);
    expect((await get<ApiRuns>("/api/runs?asset=nope")).runs.length).toBe(0);
    expect((await get<ApiError>("/api/runs?status=weird", 400)).error.code).toBe("USAGE");
  });
  test("/api/runs/<id>: logs --json events; ?after= tails", async () => {
    const d = await get<ApiRunDetail>(`/api/runs/${runId}`);
    const cli = ok(await runDagx(dir, ["logs", runId, "--json"])).json<{ events: unknown[] }>();
    expect(d.events).toEqual(cli.events as never);
    const last = d.events.at(-1)!.seq;
    expect((await get<ApiRunDetail>(`/api/runs/${runId}?after=${last - 2}`)).events.map((e) => e.seq)).toEqual([last - 1, last]);
    expect((await get<ApiError>("/api/runs/nope", 404)).error.code).toBe("NOT_FOUND");
  });
});

describe("the rest", () => {
  test("/api/backfills, /api/schedules, /api/sensors, /api/ticks answer as the CLI", async () => {
    expect(await get("/api/backfills")).toEqual({ backfills: ok(await runDagx(dir, ["backfill", "list", "--json"])).json() });
    expect(await get("/api/schedules")).toEqual({ schedules: ok(await runDagx(dir, ["schedules", "list", "--json"])).json() });
    expect(await get("/api/sensors")).toEqual({ sensors: ok(await runDagx(dir, ["sensors", "list", "--json"])).json() });
    expect(await get("/api/ticks?name=nightly")).toEqual({ ticks: [] });
    expect((await get<ApiError>("/api/backfills/nope", 404)).error.code).toBe("NOT_FOUND");
  });
  test("/api/overview and /api/meta", async () => {
    const o = await get<ApiOverview>("/api/overview");
    expect(o.assets.fresh).toBe(7);
    expect(o.failedRuns).toEqual([]);
    expect(o.runningRuns).toEqual([]);
    const m = await get<ApiMeta>("/api/meta");
    expect(m.project).toEqual({ name: dir.split("/").pop()!, root: dir });
    expect(m.loadErrors).toEqual([]);
    expect(m.dagx.compiled).toBe(false);
  });
  test("a wrong method says which one", async () => {
    const res = await fetch(`${server.origin}/api/assets`, { method: "POST", headers: { "X-Dagx-Token": "test-token-0123456789abcdefghijklmnopqrstuv", Origin: server.origin } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
  });
});
