import { describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { COMMANDS } from "../../cli/main.ts";
import { VERSION } from "../../cli/version.ts";
import { runDagx } from "./helpers.ts";

describe("dagx --help", () => {
  test("the top-level help lists every command", async () => {
    const r = await runDagx(tmpdir(), ["--help"]);
    expect(r.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(r.stdout + r.stderr).toContain(name);
  });

  for (const name of Object.keys(COMMANDS)) {
    test(`${name} --help shows usage with an example and exits 0`, async () => {
      const r = await runDagx(tmpdir(), [name, "--help"]);
      expect(r.code).toBe(0);
      const text = r.stdout + r.stderr;
      expect(text).toContain(`dagx ${name}`);
      expect(text).toMatch(/Example/);
    });
  }

  test("an unknown command exits 2 and says how to find the right one", async () => {
    const r = await runDagx(tmpdir(), ["materialise"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown command "materialise"');
    expect(r.stderr).toContain("did you mean");
  });

  test("--version prints the version, platform, DuckDB and Bun (from source here); --json an object", async () => {
    const r = await runDagx(tmpdir(), ["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dagx \d+\.\d+\.\d+ \((linux|darwin|windows)-(x64|arm64), DuckDB v\d+\.\d+\.\d+, Bun \d+\.\d+\.\d+, from source\)\n$/);
    const j = await runDagx(tmpdir(), ["--json", "--version"]);
    expect(j.code).toBe(0);
    expect(Object.keys(j.json<object>())).toEqual(["version", "platform", "duckdb", "bun", "compiled"]);
    expect(j.json<{ version: string }>().version).toBe(VERSION);
  });

  test("NO_COLOR output has no ANSI escapes", async () => {
    const r = await runDagx(tmpdir(), ["list", "--help"], { env: { NO_COLOR: "1", FORCE_COLOR: "" } });
    expect(r.stdout + r.stderr).not.toMatch(/\x1b\[/);
  });

  test("dagx list --help is plain text on stdout when not a terminal", async () => {
    const r = await runDagx(tmpdir(), ["list", "--help"], { env: { NO_COLOR: "", CI: "", FORCE_COLOR: "" } });
    expect(r.stderr).toBe("");
    expect(r.stdout.replace(VERSION, "X.Y.Z")).toMatchInlineSnapshot(`
      "List assets: key, group, deps, partitions, kinds, owners.

      Selection grammar: KEY, key:raw_*, tag:k=v, group:g, owner:o, kind:k, +KEY (upstream), KEY+ (downstream), 2+KEY+1 (depth), roots(...), sinks(...), not/and/or, commas for union.

      Examples:
        dagx list
        dagx list 'group:raw' --json (dagx list vX.Y.Z)

      USAGE dagx list [OPTIONS] [SELECTION]

      ARGUMENTS

        SELECTION    Selection (default: all)

      OPTIONS

        -C, --cwd=<DIR>    The project root, exactly (default: the nearest folder upward with dagx.config.ts or .dagx/)
                 --json    The result as JSON on stdout (progress and errors stay on stderr)
          -v, --verbose    More detail, and stack traces for errors
                --color    Colour output (--no-color or NO_COLOR=1 turn it off) (Default: true)
             --no-color

      "
    `);
  });
});
