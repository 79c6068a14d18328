/**
 * `dagx dev` with `*.asset.py` files (a real dev process, watcher and Python with the unmodified
 * dagster-pipes client): saving the script reloads its definition and code version and
 * re-materializes it and its downstream; saving a helper module the script imports does too; a
 * bad header shows file:line:column and keeps the last good graph.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, runDagx } from "../../cli/helpers.ts";
import { type Live, liveFixtures, startLive } from "../../cli/live.ts";
import { pipesPython, pipesUnavailable } from "../../support/pipes.ts";

setDefaultTimeout(90_000);
const unavailable = pipesUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/pipes/py-dev: ${unavailable}`);
const fx = liveFixtures("dagx-py-dev-");
afterAll(() => fx.cleanup());
let env: Record<string, string> = {};

const scorePy = (header: string) => `# @ins: src
${header}import pyarrow as pa, pyarrow.parquet as pq
from dagster_pipes import open_dagster_pipes
from helpers import factor

with open_dagster_pipes() as context:
    dagx = context.extras["dagx"]
    t = pa.concat_tables([pq.read_table(p) for p in dagx["inputs"]["src"]["paths"]])
    pq.write_table(pa.table({"s": [v * factor() for v in t.column("v").to_pylist()]}), dagx["output"]["path"])
`;

const query = async (dir: string, sql: string) => (await runDagx(dir, ["query", sql, "--json"])).json<Record<string, unknown>[]>();

describe.skipIf(unavailable !== undefined)("dagx dev with *.asset.py", () => {
  beforeAll(async () => {
    env = { DAGX_PYTHON: await pipesPython() };
  }, 600_000);

  test("saving the script or a helper it imports re-materializes it and its downstream; a bad header points at the file", async () => {
    const dir = fx.project({
      "src.asset.ts": `import { asset } from "dagx";\nexport const src = asset(() => [{ v: 1 }, { v: 2 }]);\n`,
      "score.asset.py": scorePy(""),
      "helpers.py": "def factor():\n    return 1\n",
      "total.asset.sql": "select sum(s) as t from score\n",
    });
    expect((await dagx(dir, ["materialize", "*"], { env })).code).toBe(0);
    const d = startLive(dir, ["dev"], env);
    fx.track(d);
    let m = await d.waitFor("watching for changes", { timeoutMs: 30_000 });
    // the script itself
    writeFileSync(join(dir, "score.asset.py"), scorePy("# @group: ml\n").replace("v * factor()", "v * factor() * 10"));
    m = await d.waitFor(/reloaded score\.asset\.py ~score\n/, { from: m });
    m = await d.waitFor(/✓ total 1 rows/, { from: m });
    m = await d.waitFor(/✔ up to date \(run \S+\)/, { from: m });
    expect(await query(dir, "select t from total")).toEqual([{ t: 30 }]);
    expect(d.text()).not.toMatch(/✓ src /);
    // a helper module the script imports: its code version changed, so it runs again
    writeFileSync(join(dir, "helpers.py"), "def factor():\n    return 2\n");
    m = await d.waitFor(/reloaded helpers\.py ~score\n/, { from: m });
    m = await d.waitFor(/✓ total 1 rows/, { from: m });
    m = await d.waitFor(/✔ up to date \(run \S+\)/, { from: m });
    expect(await query(dir, "select t from total")).toEqual([{ t: 60 }]);
    // a bad header: an error at file:line:column, the last good graph stays
    writeFileSync(join(dir, "score.asset.py"), scorePy("# @check_specs: ok(severity=fatal)\n"));
    m = await d.waitFor(/score\.asset\.py:2:29/, { from: m });
    expect(d.text()).toContain('severity must be error or warn, not "fatal"');
  });
});
