// An upgrade never loses history: a state file made by dagx at 2764ffe (schema 4, code-version
// scheme 1; tests/fixtures/state-v4, remade by its make.sh) read by today's dagx. Everything the
// old CLI printed (old/) is still there; what was fresh stays fresh although code versions are now
// computed another way; a real code change still shows; the migration is atomic and idempotent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "bun";
import { DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { type CliResult, dagx, ok, runDagx } from "./helpers.ts";
import { SCHEMA_VERSION } from "../../io/state/_schema.ts";

const FIXTURE = join(import.meta.dir, "../fixtures/state-v4");
/** Where make.sh made it: 2764ffe hashed local imports with absolute paths, so scheme-1 versions of raw.asset.ts's assets hold here only. */
const HOME = "/tmp/dagx-state-v4-fixture";
const LOCK = `${HOME}.lock`;
const old = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURE, "old", `${name}.json`), "utf8")) as T;

/** The fixture as a project at `dir`: sources, outputs, and the state file unzipped. */
function unpack(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(FIXTURE, "project"), dir, { recursive: true });
  mkdirSync(join(dir, ".dagx"), { recursive: true });
  cpSync(join(FIXTURE, "dagx/data"), join(dir, ".dagx/data"), { recursive: true });
  writeFileSync(join(dir, ".dagx/state.duckdb"), gunzipSync(readFileSync(join(FIXTURE, "dagx/state.duckdb.gz"))));
}

async function sql(file: string, query: string, readOnly = true): Promise<Record<string, DuckDBValue>[]> {
  const db = await DuckDBInstance.create(file, readOnly ? { access_mode: "READ_ONLY" } : {});
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(query)).getRowObjectsJS() as Record<string, DuckDBValue>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

const history = (file: string) =>
  sql(file, `SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM materializations) AS mats,
    (SELECT string_agg(code_version, ',' ORDER BY asset_key, partition_key, ts) FROM materializations) AS history_versions,
    (SELECT count(*) FROM check_results) AS checks, (SELECT count(*) FROM ticks) AS ticks, (SELECT count(*) FROM run_requests) AS requests,
    (SELECT count(*) FROM backfill_partitions) AS backfill_parts, (SELECT count(*) FROM dynamic_partitions) AS dynamic`);

interface Status {
  key: string;
  status: string;
  causes: string[];
  checks: unknown;
  lastMaterialization: Record<string, unknown> | null;
  lastFailure: unknown;
}
const byKey = <T extends { key: string }>(list: T[]) => new Map(list.map((s) => [s.key, s]));
const statusOf = (r: CliResult) => byKey(ok(r).json<Status[]>());

// One folder at a fixed path: tests of other checkouts on this machine wait their turn.
beforeAll(async () => {
  for (const t0 = Date.now(); ; ) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 600_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() - t0 > 120_000) throw new Error(`${LOCK} is held: another run of this test is using ${HOME}`);
      await Bun.sleep(200);
    }
  }
  unpack(HOME);
});
afterAll(() => {
  rmSync(HOME, { recursive: true, force: true });
  rmSync(LOCK, { recursive: true, force: true });
});

describe("a state file made by 2764ffe (schema 4)", () => {
  const state = join(HOME, ".dagx/state.duckdb");
  const steps = mkdtempSync(join(tmpdir(), "dagx-upgrade-steps-"));
  afterAll(() => rmSync(steps, { recursive: true, force: true }));

  test("status: every materialization, failure and check result survives; fresh stays fresh, a real code change stays stale", async () => {
    copyFileSync(state, join(steps, "0-v4.duckdb"));
    const before = await history(state);
    const r = await runDagx(HOME, ["status", "--json"]);
    copyFileSync(state, join(steps, "1-first-open.duckdb"));
    expect(r.stderr).toContain("kept as fresh");
    const now = statusOf(r);
    const was = byKey(old<Status[]>("status"));
    expect([...now.keys()].sort()).toEqual([...was.keys()].sort());
    for (const [key, o] of was) {
      const n = now.get(key)!;
      expect({ key, status: n.status }).toEqual({ key, status: o.status });
      expect({ key, checks: n.checks, lastFailure: n.lastFailure }).toEqual({ key, checks: o.checks, lastFailure: o.lastFailure });
      if (key === "edited") expect(n.causes).toEqual([expect.stringMatching(/^code changed \(df9030a1 → [0-9a-f]{8}\)$/)]);
      else expect({ key, causes: n.causes }).toEqual({ key, causes: o.causes });
      if (o.lastMaterialization === null) {
        expect(n.lastMaterialization).toBeNull();
        continue;
      }
      // the same record; only the code version is now of the new scheme (an explicit one stays)
      const { codeVersion: oldCode, ...rest } = o.lastMaterialization;
      const { codeVersion: newCode, ...newRest } = n.lastMaterialization!;
      expect({ key, ...newRest }).toEqual({ key, ...rest });
      if (key === "pinned") expect(newCode).toBe("7");
      else if (key === "edited") expect(newCode).toBe(oldCode); // not adopted: its code changed
      else expect(newCode).not.toBe(oldCode);
    }
    // history as it was: counts, and the versions history rows were recorded with
    expect(await history(state)).toEqual(before);
    expect(await sql(state, "SELECT max(version) AS v FROM schema_version")).toEqual([{ v: SCHEMA_VERSION }]);
    const adopted = await sql(state, "SELECT asset_key, partitions FROM code_version_adoptions ORDER BY asset_key");
    expect(adopted.map((a) => a.asset_key)).toEqual(["daily_totals", "events", "flaky", "orders", "publish", "settings", "summary", "tenant_report"]);
  });

  test("runs, backfills, schedules, sensors (ticks, cursor) and dynamic partitions read as the old CLI printed them", async () => {
    const runs = ok(await runDagx(HOME, ["runs", "--json", "--limit", "100"])).json<Record<string, unknown>[]>();
    const oldRuns = old<Record<string, unknown>[]>("runs");
    expect(runs.length).toBe(oldRuns.length);
    oldRuns.forEach((o, i) => expect(runs[i]).toMatchObject(o)); // newer fields (tags) added, none lost
    const backfills = ok(await runDagx(HOME, ["backfill", "list", "--json"])).json<Record<string, unknown>[]>();
    expect(backfills.length).toBe(1);
    expect(backfills[0]).toMatchObject(old<Record<string, unknown>[]>("backfills")[0]!);
    const schedules = ok(await runDagx(HOME, ["schedules", "list", "--json"])).json<Record<string, unknown>[]>();
    const { nextTick: _, ...schedule } = old<Record<string, unknown>[]>("schedules")[0]!;
    expect(schedules[0]).toMatchObject(schedule);
    expect(ok(await runDagx(HOME, ["sensors", "list", "--json"])).json()).toEqual(old("sensors"));
    expect(ok(await runDagx(HOME, ["partitions", "list", "tenants", "--json"])).json()).toEqual(old("tenants"));
  });

  test("outputs are still readable", async () => {
    expect(ok(await runDagx(HOME, ["query", "select count(*) as n, sum(amount) as s from orders", "--json"])).json()).toEqual([{ n: 3, s: 17.5 }]);
    expect(ok(await runDagx(HOME, ["query", "select count(*) as n from events", "--json"])).json()).toEqual([{ n: 12 }]);
  });

  test("idempotent: a second open changes nothing; a migration that fails leaves the file at the previous version, and the next open finishes it", async () => {
    const once = await sql(state, "SELECT * FROM latest_materializations ORDER BY asset_key, partition_key");
    const r = await runDagx(HOME, ["status", "--json"]);
    expect(r.stderr).not.toContain("kept as fresh");
    expect(await sql(state, "SELECT * FROM latest_materializations ORDER BY asset_key, partition_key")).toEqual(once);
    expect(await sql(state, "SELECT count(*)::INTEGER AS n FROM code_version_adoptions")).toEqual([{ n: 8 }]);
    expect(await sql(state, "SELECT count(*)::INTEGER AS n FROM code_version_scheme")).toEqual([{ n: 1 }]);

    // migration 7 fails half-way (a table it creates is in the way): 5 and 6 commit, 7 leaves nothing
    const broken = join(steps, "2-broken.duckdb");
    copyFileSync(join(steps, "0-v4.duckdb"), broken);
    await sql(broken, "CREATE TABLE code_version_adoptions (x INTEGER)", false);
    const dir = join(steps, "project");
    cpSync(HOME, dir, { recursive: true });
    copyFileSync(broken, join(dir, ".dagx/state.duckdb"));
    const failed = await runDagx(dir, ["runs", "--json"]);
    expect(failed.code).not.toBe(0);
    const left = join(steps, "3-left.duckdb");
    copyFileSync(join(dir, ".dagx/state.duckdb"), left);
    expect(await sql(left, "SELECT max(version) AS v FROM schema_version")).toEqual([{ v: 6 }]);
    expect(await sql(left, "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 'code_version_scheme'")).toEqual([{ n: 0 }]);
    expect(await history(left)).toEqual(await history(join(steps, "0-v4.duckdb")));
    await sql(join(dir, ".dagx/state.duckdb"), "DROP TABLE code_version_adoptions", false);
    ok(await runDagx(dir, ["runs", "--json"]));
    expect(await sql(join(dir, ".dagx/state.duckdb"), "SELECT max(version) AS v FROM schema_version")).toEqual([{ v: SCHEMA_VERSION }]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("code-version adoption never hides a change", () => {
  test("an asset edited before the upgrade is stale for its code; its unchanged neighbours stay fresh (a process of its own: the file is edited)", async () => {
    unpack(HOME);
    const file = join(HOME, "raw.asset.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace("vat: 0.19", "vat: 0.2"));
    const st = byKey(ok(await dagx(HOME, ["status", "--json"])).json<Status[]>());
    expect(st.get("settings")!.status).toBe("stale");
    expect(st.get("settings")!.causes[0]).toMatch(/^code changed \(e5052b90 → /);
    expect(st.get("orders")!.status).toBe("fresh");
    // and stays so: the scheme is recorded, the next status does not look again
    const again = byKey(ok(await dagx(HOME, ["status", "--json"])).json<Status[]>());
    expect(again.get("settings")!.status).toBe("stale");
  });

  test("a project moved since 2764ffe: assets whose file imports local modules cannot be matched (2764ffe hashed absolute paths) and show stale, the others stay fresh", async () => {
    const moved = mkdtempSync(join(tmpdir(), "dagx-upgrade-moved-"));
    try {
      unpack(moved);
      const st = statusOf(await runDagx(moved, ["status", "--json"]));
      expect(st.get("orders")!.causes[0]).toMatch(/^code changed/);
      expect(st.get("settings")!.causes[0]).toMatch(/^code changed/);
      expect(st.get("pinned")!.status).toBe("fresh");
      expect(st.get("tenant_report")!.causes.join()).not.toContain("code changed");
      expect(st.get("events")!.causes.join()).not.toContain("code changed");
    } finally {
      rmSync(moved, { recursive: true, force: true });
    }
  });
});
