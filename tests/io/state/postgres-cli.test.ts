/**
 * The CLI on a Postgres state (issue 17 item 1): chosen by DAGX_STATE_URL or by `state:` in
 * dagx.config.ts, `dagx materialize`, `runs` and `status` read and write it (no .dagx/state.duckdb is
 * made), and a wrong password fails with exit 1 and a message that never holds it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { makeProject, ok, removeProject, runDagx } from "../../cli/helpers.ts";
import { postgresPerFile } from "./fresh-stores.ts";

const pg = postgresPerFile();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

const ASSETS = {
  "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => [{ x: 1 }, { x: 2 }]);\n`,
  "b.asset.ts": `import { asset } from "dagx";\nimport { a } from "./a.asset";\nexport const b = asset({ ins: { a } }, (ctx, { a }) => ctx.sql\`select x * 10 as y from \${a}\`);\n`,
};
const project = (extra: Record<string, string> = {}) => {
  const dir = makeProject({ ...ASSETS, ...extra }, "dagx-pgstate-");
  dirs.push(dir);
  return dir;
};

describe("a project whose state is in Postgres", () => {
  test("DAGX_STATE_URL: materialize, runs and status use Postgres, and no state file is made", async () => {
    const dir = project();
    const env = { DAGX_STATE_URL: pg.url() };
    ok(await runDagx(dir, ["materialize", "*"], { env }));
    const runs = ok(await runDagx(dir, ["runs", "--json"], { env })).json<{ runId: string; status: string }[] | { runs: { runId: string; status: string }[] }>();
    const list = Array.isArray(runs) ? runs : runs.runs;
    expect(list.map((r) => r.status)).toEqual(["success"]);
    const status = ok(await runDagx(dir, ["status", "--json"], { env })).json<{ key: string; status: string; lastMaterialization: { runId: string } | null }[]>();
    expect(status.map((s) => [s.key, s.status])).toEqual([["a", "fresh"], ["b", "fresh"]]);
    expect(status[0]!.lastMaterialization?.runId).toBe(list[0]!.runId);
    expect(existsSync(join(dir, ".dagx", "state.duckdb"))).toBe(false);
    // the same state from a second checkout of the project: what the first one recorded
    const other = project();
    const again = ok(await runDagx(other, ["runs", "--json"], { env })).json<unknown>();
    expect(JSON.stringify(again)).toContain(list[0]!.runId);
  }, 60_000);

  test("backfill of 31 daily partitions with a daily window downstream, then backfill list, status, logs and gc --dry-run, all on Postgres", async () => {
    const dir = project({
      "events.asset.ts": [
        `import { asset, daily, timeWindow } from "dagx";`,
        `export const events = asset({ partitions: daily({ start: "2024-01-01" }) }, (ctx) => [{ day: ctx.partition!.key }]);`,
        `export const rolling = asset({ partitions: daily({ start: "2024-01-01" }), ins: { events }, mappings: { events: timeWindow({ offset: [-2, 0] }) } },`,
        `  (ctx, { events }) => ctx.sql\`select count(*) as n from \${events}\`);`,
      ].join("\n"),
    });
    const env = { DAGX_STATE_URL: pg.url() };
    const b = ok(await runDagx(dir, ["backfill", "events+", "--partitions", "2024-01-01..2024-01-31", "--json"], { env })).json<{ backfillId: string; runId: string; status: string; counts: { success: number } }>();
    expect([b.status, b.counts.success]).toEqual(["success", 62]);
    const list = ok(await runDagx(dir, ["backfill", "list", "--json"], { env })).json<{ backfillId: string; status: string }[]>();
    expect(list.map((x) => [x.backfillId, x.status])).toEqual([[b.backfillId, "success"]]);
    const status = ok(await runDagx(dir, ["status", "--json"], { env })).json<{ key: string; partitions?: { materialized: number; stale: number } }[]>();
    const byKey = new Map(status.map((s) => [s.key, s]));
    expect(byKey.get("events")!.partitions).toMatchObject({ materialized: 31, stale: 0 });
    expect(byKey.get("rolling")!.partitions).toMatchObject({ materialized: 31, stale: 0 });
    ok(await runDagx(dir, ["logs", b.runId], { env }));
    const gc = ok(await runDagx(dir, ["gc", "--keep", "0s", "--dry-run", "--json"], { env })).json<{ runs: number; dryRun: boolean }>();
    expect(gc).toMatchObject({ runs: 1, dryRun: true });
    expect(existsSync(join(dir, ".dagx", "state.duckdb"))).toBe(false);
  }, 60_000);

  test("state: env(…) in dagx.config.ts, resolved from .env: materialize, then runs (which loads only the config)", async () => {
    const dir = project({
      "dagx.config.ts": `import { defineConfig, env } from "dagx";\nexport default defineConfig({ state: env("PG_STATE_URL") });\n`,
      ".env": `PG_STATE_URL=${pg.url()}\n`,
    });
    ok(await runDagx(dir, ["materialize", "a"]));
    const runs = ok(await runDagx(dir, ["runs"]));
    expect(runs.stdout).toContain("success");
    expect(existsSync(join(dir, ".dagx", "state.duckdb"))).toBe(false);
  }, 60_000);

  test("a wrong password: exit 1, the database named, the password in no output", async () => {
    const dir = project();
    const server = pg.server();
    const secret = "N0tThePassw0rd-123";
    const env = { DAGX_STATE_URL: server.url.replace(`:${server.password}@`, `:${secret}@`) };
    for (const args of [["materialize", "*"], ["runs", "--json"], ["status", "--json"]]) {
      const r = await runDagx(dir, args, { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Postgres state dagx@127.0.0.1:${server.port}/postgres`);
      expect(r.stderr).toContain("password authentication failed");
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
  }, 60_000);

  test("state: a value that is not a postgres:// URL is a config error that does not quote it", async () => {
    const dir = project({ "dagx.config.ts": `export default { state: "mysql://u:hunter22@h/db" };\n` });
    const r = await runDagx(dir, ["materialize", "*"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Invalid config at dagx.config.ts:1: state must be a Postgres URL");
    expect(r.stderr).not.toContain("hunter22");
  });
});
