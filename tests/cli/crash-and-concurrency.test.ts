// DESIGN §6 with real processes: a run killed with SIGKILL leaves consistent state (finished steps
// kept, the run marked abandoned, `--stale` picks up the rest), and many dagx processes share one
// project at once with no lock error and no lost event.
import { afterAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { dagx, runDagx, makeProject, removeProject } from "./helpers.ts";
import { dagxCommand } from "../support/dagx-command.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

interface StatusJson {
  key: string;
  status: string;
  causes: string[];
  lastMaterialization: { runId: string; rows: number | null; path: string | null } | null;
}
interface RunsJson {
  runId: string;
  status: string;
  selection: string;
  endedAt: string | null;
}
interface LogsJson {
  run: { runId: string; status: string };
  events: { seq: number; type: string; assetKey: string | null; payload: Record<string, unknown> }[];
}

async function parquetRows(file: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(`select * from read_parquet('${file.replaceAll("'", "''")}') order by all`)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe("kill -9 during a run", () => {
  test("finished steps stay, the run is abandoned, --stale runs only the rest", async () => {
    const dir = makeProject(
      {
        "crash.asset.ts": [
          `import { asset } from "dagx";`,
          `export const a = asset(() => [{ id: 1, name: "one" }, { id: 2, name: "two" }]);`,
          `export const slow = asset({ ins: { a } }, async (ctx, { a }) => {`,
          `  await Bun.sleep(Number(process.env.SLOW_MS ?? 3000));`,
          `  return (await a.rows()).map((r) => ({ id: r.id, late: true }));`,
          `});`,
          ``,
        ].join("\n"),
      },
      "dagx-crash-",
    );
    dirs.push(dir);
    const proc = Bun.spawn([...(await dagxCommand()), "materialize", "--json"], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    const aFile = join(dir, ".dagx/data/a/data.parquet");
    try {
      // wait until a's output is in place and its materialization committed (status says fresh)
      const deadline = Date.now() + 20_000;
      let aFresh = false;
      while (!aFresh && Date.now() < deadline) {
        await Bun.sleep(50);
        if (!existsSync(aFile)) continue;
        const st = await runDagx(dir, ["status", "--json"]);
        expect(st.stderr.toLowerCase()).not.toContain("lock");
        if (st.code === 0) aFresh = st.json<StatusJson[]>().find((s) => s.key === "a")?.status === "fresh";
      }
      expect(aFresh).toBe(true);
      expect(proc.exitCode).toBeNull(); // still inside slow's sleep
    } finally {
      proc.kill(9);
    }
    expect(await proc.exited).not.toBe(0);
    expect(proc.signalCode).toBe("SIGKILL");
    const aBytes = readFileSync(aFile);

    const st = await runDagx(dir, ["status", "--json"]);
    expect(st.code).toBe(0);
    expect(st.stderr.toLowerCase()).not.toContain("lock");
    const byKey = new Map(st.json<StatusJson[]>().map((s) => [s.key, s]));
    expect(byKey.get("a")!.status).toBe("fresh");
    expect(byKey.get("a")!.lastMaterialization!.rows).toBe(2);
    expect(byKey.get("slow")!.status).toBe("missing");
    expect(existsSync(join(dir, ".dagx/data/slow"))).toBe(false);

    const runs = await runDagx(dir, ["runs", "--json"]);
    expect(runs.code).toBe(0);
    const list = runs.json<RunsJson[]>();
    expect(list.length).toBe(1);
    expect(list[0]!.status).toBe("abandoned");
    expect(list[0]!.endedAt).not.toBeNull();
    expect(byKey.get("a")!.lastMaterialization!.runId).toBe(list[0]!.runId);
    const human = await runDagx(dir, ["runs"]);
    expect(human.stdout).toContain("failed (abandoned)");

    // a's output is intact and readable by any DuckDB
    expect((await parquetRows(aFile)).map((r) => ({ id: Number(r.id), name: r.name }))).toEqual([
      { id: 1, name: "one" },
      { id: 2, name: "two" },
    ]);

    const r = await runDagx(dir, ["materialize", "--stale", "--json"], { env: { SLOW_MS: "0" } });
    expect(r.code).toBe(0);
    const out = r.json<{ status: string; steps: { key: string; status: string; rows: number | null }[] }>();
    expect(out.status).toBe("success");
    expect(out.steps.map((s) => [s.key, s.status, s.rows])).toEqual([["slow", "success", 2]]);
    expect(readFileSync(aFile).equals(aBytes)).toBe(true); // a was not rewritten
    const after = await runDagx(dir, ["status", "--json"]);
    expect(after.json<StatusJson[]>().map((s) => [s.key, s.status])).toEqual([
      ["a", "fresh"],
      ["slow", "fresh"],
    ]);
    expect((await runDagx(dir, ["runs", "--json"])).json<RunsJson[]>().map((x) => x.status)).toEqual(["success", "abandoned"]);
  }, 60_000);
});

describe("many processes on one project", () => {
  test("2 materialize of different assets + 6 status at once: all exit 0, no lock error, every event recorded", async () => {
    const LOGS = 40;
    const asset = (name: string) =>
      [
        `export const ${name} = asset(async (ctx) => {`,
        `  for (let i = 0; i < ${LOGS}; i++) { ctx.log.info("${name} step " + i); if (i % 10 === 0) await Bun.sleep(20); }`,
        `  return Array.from({ length: 50 }, (_, i) => ({ i, who: "${name}" }));`,
        `});`,
      ].join("\n");
    const dir = makeProject(
      { "many.asset.ts": [`import { asset } from "dagx";`, asset("left"), asset("right"), ``].join("\n") },
      "dagx-conc-",
    );
    dirs.push(dir);
    // state exists before the burst, so every process contends for one file
    expect((await runDagx(dir, ["status"])).code).toBe(0);

    const results = await Promise.all([
      dagx(dir, ["materialize", "left", "--json"]),
      dagx(dir, ["materialize", "right", "--json"]),
      ...Array.from({ length: 6 }, () => dagx(dir, ["status", "--json"])),
    ]);
    for (const r of results) {
      expect([r.code, r.stderr.toLowerCase().includes("lock")]).toEqual([0, false]);
      expect(r.stderr).not.toContain("error");
      r.json(); // every stdout is one JSON document
    }

    const runs = (await runDagx(dir, ["runs", "--json"])).json<RunsJson[]>();
    expect(runs.map((r) => [r.selection, r.status]).sort()).toEqual([
      ["left", "success"],
      ["right", "success"],
    ]);
    for (const run of runs) {
      const logs = await runDagx(dir, ["logs", run.runId, "--json"]);
      expect(logs.code).toBe(0);
      const { events } = logs.json<LogsJson>();
      expect(events.map((e) => e.seq)).toEqual(events.map((_e, i) => i + 1));
      const types = events.map((e) => e.type);
      expect(types[0]).toBe("run_started");
      expect(types.at(-1)).toBe("run_finished");
      expect(types.filter((t) => t === "log").length).toBe(LOGS);
      for (const t of ["step_started", "materialization", "step_success"]) expect(types.filter((x) => x === t).length).toBe(1);
      expect(events.length).toBe(LOGS + 5);
      const msgs = events.filter((e) => e.type === "log").map((e) => e.payload.message);
      expect(msgs).toEqual(Array.from({ length: LOGS }, (_, i) => `${run.selection} step ${i}`));
    }
    const st = (await runDagx(dir, ["status", "--json"])).json<StatusJson[]>();
    expect(st.map((s) => [s.key, s.status, s.lastMaterialization?.rows])).toEqual([
      ["left", "fresh", 50],
      ["right", "fresh", 50],
    ]);
    expect((await parquetRows(join(dir, ".dagx/data/right/data.parquet"))).length).toBe(50);
  }, 60_000);
});

const PLAIN = { "a.asset.ts": `import { asset } from "dagx";\nexport const plain = asset(() => [{ v: 1 }]);\n` };

describe("a damaged state file", () => {
  test("random bytes or a truncated file: every command names the file and how to recover; following the hint works", async () => {
    const dir = makeProject(PLAIN, "dagx state=[*]-");
    dirs.push(dir);
    expect((await runDagx(dir, ["materialize"])).code).toBe(0);
    const state = join(dir, ".dagx/state.duckdb");
    const good = readFileSync(state);
    for (const damaged of [randomBytes(200_000), good.subarray(0, 5000)]) {
      writeFileSync(state, damaged);
      for (const args of [["status"], ["runs"], ["materialize"]]) {
        const r = await runDagx(dir, args);
        expect([args[0], r.code]).toEqual([args[0], 1]);
        expect(r.stderr).toContain(`State file "${state}" is damaged`);
        expect(r.stderr).toContain(`mv "${state}" "${state}.broken"`);
        expect(r.stderr).toContain("outputs under .dagx/data stay");
        expect(r.stderr).not.toContain("    at ");
      }
    }
    // the recovery the message gives: move it aside, then materialize --stale rebuilds
    renameSync(state, `${state}.broken`);
    expect((await runDagx(dir, ["materialize", "--stale"])).code).toBe(0);
    const st = (await runDagx(dir, ["status", "--json"])).json<StatusJson[]>();
    expect(st.map((s) => [s.key, s.status])).toEqual([["plain", "fresh"]]);
  });
});

/** Run the CLI as an unprivileged user when we are root (root ignores permission bits), else as we are. */
async function dagxAsUser(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const prefix = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
  const proc = Bun.spawn([...prefix, ...(await dagxCommand()), ...args], { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", HOME: cwd } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
const root = process.getuid?.() === 0;
const canDropPrivileges = !root || Bun.which("setpriv") !== null;

describe("a read-only .dagx", () => {
  // as root the test runs the CLI as "nobody" through setpriv; without setpriv it cannot make a folder read-only for root
  test.skipIf(!canDropPrivileges)("status, query, runs and logs work; a write says the folder is read-only and how to fix it", async () => {
    const dir = makeProject(PLAIN, "dagx-readonly-");
    dirs.push(dir);
    expect((await runDagx(dir, ["materialize"])).code).toBe(0);
    const dagxDir = join(dir, ".dagx");
    const state = join(dagxDir, "state.duckdb");
    if (root) execFileSync("chown", ["-R", "65534:65534", dir]);
    const before = statSync(state);
    const files = readdirSync(dagxDir).sort();
    chmodSync(state, 0o444);
    if (existsSync(`${state}.lock`)) chmodSync(`${state}.lock`, 0o444);
    chmodSync(dagxDir, 0o555);
    try {
      const status = await dagxAsUser(dir, ["status", "--json"]);
      expect([status.code, status.stderr]).toEqual([0, ""]);
      expect(JSON.parse(status.stdout).map((s: StatusJson) => [s.key, s.status])).toEqual([["plain", "fresh"]]);
      const q = await dagxAsUser(dir, ["query", "select v from plain", "--json"]);
      expect([q.code, JSON.parse(q.stdout || "null")]).toEqual([0, [{ v: 1 }]]);
      const runs = await dagxAsUser(dir, ["runs", "--json"]);
      expect(runs.code).toBe(0);
      expect(JSON.parse(runs.stdout).map((r: RunsJson) => r.status)).toEqual(["success"]);
      const logs = await dagxAsUser(dir, ["logs", "latest", "--json"]);
      expect(logs.code).toBe(0);
      expect((JSON.parse(logs.stdout) as LogsJson).events.some((e) => e.type === "materialization")).toBe(true);
      const write = await dagxAsUser(dir, ["materialize"]);
      expect(write.code).toBe(1);
      expect(write.stderr).toContain(`State file "${state}" is read-only`);
      expect(write.stderr).toContain("chmod u+w");
      expect(write.stderr).not.toContain("    at ");
      // nothing in .dagx changed
      expect(readdirSync(dagxDir).sort()).toEqual(files);
      expect(statSync(state).mtimeMs).toBe(before.mtimeMs);
    } finally {
      chmodSync(dagxDir, 0o755);
    }
  });
});
