// `*.asset.py` files through the CLI (`dagx` spawned, the test venv's python with the unmodified
// dagster-pipes client): the `python` entry of dagx.config.ts, checks declared in the header,
// code versions that follow local imports, backfills of partitioned scripts, `--stale`, and a
// schedule that targets a Python asset.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, makeProject, ok, removeProject, runDagx } from "../../cli/helpers.ts";
import { pipesPython, pipesUnavailable } from "../../support/pipes.ts";

const unavailable = pipesUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/pipes/py-cli: ${unavailable}`);

const dirs: string[] = [];
let python = "";
/** No override in the environment: the config (or `python3` on PATH) decides. */
const NO_OVERRIDE = { DAGX_PYTHON: "", DAGX_UV: "" };

function project(files: Record<string, string>): string {
  const dir = makeProject({ ".dagx/.keep": "", ...files }, "dagx-py-cli-");
  dirs.push(dir);
  return dir;
}

const ORDERS_TS = `import { asset } from "dagx";\nexport const orders = asset(() => [{ id: 1, amount: 10 }, { id: 2, amount: 30 }]);\n`;

describe.skipIf(unavailable !== undefined)("*.asset.py through the CLI", () => {
  beforeAll(async () => {
    python = await pipesPython();
  }, 600_000);
  afterAll(() => dirs.forEach(removeProject));

  test("python.executable in dagx.config.ts (an argv) runs the file; $DAGX_PYTHON overrides it", async () => {
    const dir = project({
      "orders.asset.ts": ORDERS_TS,
      "wrap.sh": `echo "$@" >> calls.txt\nexec "${python}" "$@"\n`,
      "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({\n  python: { executable: ["sh", "wrap.sh"] },\n});\n`,
      "total.asset.py": `# @deps: orders\nimport sys\nfrom dagster_pipes import open_dagster_pipes\nwith open_dagster_pipes() as context:\n    context.report_asset_materialization(metadata={"exe": sys.executable})\n`,
    });
    ok(await dagx(dir, ["materialize", "*"], { env: NO_OVERRIDE }));
    expect(readFileSync(join(dir, "calls.txt"), "utf8")).toBe("total.asset.py\n");
    // the environment's override wins over the config
    ok(await dagx(dir, ["materialize", "total"], { env: { DAGX_PYTHON: python } }));
    expect(readFileSync(join(dir, "calls.txt"), "utf8")).toBe("total.asset.py\n");
  }, 60_000);

  test("a bad python entry is a config error at its line", async () => {
    const cases: [string, RegExp][] = [
      [`python: { executable: 3 }`, /dagx\.config\.ts:3: python\.executable must be a path \("\.venv\/bin\/python", "python3"\) or a non-empty argv list/],
      [`python: { uv: [] }`, /dagx\.config\.ts:3: python\.uv must be a path \("uv", "\/opt\/uv\/bin\/uv"\) or a non-empty argv list/],
      [`python: { interpreter: "python3" }`, /dagx\.config\.ts:3: unknown key "python\.interpreter" — python takes executable and uv/],
      [`python: { executible: "python3" }`, /dagx\.config\.ts:3: unknown key "python\.executible" — did you mean "executable"/],
      [`python: "python3"`, /dagx\.config\.ts:3: python must be an object like python: \{ executable: "\.venv\/bin\/python" \}/],
    ];
    for (const [entry, expected] of cases) {
      const dir = project({ "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({\n  ${entry},\n} as never);\n` });
      const r = await runDagx(dir, ["list"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(expected);
    }
  }, 60_000);
});
