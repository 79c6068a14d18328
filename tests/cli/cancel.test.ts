import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { makeProject, removeProject, runDagx } from "./helpers.ts";
import { dagxCommand } from "../support/dagx-command.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const PROJECT = {
  ".dagx/.keep": "",
  "a.asset.ts": `
import { asset } from "dagx";
export const fast = asset(() => [{ id: 1 }]);
export const slow = asset({ deps: [fast] }, async (ctx) => {
  ctx.log.info("slow started");
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, 20_000);
    ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped by signal")); });
  });
  return [{ id: 2 }];
});
export const after_slow = asset({ deps: [slow] }, () => 1);
`,
};

/** Spawn materialize and resolve once stderr contains `marker`. */
async function startUntil(dir: string, marker: string) {
  const proc = Bun.spawn([...(await dagxCommand()), "materialize", "--json"], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", CI: "1" } });
  let err = "";
  const reader = proc.stderr.getReader();
  const deadline = Date.now() + 20_000;
  while (!err.includes(marker)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${marker}"; stderr so far:\n${err}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited before "${marker}":\n${err}`);
    err += new TextDecoder().decode(value);
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return err;
      err += new TextDecoder().decode(value);
    }
  })();
  return { proc, stderr: rest, stdout: new Response(proc.stdout).text() };
}

describe("Ctrl-C during materialize", () => {
  test("first SIGINT cancels gracefully: running step sees ctx.signal, run recorded canceled, exit 130", async () => {
    const dir = makeProject(PROJECT);
    dirs.push(dir);
    const { proc, stderr, stdout } = await startUntil(dir, "slow started");
    const t0 = Date.now();
    proc.kill("SIGINT");
    const code = await proc.exited;
    expect(code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await stderr).toContain("Canceling");
    const out = JSON.parse(await stdout) as { status: string; steps: { key: string; status: string }[] };
    expect(out.status).toBe("canceled");
    expect(Object.fromEntries(out.steps.map((s) => [s.key, s.status]))).toEqual({ fast: "success", slow: "canceled", after_slow: "skipped" });
    expect(existsSync(join(dir, ".dagx/data/fast/data.parquet"))).toBe(true);
    expect(existsSync(join(dir, ".dagx/data/slow/data.parquet"))).toBe(false);
    const runs = (await runDagx(dir, ["runs", "--json"])).json<{ status: string }[]>();
    expect(runs[0]!.status).toBe("canceled");
    const st = (await runDagx(dir, ["status", "--json"])).json<{ key: string; status: string }[]>();
    expect(Object.fromEntries(st.map((s) => [s.key, s.status]))).toEqual({ fast: "fresh", slow: "missing", after_slow: "missing" });
  });

  test("a second SIGINT exits at once and the state stays readable", async () => {
    const dir = makeProject({
      ...PROJECT,
      "a.asset.ts": PROJECT["a.asset.ts"].replace('ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped by signal")); });', "void reject;"),
    });
    dirs.push(dir);
    const { proc } = await startUntil(dir, "slow started");
    proc.kill("SIGINT");
    await Bun.sleep(300);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    const r = await runDagx(dir, ["status", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/lock/i);
  });
});
