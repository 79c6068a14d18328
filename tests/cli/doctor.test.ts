// `dagx doctor`: the table and --json, exit 1 only when a check fails, what it says of a project
// (none, fresh, materialized, state from a newer dagx, damaged state, a read-only .dagx), and
// that it imports no asset file and changes nothing.
import { afterAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { SCHEMA_VERSION } from "../../io/state/_schema.ts";
import { makeProject, removeProject, runDagx } from "./helpers.ts";
import { dagxCommand } from "../support/dagx-command.ts";

interface DoctorJson {
  status: "ok" | "warn" | "fail";
  version: string;
  platform: string;
  duckdb: string;
  bun: string;
  compiled: boolean;
  checks: { name: string; status: string; detail: string; fix: string | null; ms: number }[];
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});
const project = (files: Record<string, string>) => {
  const d = makeProject(files, "dagx-doctor-");
  dirs.push(d);
  return d;
};
const PLAIN = { "dagx.config.ts": "export default {};\n", "plain.asset.ts": 'import { asset } from "dagx";\nexport const plain = asset(() => [{ v: 1 }]);\n' };

async function doctor(dir: string, args: string[] = []): Promise<{ code: number; report: DoctorJson; byName: Record<string, DoctorJson["checks"][number]> }> {
  const r = await runDagx(dir, ["doctor", "--json", ...args]);
  const report = r.json<DoctorJson>();
  return { code: r.code, report, byName: Object.fromEntries(report.checks.map((c) => [c.name, c])) };
}

describe("dagx doctor", () => {
  test("outside any project: the checks in order, a warning for the project, exit 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dagx-doctor-none-"));
    dirs.push(dir);
    const { code, report, byName } = await doctor(dir);
    expect(code).toBe(0);
    expect(report.checks.map((c) => c.name)).toEqual(["platform", "duckdb", "duckdb cache", "duckdb extensions", "project", ".dagx", "state", "disk"]);
    expect(report.status).toBe("warn");
    expect(byName.project).toMatchObject({ status: "warn", fix: "create one with `dagx init NAME`, or name it with -C DIR" });
    expect(byName.duckdb!.detail).toStartWith(`${report.duckdb} (from node_modules)`);
    expect(byName["duckdb cache"]!.status).toBe("skip");
    expect(byName.state!.detail).toContain("no state file yet");
    expect(existsSync(join(dir, ".dagx"))).toBe(false);
  });

  test("a materialized project: every check ok; the human table on stdout, the counts on stderr", async () => {
    const dir = project(PLAIN);
    expect((await runDagx(dir, ["materialize"])).code).toBe(0);
    const { code, report, byName } = await doctor(dir);
    expect(code).toBe(0);
    // disk may warn on a machine with under 1 GiB free; everything else is ok (or skipped: no binary
    // here; the extensions when this machine's source runs have not fetched them yet)
    expect(report.checks.filter((c) => !["disk", "duckdb extensions"].includes(c.name) && c.status !== "ok").map((c) => [c.name, c.status])).toEqual([["duckdb cache", "skip"]]);
    expect(["ok", "skip"]).toContain(byName["duckdb extensions"]!.status);
    expect(byName.project!.detail).toBe(`${dir} (the current folder)`);
    expect(byName[".dagx"]!.detail).toBe(`${join(dir, ".dagx")} is writable`);
    expect(byName.state!.detail).toMatch(new RegExp(`state\\.duckdb, [\\d.]+ [KM]iB, schema ${SCHEMA_VERSION}, 1 run$`));
    expect(byName.disk!.detail).toMatch(/ free of .* at /);
    const human = await runDagx(join(dir, "sub"), ["doctor", "-C", dir]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^CHECK +STATUS +DETAIL\nplatform +ok +dagx /);
    expect(human.stdout).toContain(`\nproject            ok      ${dir} (given with -C)\n`);
    expect(human.stderr).toMatch(/^[567] ok, [01] warnings?, 0 failed, [12] skipped\n$/);
  });

  test("state written by a newer dagx: fail, exit 1, the fix says to upgrade", async () => {
    const dir = project(PLAIN);
    expect((await runDagx(dir, ["materialize"])).code).toBe(0);
    const db = await DuckDBInstance.create(join(dir, ".dagx/state.duckdb"));
    const conn = await db.connect();
    await conn.run(`INSERT INTO schema_version VALUES (${SCHEMA_VERSION + 1}, 0)`);
    conn.closeSync();
    db.closeSync();
    const { code, report, byName } = await doctor(dir);
    expect([code, report.status]).toEqual([1, "fail"]);
    expect(byName.state!.detail).toContain(`schema ${SCHEMA_VERSION + 1}, 1 run: written by a newer dagx (this one knows schema ${SCHEMA_VERSION})`);
    expect(byName.state!.fix).toContain("upgrade dagx");
    const human = await runDagx(dir, ["doctor"]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("\nstate: upgrade dagx: npm i -g dagx@latest, or download the newest binary\n");
  });

  test("a damaged state file: fail with how to move it aside", async () => {
    const dir = project(PLAIN);
    mkdirSync(join(dir, ".dagx"));
    writeFileSync(join(dir, ".dagx/state.duckdb"), "garbage, not a DuckDB file, long enough to be read as a header by DuckDB itself");
    const { code, byName } = await doctor(dir);
    expect(code).toBe(1);
    expect(byName.state!.status).toBe("fail");
    expect(byName.state!.detail).toContain("is damaged");
    expect(byName.state!.detail).toContain("move it aside with `mv ");
  });

  test(".dagx that is a file: fail", async () => {
    const dir = project({ ...PLAIN, ".dagx": "oops" });
    const { code, byName } = await doctor(dir);
    expect(code).toBe(1);
    expect(byName[".dagx"]).toMatchObject({ status: "fail", detail: `${join(dir, ".dagx")} is not a folder` });
  });

  test("imports no asset file and no config: a broken project is diagnosed, not run", async () => {
    const marker = join(tmpdir(), `dagx-doctor-marker-${process.pid}`);
    const dir = project({
      "dagx.config.ts": `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "config ran");\nexport default {};\n`,
      "a.asset.ts": `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "asset ran");\nexport const a = asset(;\n`,
    });
    const { code, byName } = await doctor(dir);
    expect(code).toBe(0);
    expect(byName.project!.status).toBe("ok");
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(dir, ".dagx"))).toBe(false);
  });
});

const root = process.getuid?.() === 0;
const canDropPrivileges = !root || Bun.which("setpriv") !== null;

describe("dagx doctor on a read-only .dagx", () => {
  // root ignores permission bits: the CLI runs as "nobody" through setpriv (as in crash-and-concurrency)
  test.skipIf(!canDropPrivileges)("warns that .dagx is not writable and still reads the state", async () => {
    const dir = project(PLAIN);
    expect((await runDagx(dir, ["materialize"])).code).toBe(0);
    const dagxDir = join(dir, ".dagx");
    if (root) execFileSync("chown", ["-R", "65534:65534", dir]);
    const before = readFileSync(join(dagxDir, "state.duckdb"));
    chmodSync(dagxDir, 0o555);
    try {
      const prefix = root ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
      const proc = Bun.spawn([...prefix, ...(await dagxCommand()), "doctor", "--json"], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", HOME: dir } });
      const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      const report = JSON.parse(stdout) as DoctorJson;
      const by = Object.fromEntries(report.checks.map((c) => [c.name, c]));
      expect(code).toBe(0);
      expect(by[".dagx"]!.status).toBe("warn");
      expect(by[".dagx"]!.detail).toContain("is not writable (permission denied): status, query, runs and logs work read-only");
      expect(by[".dagx"]!.fix).toBe(`chmod -R u+w "${dagxDir}" (as its owner)`);
      expect(by.state!.status).toBe("ok");
      expect(readFileSync(join(dagxDir, "state.duckdb")).equals(before)).toBe(true);
    } finally {
      chmodSync(dagxDir, 0o755);
    }
  });
});
