// The compiled dagx binary (scripts/build.ts, DuckDB embedded) run on a copy of examples/shop in a
// temp folder outside the repo: no node_modules, no bun, no source tree next to it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { VERSION } from "../../cli/version.ts";
import { DUCKDB_VERSION, dagxPlatform } from "../../io/platform/index.ts";
import { dagxDts, typeDeclarationsText } from "../../io/project/type-declarations.ts";
import { hostBinary } from "../support/binary.ts";
import { REPO, dagx, removeProject } from "./helpers.ts";

let tmp: string;
let bin: string;
let project: string;
let cache: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "dagx-bin-"));
  // reuse dist/dagx when it is newer than every source file; otherwise build a fresh one here
  bin = await hostBinary(tmp);
  project = join(tmp, "shop");
  cpSync(join(REPO, "examples/shop"), project, { recursive: true, filter: (src) => !relative(join(REPO, "examples/shop"), src).startsWith(".dagx") });
  cache = join(tmp, "xdg-cache");
  mkdirSync(cache);
}, 120_000);

afterAll(() => {
  if (tmp) removeProject(tmp);
});

const run = (args: string[]) => dagx(project, args, { bin, env: { XDG_CACHE_HOME: cache } });

describe("compiled binary on examples/shop", () => {
  test("the project is outside the repo and has no node_modules", () => {
    expect(relative(REPO, project).startsWith("..")).toBe(true);
    expect(existsSync(join(project, "node_modules"))).toBe(false);
    expect(existsSync(join(project, ".dagx"))).toBe(false);
  });

  test("materialize --json: all 7 steps succeed and the outputs exist", async () => {
    const r = await run(["materialize", "--json"]);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    const out = r.json<{ runId: string; status: string; steps: { key: string; status: string }[] }>();
    expect(out.status).toBe("success");
    expect(out.steps.length).toBe(7);
    expect(out.steps.map((s) => s.key).sort()).toEqual(["analytics/revenue_by_customer", "customers", "daily_revenue", "orders", "publish_report", "settings", "top_customers"]);
    expect(out.steps.every((s) => s.status === "success")).toBe(true);
    for (const f of ["orders/data.parquet", "customers/data.parquet", "daily_revenue/data.parquet", "top_customers/data.parquet", "analytics/revenue_by_customer/data.parquet", "settings/value.json"]) {
      expect([f, existsSync(join(project, ".dagx/data", f))]).toEqual([f, true]);
    }
    // DuckDB's native files were extracted into the temp XDG cache, not the user's
    expect(readdirSync(join(cache, "dagx")).some((d) => d.startsWith("duckdb-"))).toBe(true);
  }, 60_000);

  test("status --json: all fresh", async () => {
    const r = await run(["status", "--json"]);
    expect(r.code).toBe(0);
    const rows = r.json<{ key: string; status: string }[]>();
    expect(rows.length).toBe(7);
    expect(rows.filter((x) => x.status !== "fresh")).toEqual([]);
  }, 30_000);

  test("query over the assets", async () => {
    const r = await run(["query", "select count(*) as n from orders", "--json"]);
    expect(r.code).toBe(0);
    const rows = r.json<{ n: number }[]>();
    expect(rows.length).toBe(1);
    expect(typeof rows[0]!.n).toBe("number");
    expect(rows[0]!.n).toBeGreaterThan(0);
    const again = await run(["query", "select count(*) as n from orders where amount >= 0", "--json"]);
    expect(again.json<{ n: number }[]>()[0]!.n).toBeLessThanOrEqual(rows[0]!.n);
  }, 30_000);

  test("--help lists the commands", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    const text = r.stdout + r.stderr;
    for (const cmd of ["materialize", "status", "query", "list", "runs"]) expect(text).toContain(cmd);
  }, 30_000);

  test("bad usage from the binary is a clean message with exit 2", async () => {
    const r = await run(["materialize", "ordrs"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean "orders"');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 30_000);

  test("dagx types writes the embedded declarations (a text asset inside the binary)", async () => {
    const r = await run(["types", "--json"]);
    expect(r.code).toBe(0);
    const written = readFileSync(join(project, ".dagx/types/dagx.d.ts"), "utf8");
    expect(written).toBe(typeDeclarationsText(VERSION, "../../dagx.config"));
    expect(dagxDts().startsWith('declare module "dagx" {')).toBe(true);
  }, 30_000);

  test("--version names the version, platform, embedded DuckDB and Bun; --json as an object", async () => {
    const r = await run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`dagx ${VERSION} (${dagxPlatform()}, DuckDB ${DUCKDB_VERSION}, Bun ${Bun.version})\n`);
    const j = await run(["--version", "--json"]);
    expect(j.json()).toEqual({ version: VERSION, platform: dagxPlatform(), duckdb: DUCKDB_VERSION, bun: Bun.version, compiled: true });
  }, 30_000);

  test("doctor: the embedded DuckDB loads from the cache folder it was extracted to", async () => {
    const r = await run(["doctor", "--json"]);
    expect(r.code).toBe(0);
    const report = r.json<{ status: string; compiled: boolean; checks: { name: string; status: string; detail: string }[] }>();
    expect(report.compiled).toBe(true);
    const by = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(by.platform!.detail).toContain(`binary ${bin}`);
    expect(by.duckdb!.status).toBe("ok");
    expect(by.duckdb!.detail).toContain(`${DUCKDB_VERSION} (embedded, from ${join(cache, "dagx")}`);
    expect(by["duckdb cache"]!.status).toBe("ok");
    expect(by.state!.detail).toMatch(/schema \d+, \d+ runs?/);
  }, 30_000);
});
