import { describe, expect, test } from "bun:test";
import { checkConfig } from "../../core/config-check.ts";
import { duckdbTable, duckdbTableOptionsOf, duckdbTableProblem } from "../../core/duckdb-table.ts";
import { defineIOManager, isIOManager } from "../../core/io-manager.ts";

describe("duckdbTable (the pure half)", () => {
  test("duckdbTable() makes a named IO manager carrying its options", () => {
    const m = duckdbTable({ path: "warehouse.duckdb", schema: "analytics" });
    expect(isIOManager(m)).toBe(true);
    expect(m.name).toBe("warehouse");
    expect(duckdbTableOptionsOf(m)).toEqual({ path: "warehouse.duckdb", schema: "analytics" });
    expect(duckdbTableOptionsOf(defineIOManager({ handleOutput: () => null as never, loadInput: () => null }))).toBeNull();
    expect(() => m.handleOutput({} as never, [])).toThrow("duckdbTable works inside dagx");
  });

  test("duckdbTableProblem() names the option that is wrong", () => {
    expect(duckdbTableProblem({ path: "w.duckdb" })).toBeNull();
    expect(duckdbTableProblem({})).toContain("duckdbTable needs path");
    expect(duckdbTableProblem({ path: ":memory:" })).toContain("needs a database file");
    expect(duckdbTableProblem({ path: "w.duckdb", schema: "a-b" })).toContain("schema must be a plain name");
    expect(duckdbTableProblem({ path: "w.duckdb", lockTimeoutMs: -1 })).toContain("lockTimeoutMs must be a number");
    expect(duckdbTableProblem({ path: "w.duckdb", tabel: "x" })).toBe('duckdbTable has no option "tabel": use path, schema, lockTimeoutMs or name');
    expect(() => duckdbTable({ path: "" })).toThrow("duckdbTable needs path");
  });

  test("checkConfig() takes io as the project default: a built-in, a declared name, or a manager", () => {
    const wh = duckdbTable({ path: "w.duckdb" });
    expect(checkConfig({ io: "json" })).toEqual({ config: { io: "json" } });
    expect(checkConfig({ io: wh })).toEqual({ config: { io: wh } });
    expect(checkConfig({ ioManagers: { lake: wh }, io: "lake" })).toEqual({ config: { ioManagers: { lake: wh }, io: "lake" } });
    expect(checkConfig({ io: "lake" })).toMatchObject({ key: "io", problem: expect.stringContaining('the project default io must be "parquet" or "json"') });
    expect(checkConfig({ io: 3 })).toMatchObject({ key: "io", problem: expect.stringContaining("IO manager object made by defineIOManager") });
    expect(checkConfig({ ioManagers: { warehouse: duckdbTable({ path: "other.duckdb" }) }, io: wh })).toMatchObject({ key: "io", problem: expect.stringContaining('named "warehouse", which is the name of another IO manager') });
  });
});
