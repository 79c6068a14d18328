// The doctor engine (io/doctor): checks run in registry order, a throwing check is a fail, the
// worst status is the report's; and inspectStateFile() reads a state file without changing it.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { createDoctorContext, type DoctorCheck, formatSize, runDoctor } from "../../../io/doctor/index.ts";
import { createDuckDBStateStore, inspectStateFile } from "../../../io/state/index.ts";
import { SCHEMA_VERSION } from "../../../io/state/_schema.ts";
import { removeProject } from "../../cli/helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "dagx-doctor-io-"));
  dirs.push(d);
  return d;
};

const check = (name: string, run: DoctorCheck["run"]): DoctorCheck => ({ name, run });

describe("runDoctor()", () => {
  const ctx = () => createDoctorContext({ version: "0.0.0", cwd: tempDir(), env: {} });

  test("runs the checks in order and reports the worst status", async () => {
    const seen: string[] = [];
    const report = await runDoctor(ctx(), [
      check("a", () => (seen.push("a"), { status: "ok", detail: "fine" })),
      check("b", async () => (seen.push("b"), { status: "warn", detail: "hmm", fix: "do x" })),
      check("c", () => (seen.push("c"), { status: "skip", detail: "n/a" })),
    ]);
    expect(seen).toEqual(["a", "b", "c"]);
    expect(report.status).toBe("warn");
    expect(report.checks.map((c) => [c.name, c.status, c.fix])).toEqual([["a", "ok", undefined], ["b", "warn", "do x"], ["c", "skip", undefined]]);
    expect(report.checks.every((c) => typeof c.ms === "number")).toBe(true);
  });

  test("a check that throws is a fail naming the error; the next checks still run", async () => {
    const report = await runDoctor(ctx(), [
      check("broken", () => {
        throw new Error("boom");
      }),
      check("after", () => ({ status: "ok", detail: "ran" })),
    ]);
    expect(report.status).toBe("fail");
    expect(report.checks[0]).toMatchObject({ name: "broken", status: "fail", detail: "the check itself failed: boom" });
    expect(report.checks[1]!.status).toBe("ok");
  });

  test("createDoctorContext() reports an unusable -C as the project's error instead of throwing", () => {
    const c = createDoctorContext({ version: "0.0.0", cwd: tempDir(), cwdFlag: "no/such/folder", env: {} });
    expect(c.project.root).toBeNull();
    expect(c.project.root === null && c.project.error).toContain("does not exist");
  });

  test("formatSize() uses binary units", () => {
    expect([formatSize(512), formatSize(1536), formatSize(3 * 1024 ** 3), formatSize(250 * 1024 ** 2)]).toEqual(["512 B", "1.5 KiB", "3.0 GiB", "250 MiB"]);
  });
});

describe("inspectStateFile()", () => {
  test("a missing file: not created", async () => {
    const file = join(tempDir(), ".dagx/state.duckdb");
    expect(await inspectStateFile(file)).toEqual({ exists: false, bytes: 0, schemaVersion: null, knownVersion: SCHEMA_VERSION, runs: null });
    expect(() => statSync(join(file, ".."))).toThrow();
  });

  test("reads the schema version and run count of an older file without migrating or writing it", async () => {
    const file = join(tempDir(), "state.duckdb");
    const store = createDuckDBStateStore(file);
    await store.createRun({ runId: "r1", status: "success", selection: "*", trigger: "cli", pid: 1, host: "h", startedAt: 1, endedAt: 2, heartbeatAt: 2, tags: {}, assets: [] });
    await store.close();
    const db = await DuckDBInstance.create(file);
    const conn = await db.connect();
    await conn.run(`DELETE FROM schema_version WHERE version = ${SCHEMA_VERSION}`);
    conn.closeSync();
    db.closeSync();
    const before = readFileSync(file);
    const info = await inspectStateFile(file);
    expect(info).toMatchObject({ exists: true, schemaVersion: SCHEMA_VERSION - 1, knownVersion: SCHEMA_VERSION, runs: 1 });
    expect(info.bytes).toBeGreaterThan(0);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test("a damaged file rejects with the message that says how to recover", async () => {
    const file = join(tempDir(), "state.duckdb");
    await Bun.write(file, "not a database at all, just some bytes that are long enough to be read");
    await expect(inspectStateFile(file)).rejects.toThrow(/is damaged .*move it aside/);
  });
});
