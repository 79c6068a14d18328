import { describe, expect, test } from "bun:test";
import { checkConfig } from "../../core/config-check.ts";
import { defineIOManager, ioManagerProblem, ioOptionProblem, isIOManager, parquetWriterProblem, storedOutputProblem } from "../../core/io-manager.ts";

const manager = (name?: string) => defineIOManager({ name, handleOutput: () => ({ location: "x", rows: null, bytes: 1, dataVersion: "v", schema: null }), loadInput: () => 1 });

describe("the IO manager port", () => {
  test("defineIOManager() returns its options marked as an IO manager", () => {
    const m = manager("m");
    expect(isIOManager(m)).toBe(true);
    expect(isIOManager({ handleOutput() {}, loadInput() {} })).toBe(false);
    expect(ioManagerProblem(m)).toBeNull();
    expect(ioManagerProblem(defineIOManager({ handleOutput: 1, loadInput: () => 1 } as never))).toMatch(/handleOutput must be a function/);
  });

  test("ioOptionProblem() accepts built-ins, declared names and objects, and suggests for a typo", () => {
    const ndjson = manager();
    const declared = { ndjson };
    expect(ioOptionProblem(undefined, declared)).toBeNull();
    for (const ok of ["parquet", "json", "ndjson", ndjson, manager("inline")]) expect(ioOptionProblem(ok, declared)).toBeNull();
    expect(ioOptionProblem("ndjsn", declared)).toBe('io must be "parquet", "json" or "ndjson" (the built-ins, and IO managers declared in defineConfig({ ioManagers })) or an IO manager object, got "ndjsn" — did you mean "ndjson"?');
    expect(ioOptionProblem(manager(), declared)).toMatch(/IO manager without a name/);
    expect(ioOptionProblem(manager("json"), declared)).toMatch(/named "json", which is the name of a built-in/);
    expect(ioOptionProblem(manager("ndjson"), declared)).toMatch(/another IO manager in dagx.config.ts/);
    expect(ioOptionProblem(5, declared)).toMatch(/got 5\)$/);
  });

  test("storedOutputProblem() checks what handleOutput returned", () => {
    expect(storedOutputProblem({ location: "a", rows: 2, bytes: null, dataVersion: "v", schema: [{ name: "id", type: "BIGINT" }] })).toBeNull();
    expect(storedOutputProblem(undefined)).toBe("it returned undefined");
    expect(storedOutputProblem({ location: "a", rows: 2, bytes: null, dataVersion: "", schema: null })).toMatch(/^dataVersion must be/);
    expect(storedOutputProblem({ location: "a", rows: -1, bytes: null, dataVersion: "v", schema: null })).toMatch(/^rows must be/);
    expect(storedOutputProblem({ location: "a", rows: 1, bytes: null, dataVersion: "v", schema: [{ name: 1 }] })).toMatch(/^schema must be/);
  });

  test("checkConfig() accepts ioManagers by name and refuses built-in names, bad names and non-managers", () => {
    const m = manager();
    expect(checkConfig({ ioManagers: { ndjson: m } })).toEqual({ config: { ioManagers: { ndjson: m } } });
    expect(checkConfig({ ioManagers: { parquet: m } })).toEqual({ key: "ioManagers", problem: 'IO manager name "parquet" is taken by dagx\'s built-in: choose another name' });
    expect(checkConfig({ ioManagers: { "my io": m } })).toMatchObject({ key: "ioManagers", problem: expect.stringContaining("must start with a letter") });
    expect(checkConfig({ ioManagers: { s3: {} } })).toMatchObject({ key: "ioManagers", problem: 'IO manager "s3" is invalid: it is not made by defineIOManager({ handleOutput, loadInput })' });
    expect(checkConfig({ ioManagers: [] })).toMatchObject({ key: "ioManagers", problem: expect.stringContaining("ioManagers must be an object") });
  });

  test("parquetWriterProblem() and checkConfig() accept the three writers, and name them for anything else", () => {
    for (const ok of [undefined, "auto", "direct", "duckdb"]) expect(parquetWriterProblem(ok)).toBeNull();
    expect(parquetWriterProblem("Direct")).toBe('parquetWriter must be "auto", "direct" or "duckdb" (got "Direct" — did you mean "direct"?)');
    expect(parquetWriterProblem("fast")).toBe('parquetWriter must be "auto", "direct" or "duckdb" (got "fast")');
    expect(parquetWriterProblem(1)).toBe('parquetWriter must be "auto", "direct" or "duckdb" (got 1)');
    expect(checkConfig({ parquetWriter: "duckdb" })).toEqual({ config: { parquetWriter: "duckdb" } });
    expect(checkConfig({ parquetWriter: null })).toMatchObject({ key: "parquetWriter", problem: expect.stringContaining('parquetWriter must be "auto", "direct" or "duckdb"') });
  });
});
