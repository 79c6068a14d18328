// Staleness you can trust (DESIGN §7), through the real CLI: code versions from function source and
// local helper modules, causes that propagate downstream, `--stale`, and early cutoff on data versions.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type CliResult, dagx, makeProject, removeProject, runDagx } from "./helpers.ts";

/** In this process until an imported asset or helper file is edited; after that, spawned (a process keeps the modules it imported). */
type Cli = (dir: string, args: string[]) => Promise<CliResult>;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

interface StatusJson {
  key: string;
  status: string;
  causes: string[];
  lastMaterialization: { runId: string; dataVersion: string; codeVersion: string } | null;
}
interface RunJson {
  runId: string | null;
  status: string;
  steps: { key: string; status: string; rows: number | null; reason?: string }[];
}

const UP = (body: string) => `import { asset } from "dagx";\nimport { label } from "./helpers/label";\n\nexport const up = asset((ctx) => ${body});\n`;
const FILES = {
  "up.asset.ts": UP("ctx.sql`select 1 as id, ${label()} as name union all select 2, 'y'`"),
  "helpers/label.ts": `export const label = (): string => "x";\n`,
  "down.asset.ts": [
    `import { asset } from "dagx";`,
    `import { up } from "./up.asset";`,
    `export const down = asset({ ins: { up } }, (ctx, { up }) => ctx.sql\`select count(*) as n, max(name) as top from \${up}\`);`,
    `export const report = asset({ ins: { down } }, async (ctx, { down }) => ({ rows: (await down.rows()).length }));`,
    ``,
  ].join("\n"),
  "other.asset.ts": `import { asset } from "dagx";\nexport const other = asset(() => [{ k: "unrelated" }]);\n`,
};

async function fresh(files: Record<string, string> = FILES): Promise<string> {
  const dir = makeProject(files, "dagx-stale-");
  dirs.push(dir);
  const r = await runDagx(dir, ["materialize", "--json"]);
  expect(r.code).toBe(0);
  expect(r.json<RunJson>().steps.every((s) => s.status === "success")).toBe(true);
  expect(await statuses(dir)).toEqual({ up: "fresh", down: "fresh", report: "fresh", other: "fresh" });
  return dir;
}

async function statusJson(dir: string, cli: Cli = runDagx): Promise<Map<string, StatusJson>> {
  const r = await cli(dir, ["status", "--json"]);
  expect(r.code).toBe(0);
  return new Map(r.json<StatusJson[]>().map((s) => [s.key, s]));
}

async function statuses(dir: string, cli: Cli = runDagx): Promise<Record<string, string>> {
  return Object.fromEntries([...(await statusJson(dir, cli)).values()].map((s) => [s.key, s.status]));
}

describe("code change of an upstream", () => {
  test("status: stale with 'code changed', downstream 'upstream … is stale'; --stale runs exactly those", async () => {
    const dir = await fresh();
    // different SQL → different code version and different data
    writeFileSync(join(dir, "up.asset.ts"), UP("ctx.sql`select 1 as id, ${label()} as name union all select 2, 'z'`"));
    const st = await statusJson(dir, dagx);
    expect(st.get("up")!.status).toBe("stale");
    expect(st.get("up")!.causes.join()).toMatch(/^code changed \(\w{8} → \w{8}\)$/);
    expect(st.get("down")!.status).toBe("stale");
    expect(st.get("down")!.causes).toEqual(['upstream "up" is stale']);
    expect(st.get("report")!.status).toBe("stale");
    expect(st.get("report")!.causes).toEqual(['upstream "down" is stale']);
    expect(st.get("other")!.status).toBe("fresh");

    const human = await dagx(dir, ["status"]);
    expect(human.stdout).toMatch(/up\s+stale.*code changed/);
    expect(human.stderr).toContain("dagx materialize --stale");

    const r = await dagx(dir, ["materialize", "--stale", "--json"]);
    expect(r.code).toBe(0);
    const out = r.json<RunJson>();
    expect(out.steps.map((s) => [s.key, s.status])).toEqual([
      ["up", "success"],
      ["down", "success"],
      ["report", "success"],
    ]);
    expect(await statuses(dir, dagx)).toEqual({ up: "fresh", down: "fresh", report: "fresh", other: "fresh" });
    const again = await dagx(dir, ["materialize", "--stale", "--json"]);
    expect(again.json<RunJson>()).toMatchObject({ status: "nothing", steps: [] });
  });
});

describe("early cutoff", () => {
  test("upstream code changes but its output is identical: --stale re-runs it, skips the downstream as fresh", async () => {
    const dir = await fresh();
    const before = await statusJson(dir);
    const downRun = before.get("down")!.lastMaterialization!.runId;
    const upData = before.get("up")!.lastMaterialization!.dataVersion;
    const downParquet = readFileSync(join(dir, ".dagx/data/down/data.parquet"));

    // same query, reformatted, with a comment: the function's source (code version) changes
    writeFileSync(
      join(dir, "up.asset.ts"),
      UP("{\n  // same rows, new layout\n  return ctx.sql`select 1 as id, ${label()} as name\n    union all select 2, 'y'`;\n}"),
    );
    const st = await statusJson(dir, dagx);
    expect(st.get("up")!.status).toBe("stale");
    expect(st.get("up")!.causes[0]).toContain("code changed");
    expect(st.get("down")!.status).toBe("stale");

    const r = await dagx(dir, ["materialize", "--stale", "--json"]);
    expect(r.code).toBe(0);
    const out = r.json<RunJson>();
    const byKey = new Map(out.steps.map((s) => [s.key, s]));
    expect(byKey.get("up")!.status).toBe("success");
    expect(byKey.get("down")!.status).toBe("skipped");
    expect(byKey.get("down")!.reason).toContain("early cutoff");
    expect(byKey.get("report")!.status).toBe("skipped");
    expect(byKey.get("report")!.reason).toContain("early cutoff");
    expect(byKey.has("other")).toBe(false);

    const after = await statusJson(dir, dagx);
    expect(Object.fromEntries([...after.values()].map((s) => [s.key, s.status]))).toEqual({ up: "fresh", down: "fresh", report: "fresh", other: "fresh" });
    expect(after.get("up")!.lastMaterialization!.runId).toBe(out.runId!);
    expect(after.get("up")!.lastMaterialization!.dataVersion).toBe(upData); // identical content
    expect(after.get("down")!.lastMaterialization!.runId).toBe(downRun); // not re-run
    expect(readFileSync(join(dir, ".dagx/data/down/data.parquet")).equals(downParquet)).toBe(true);

    const logs = (await dagx(dir, ["logs", "latest", "--json"])).json<{ events: { type: string; assetKey: string | null; payload: Record<string, unknown> }[] }>();
    expect(logs.events.filter((e) => e.type === "step_started").map((e) => e.assetKey)).toEqual(["up"]);
    expect(logs.events.some((e) => e.type === "step_skipped" && e.assetKey === "down" && e.payload.fresh === true)).toBe(true);
  });

  test("an asset re-materialized with the same data leaves its downstream fresh", async () => {
    const dir = await fresh();
    const before = await statusJson(dir);
    const r = await runDagx(dir, ["materialize", "up", "--json"]);
    expect(r.code).toBe(0);
    const after = await statusJson(dir);
    expect(after.get("up")!.lastMaterialization!.runId).toBe(r.json<RunJson>().runId!);
    expect(after.get("up")!.lastMaterialization!.runId).not.toBe(before.get("up")!.lastMaterialization!.runId);
    expect(after.get("up")!.lastMaterialization!.dataVersion).toBe(before.get("up")!.lastMaterialization!.dataVersion);
    expect(await statuses(dir)).toEqual({ up: "fresh", down: "fresh", report: "fresh", other: "fresh" });
  });

  test("re-materialized with different data: downstream says 'has newer data'", async () => {
    const dir = await fresh({
      ...FILES,
      "up.asset.ts": UP("ctx.sql`select 1 as id, content as name from read_text(${ctx.path('seed.txt')})`"),
      "seed.txt": "v1",
    });
    // the code did not change; the file it reads did (dagx cannot know until up runs again)
    writeFileSync(join(dir, "seed.txt"), "v2");
    expect(await statuses(dir)).toEqual({ up: "fresh", down: "fresh", report: "fresh", other: "fresh" });
    const r = await runDagx(dir, ["materialize", "up"]);
    expect(r.code).toBe(0);
    const st = await statusJson(dir);
    expect(st.get("up")!.status).toBe("fresh");
    expect(st.get("down")!.status).toBe("stale");
    expect(st.get("down")!.causes).toEqual(['upstream "up" has newer data']);
    expect(st.get("report")!.status).toBe("stale");
    expect(st.get("report")!.causes).toEqual(['upstream "down" is stale']);
    const run = await runDagx(dir, ["materialize", "--stale", "--json"]);
    expect(run.json<RunJson>().steps.map((s) => [s.key, s.status])).toEqual([
      ["down", "success"],
      ["report", "success"],
    ]);
    expect(await statuses(dir)).toEqual({ up: "fresh", down: "fresh", report: "fresh", other: "fresh" });
  });
});

test("editing a local helper module imported by an asset file makes that asset stale", async () => {
  const dir = await fresh();
  writeFileSync(join(dir, "helpers/label.ts"), `export const label = (): string => ["x"].join("");\n`);
  const st = await statusJson(dir, dagx);
  expect(st.get("up")!.status).toBe("stale");
  expect(st.get("up")!.causes[0]).toMatch(/^code changed/);
  expect(st.get("down")!.status).toBe("stale");
  expect(st.get("other")!.status).toBe("fresh");
  // down.asset.ts imports up.asset.ts, but another asset file's change is up's own code version, not down's
  expect(st.get("down")!.causes).toEqual(['upstream "up" is stale']);
  const r = await dagx(dir, ["materialize", "--stale", "--json"]);
  expect(r.code).toBe(0);
  // the helper's output is unchanged ("x"), so early cutoff keeps down and report
  const byKey = new Map(r.json<RunJson>().steps.map((s) => [s.key, s.status]));
  expect(byKey.get("up")).toBe("success");
  expect(byKey.get("down")).toBe("skipped");
  expect(await statuses(dir, dagx)).toEqual({ up: "fresh", down: "fresh", report: "fresh", other: "fresh" });
});

describe("a copied project stays fresh", () => {
  const COPY_FILES = {
    ...FILES,
    "parts.asset.ts": [
      `import { asset, daily } from "dagx";`,
      `import { label } from "./helpers/label";`,
      `export const per_day = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-11" }) }, (ctx) => [{ day: ctx.partition.key, name: label() }]);`,
      `export const day_json = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-11" }), io: "json" }, (ctx) => ({ day: ctx.partition.key }));`,
      ``,
    ].join("\n"),
  };
  interface ListJson {
    key: string;
    codeVersion: string;
  }
  interface PartStatus extends StatusJson {
    partitions?: { materialized: number; stale: number; missing: number };
  }
  const codeVersions = async (d: string, cli: Cli = runDagx) => Object.fromEntries((await cli(d, ["list", "--json"])).json<ListJson[]>().map((a) => [a.key, a.codeVersion]));
  const copy = (from: string) => {
    const to = makeProject({}, "dagx-copy-[x=*]-");
    dirs.push(to);
    const cp = Bun.spawnSync(["cp", "-r", `${from}/.`, to]);
    expect(cp.exitCode).toBe(0);
    return to;
  };
  /** Every stored output file, with a fresh mtime in the future (as cp -r, touch, a checkout would give). */
  const touchAll = (d: string) => {
    const files = [...new Bun.Glob("**/*.{parquet,json}").scanSync({ cwd: join(d, ".dagx/data") })].map((f) => join(d, ".dagx/data", f));
    const later = new Date(Date.now() + 60_000);
    for (const f of files) utimesSync(f, later, later);
    return files;
  };

  test("cp -r + touch: status stays fresh, the outputs are hashed once and their mtimes recorded; a real content change is still drift", async () => {
    const dir = makeProject(COPY_FILES, "dagx-stale-");
    dirs.push(dir);
    expect((await runDagx(dir, ["materialize", "up+", "other", "--json"])).code).toBe(0);
    expect((await runDagx(dir, ["materialize", "per_day", "day_json", "--partitions", "2024-01-01..2024-01-10", "--json"])).code).toBe(0);
    const before = await codeVersions(dir);

    const copied = copy(dir);
    const touched = touchAll(copied);
    expect(touched.length).toBe(4 + 20);
    // same code versions at another absolute path
    expect(await codeVersions(copied)).toEqual(before);
    const st = await statusJson(copied);
    expect(Object.fromEntries([...st.values()].map((s) => [s.key, [s.status, s.causes]]))).toEqual(
      Object.fromEntries(["up", "down", "report", "other", "per_day", "day_json"].map((k) => [k, ["fresh", []]])),
    );
    for (const k of ["per_day", "day_json"]) expect((st.get(k) as PartStatus).partitions).toMatchObject({ materialized: 10, stale: 0 });

    // Proof that the second status does not hash again: replace up's output with other bytes but
    // keep the mtime the first status confirmed. Trusting the recorded mtime, status stays fresh.
    const upFile = join(copied, ".dagx/data/up/data.parquet");
    const otherFile = join(copied, ".dagx/data/other/data.parquet");
    const { mtime } = statSync(upFile);
    writeFileSync(upFile, readFileSync(otherFile));
    utimesSync(upFile, mtime, mtime);
    expect((await statusJson(copied)).get("up")!.status).toBe("fresh");

    // the confirmed mtimes are in state, one per output that was hashed
    const db = await DuckDBInstance.create(join(copied, ".dagx/state.duckdb"), { access_mode: "READ_ONLY" });
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll("SELECT asset_key, mtime_ms FROM output_mtimes ORDER BY asset_key")).getRowObjectsJS();
    conn.closeSync();
    db.closeSync();
    expect(rows.map((r) => r.asset_key)).toEqual(["down", "other", "report", "up"]);
    expect(rows.find((r) => r.asset_key === "up")!.mtime_ms).toBe(mtime.getTime());

    // a real change (new content, new mtime) is drift, and --stale repairs it
    writeFileSync(join(copied, ".dagx/data/report/value.json"), `{"rows":7}`);
    const later = new Date(Date.now() + 120_000);
    utimesSync(join(copied, ".dagx/data/report/value.json"), later, later);
    const drift = (await statusJson(copied)).get("report")!;
    expect(drift.status).toBe("stale");
    expect(drift.causes[0]).toMatch(/^output file changed after its last recorded materialization/);
    const r = await runDagx(copied, ["materialize", "--stale", "--json"]);
    expect(r.json<RunJson>().steps.map((s) => [s.key, s.status])).toEqual([["report", "success"]]);
    expect((await statusJson(copied)).get("report")!.status).toBe("fresh");
  });

  test("code versions: a comment-only or whitespace-only edit of a helper module keeps its importers fresh; a real change makes them stale", async () => {
    const dir = await fresh();
    const before = await codeVersions(dir);
    writeFileSync(join(dir, "helpers/label.ts"), `// the label of every row\nexport const label = (): string =>\n    "x"  ;   /* always */\n\n`);
    expect(await codeVersions(dir, dagx)).toEqual(before);
    expect(await statuses(dir, dagx)).toEqual({ up: "fresh", down: "fresh", report: "fresh", other: "fresh" });
    writeFileSync(join(dir, "helpers/label.ts"), `export const label = (): string => "x" + "";\n`);
    const st = await statusJson(dir, dagx);
    expect(st.get("up")!.status).toBe("stale");
    expect(st.get("up")!.causes[0]).toMatch(/^code changed/);
  });
});
