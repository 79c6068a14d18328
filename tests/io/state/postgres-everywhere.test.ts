/**
 * Every command of a project whose state is in Postgres uses that state, never a `.dagx/state.duckdb`
 * beside it: the web UI (its reads, its asset history and its live change stream), `dagx dev`,
 * `dagx types`, `dagx gc` (no file size to report) and `dagx doctor` (the database is checked).
 * Before this, `ui`, `dev` and `types` opened the DuckDB file whatever the setting: the UI showed an
 * empty project, and dev recorded its runs where no other command looked.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, ok, removeProject, runDagx } from "../../cli/helpers.ts";
import { startLive } from "../../cli/live.ts";
import { apiGet, readEvents, startTestServer, TOKEN } from "../ui/_server.ts";
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

/** A project whose `.env` names a fresh Postgres state (what a team sets once). */
function project(extra: Record<string, string> = {}): string {
  const dir = makeProject({ ...ASSETS, ".env": `DAGX_STATE_URL=${pg.url()}\n`, ...extra }, "dagx-pgall-");
  dirs.push(dir);
  return dir;
}
const noStateFile = (dir: string) => expect(existsSync(join(dir, ".dagx", "state.duckdb"))).toBe(false);

describe("the UI on a Postgres state", () => {
  test("runs, asset status and history come from Postgres; a run of another process reaches the open stream", async () => {
    const dir = project();
    ok(await runDagx(dir, ["materialize", "*"]));
    const [run] = ok(await runDagx(dir, ["runs", "--json"])).json<{ runId: string }[]>();
    const server = await startTestServer(dir, { pollMs: 50 });
    try {
      const runs = (await (await apiGet(server, "/api/runs")).json()) as { runs: { runId: string }[] };
      expect(runs.runs.map((r) => r.runId)).toEqual([run!.runId]);
      const detail = (await (await apiGet(server, "/api/assets/a")).json()) as { status: { status: string }; history: { runId: string }[] };
      expect(detail.status.status).toBe("fresh");
      expect(detail.history.map((h) => h.runId)).toEqual([run!.runId]);

      const stream = await fetch(`${server.origin}/api/events`, { headers: { Cookie: `dagx_token=${TOKEN}`, Origin: server.origin } });
      await Bun.sleep(300); // the feed's baseline is taken
      const second = runDagx(dir, ["materialize", "a"]);
      const { events } = await readEvents(stream, (evs) => evs.some((e) => e.event === "change" && e.data.includes("assets")), 10_000);
      ok(await second);
      expect(events.some((e) => e.event === "change" && e.data.includes("assets"))).toBe(true);
      const after = (await (await apiGet(server, "/api/assets/a")).json()) as { history: unknown[] };
      expect(after.history.length).toBe(2);
    } finally {
      await server.close();
    }
    noStateFile(dir);
  }, 60_000);
});

describe("other commands on a Postgres state", () => {
  test("dagx dev records its runs in Postgres", async () => {
    const dir = project();
    const live = startLive(dir, ["dev", "--no-ui", "--no-daemon"]);
    try {
      await live.waitFor("watching for changes", { timeoutMs: 30_000 });
      const m = live.mark();
      writeFileSync(join(dir, "a.asset.ts"), readFileSync(join(dir, "a.asset.ts"), "utf8").replace("x: 2", "x: 3"));
      await live.waitFor(/✔ up to date \(run \S+\)/, { from: m, timeoutMs: 30_000 });
    } finally {
      await live.stop();
    }
    const runs = ok(await runDagx(dir, ["runs", "--json"])).json<{ trigger: string; status: string }[]>();
    expect(runs.map((r) => [r.trigger, r.status])).toContainEqual(["dev", "success"]);
    noStateFile(dir);
  }, 60_000);

  test("dagx dev joins the deployment's daemon election: beside a leading `dagx daemon` it stands by and ticks nothing", async () => {
    const url = pg.url();
    const schedule = { "s.asset.ts": `import { asset, schedule } from "dagx";\nexport const s = asset(() => [{ at: 1 }]);\nexport const every = schedule({ cron: "*/1 * * * * *", select: "s" });\n` };
    const daemonDir = project({ ...schedule, ".env": `DAGX_STATE_URL=${url}\n` });
    const devDir = project({ ...schedule, ".env": `DAGX_STATE_URL=${url}\n` });
    const daemon = startLive(daemonDir, ["daemon", "--max-runs", "1"]);
    let dev: ReturnType<typeof startLive> | null = null;
    try {
      await daemon.waitFor("elected leader (term ", { timeoutMs: 30_000 });
      dev = startLive(devDir, ["dev", "--no-ui"]);
      await dev.waitFor("standby: leader is ", { timeoutMs: 30_000 });
      await daemon.waitFor(/schedule every: tick \S+ requested a run/, { timeoutMs: 15_000 });
      await Bun.sleep(1500);
      expect(dev.text()).not.toMatch(/schedule every: tick/);
    } finally {
      await dev?.stop();
      await daemon.stop();
    }
    noStateFile(devDir);
  }, 60_000);

  test("dagx types, gc and doctor read Postgres and make no state file", async () => {
    const dir = project({
      "c.asset.sql": `-- @asset c\nselect y + 1 as z from {{ ref('b') }}\n`,
    });
    ok(await runDagx(dir, ["materialize", "*"]));
    ok(await runDagx(dir, ["types"]));
    const gc = ok(await runDagx(dir, ["gc", "--keep", "0s", "--dry-run", "--json"])).json<{ stateBytesBefore: number | null }>();
    expect(gc.stateBytesBefore).toBeNull();
    const doctor = await runDagx(dir, ["doctor", "--json"]);
    const checks = doctor.json<{ checks: { name: string; status: string; detail: string }[] }>().checks;
    const state = checks.find((c) => c.name === "state")!;
    expect(state.status).toBe("ok");
    expect(state.detail).toMatch(/Postgres state dagx@127\.0\.0\.1:\d+\/postgres.*schema \d+, 1 run$/);
    expect(doctor.stdout + doctor.stderr).not.toContain(pg.server().password);
    noStateFile(dir);
  }, 60_000);
});
