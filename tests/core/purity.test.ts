import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const CORE = join(import.meta.dir, "../../core");
const FORBIDDEN = /from\s+["'](node:[a-z_/]+|fs|path|os|child_process|bun|@duckdb\/node-api|chokidar|croner|consola|picocolors|apache-arrow)["']|\bDate\.now\(\)|\bBun\.|\bprocess\./;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

test("core/ stays pure: no fs, Bun, DuckDB, watcher, cron, console libs, process or clock reads", () => {
  const offenders = files(CORE).flatMap((f) =>
    readFileSync(f, "utf8")
      .split("\n")
      .map((line, i) => ({ f, i: i + 1, line }))
      .filter(({ line }) => !line.trim().startsWith("//") && !line.trim().startsWith("*") && FORBIDDEN.test(line))
      .map(({ f, i, line }) => `${f.slice(CORE.length + 1)}:${i}: ${line.trim()}`),
  );
  expect(offenders).toEqual([]);
});
