// A user's journey with examples/python-pipes through the CLI, spawned (`dagx` as a process of its
// own, with the test venv's python3 first on PATH): list, materialize TS → Python (Pipes, a
// pipesAsset and a *.asset.py file) → SQL,
// query the SQL asset; then a long Python step canceled by `dagx cancel` from a second process and
// by Ctrl-C, its child process killed with it and the previous output intact.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { dagx } from "../../cli/helpers.ts";
import { pipesPython, pipesUnavailable } from "../../support/pipes.ts";
import { dagxCommand } from "../../support/dagx-command.ts";

const unavailable = pipesUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/pipes: ${unavailable}`);

const EXAMPLE = join(import.meta.dir, "../../../examples/python-pipes");
let dir: string;
let env: Record<string, string>;

const SLOW_ASSET = `import { pipesAsset } from "dagx";
import { customer_scores } from "./scores.asset.ts";
export const slow_report = pipesAsset({ command: ["python3", "scripts/slow.py"], deps: [customer_scores], cancelGraceMs: 1000 });
`;
const SLOW_PY = `import os, subprocess, sys, time
from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    if os.environ.get("SLOW") != "1":
        context.report_asset_materialization(metadata={"quick": True})
        sys.exit(0)
    child = subprocess.Popen(["sleep", "60"])
    with open("child.pid", "w") as f:
        f.write(str(child.pid))
    context.log.info("slow started")
    time.sleep(60)
`;

describe.skipIf(unavailable !== undefined)("dagx on examples/python-pipes", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dagx-python-pipes-"));
    cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !/\/(\.dagx|\.venv)(\/|$)/.test(src) });
    writeFileSync(join(dir, "assets/slow.asset.ts"), SLOW_ASSET);
    writeFileSync(join(dir, "scripts/slow.py"), SLOW_PY);
    env = { PATH: `${dirname(await pipesPython())}:${process.env.PATH}` };
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("list shows the Python asset between the TS and the SQL asset", async () => {
    const r = await dagx(dir, ["list", "--json"], { env });
    expect(r.code).toBe(0);
    const by = Object.fromEntries((JSON.parse(r.stdout) as { key: string; group: string; deps: string[]; kinds: string[] }[]).map((a) => [a.key, a]));
    expect(by.customer_scores).toMatchObject({ group: "ml", deps: ["orders"], kinds: ["pipes"] });
    expect(by.segments!.deps).toEqual(["customer_scores"]);
    expect(by.high_value).toMatchObject({ group: "ml", deps: ["customer_scores"], kinds: ["python"] });
  }, 60_000);

  test("materialize '*': TS → Python through Pipes → SQL, with the script's logs and checks", async () => {
    const r = await dagx(dir, ["materialize", "*"], { env });
    expect(r.stderr + r.stdout).toContain("5 materialized, 0 failed");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("scoring 8 orders");
    expect(r.stderr).toContain('Pipes: check "scores_in_range" passed');
    // two built-in checks on the stored output and the check the script reported (declared with checkSpec)
    expect(r.stderr).toMatch(/customer_scores .*3\/3 checks passed/);
    // the *.asset.py file declares the check it reports in its header (# @check_specs)
    expect(r.stderr).toContain('Pipes: check "has_high_value" passed');
    expect(r.stderr).not.toContain("which it does not declare");
    expect(r.stderr).toMatch(/high_value .*2\/2 checks passed/);
    const q = await dagx(dir, ["query", "select segment, customers, avg_score from segments order by segment", "--json"], { env });
    expect(JSON.parse(q.stdout)).toEqual([
      { segment: "high", customers: 2, avg_score: 0.777 },
      { segment: "low", customers: 3, avg_score: 0.163 },
    ]);
    const high = await dagx(dir, ["query", "select customer_id, score from high_value order by customer_id", "--json"], { env });
    expect(JSON.parse(high.stdout)).toEqual([{ customer_id: 2, score: 0.5545 }, { customer_id: 6, score: 1 }]);
  }, 60_000);

  test("editing the script makes its asset stale: the script's content is part of the code version", async () => {
    const status = async () => (JSON.parse((await dagx(dir, ["status", "customer_scores", "--json"], { env })).stdout) as { status: string; causes: string[] }[])[0]!;
    expect((await status()).status).toBe("fresh");
    const script = join(dir, "scripts/score.py");
    const text = readFileSync(script, "utf8");
    writeFileSync(script, `${text}\n# tuned\n`);
    const after = await status();
    writeFileSync(script, text);
    expect(after.status).toBe("stale");
    expect(after.causes[0]).toMatch(/^code changed/);
    expect((await status()).status).toBe("fresh");
  }, 60_000);

  test("editing a module the *.asset.py file imports makes it stale", async () => {
    const status = async () => (JSON.parse((await dagx(dir, ["status", "high_value", "--json"], { env })).stdout) as { status: string }[])[0]!.status;
    expect(await status()).toBe("fresh");
    const rules = join(dir, "assets/segment_rules.py");
    const text = readFileSync(rules, "utf8");
    writeFileSync(rules, `${text}\n# reviewed\n`);
    const after = await status();
    writeFileSync(rules, text);
    expect(after).toBe("stale");
    expect(await status()).toBe("fresh");
  }, 60_000);

  for (const how of ["dagx cancel", "Ctrl-C"] as const) {
    test(`${how} during a long Python step: the step is canceled, its child process killed, the previous output kept`, async () => {
      const before = JSON.parse((await dagx(dir, ["status", "slow_report", "--json"], { env })).stdout);
      const proc = Bun.spawn([...(await dagxCommand()), "materialize", "slow_report", "--json"], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env, NO_COLOR: "1", CI: "1", SLOW: "1" } });
      const stdout = new Response(proc.stdout).text();
      let stderr = "";
      const reader = proc.stderr.getReader();
      const deadline = Date.now() + 30_000;
      while (!stderr.includes("slow started")) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for the slow step; stderr:\n${stderr}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`materialize exited early:\n${stderr}`);
        stderr += new TextDecoder().decode(value);
      }
      const rest = (async () => {
        for (let r = await reader.read(); !r.done; r = await reader.read()) stderr += new TextDecoder().decode(r.value);
      })();
      const childPid = Number(readFileSync(join(dir, "child.pid"), "utf8"));
      expect(alive(childPid)).toBe(true);
      if (how === "Ctrl-C") proc.kill("SIGINT");
      else {
        const runs = JSON.parse((await dagx(dir, ["runs", "--json"], { env })).stdout) as { runId: string; status: string }[];
        expect((await dagx(dir, ["cancel", runs[0]!.runId, "--wait"], { env })).code).toBe(0);
      }
      expect(await proc.exited).toBe(130);
      await rest;
      const run = JSON.parse(await stdout) as { status: string; steps: { key: string; status: string }[] };
      expect(run.status).toBe("canceled");
      expect(run.steps.map((s) => [s.key, s.status])).toEqual([["slow_report", "canceled"]]);
      for (let i = 0; i < 40 && alive(childPid); i++) await Bun.sleep(50);
      expect(alive(childPid)).toBe(false);
      rmSync(join(dir, "child.pid"));
      expect(JSON.parse((await dagx(dir, ["status", "slow_report", "--json"], { env })).stdout)).toEqual(before);
    }, 90_000);
  }
});

/** Is `pid` running (a zombie waiting for a reaper that never comes, in a container, is not)? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return existsSync(`/proc/${pid}`);
  }
}
