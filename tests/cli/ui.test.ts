/**
 * `dagx ui` and the UI inside `dagx dev`, as a user runs them: the printed URL (stderr; stdout JSON
 * with --json), the token flow from that URL, Ctrl-C, a taken port, the warning of a non-loopback
 * --host, and dev's UI child (a free port when 3000 is taken; gone with dev).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { makeProject, removeProject, runDagx, startDagx } from "./helpers.ts";
import { alive, childPids, startLive, until } from "./live.ts";
import { dagxCommand } from "../support/dagx-command.ts";

const dirs: string[] = [];
const project = () => {
  const dir = makeProject({ "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => [{ x: 1 }]);\n` }, "dagx-ui-cli-");
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach(removeProject));

const URL_LINE = /dagx ui: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43}))\n/;

describe("dagx ui", () => {
  test("--port 0 --json: one URL line on stderr, {url} on stdout; the URL sets the cookie; Ctrl-C stops it cleanly", async () => {
    // spawned: a real process serving until SIGINT (the journey a user runs)
    const proc = Bun.spawn([...(await dagxCommand()), "ui", "--port", "0", "--json"], { cwd: project(), stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    const stdout = new Response(proc.stdout).text();
    let stderr = "";
    void (async () => {
      for await (const chunk of proc.stderr) stderr += new TextDecoder().decode(chunk);
    })();
    try {
      await until(() => URL_LINE.test(stderr), "the URL line", 30_000, () => stderr);
      const [, url, port, token] = URL_LINE.exec(stderr)!;
      const redirect = await fetch(url!, { redirect: "manual" });
      expect(redirect.status).toBe(303);
      expect(redirect.headers.get("set-cookie")).toContain(`dagx_token=${token}`);
      const meta = await fetch(`http://127.0.0.1:${port}/api/meta`, { headers: { "X-Dagx-Token": token! } });
      expect(meta.status).toBe(200);
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
      expect(JSON.parse(await stdout)).toEqual({ url });
      expect(stderr.match(/dagx ui: /g)?.length).toBe(1);
      await expect(fetch(`http://127.0.0.1:${port}/api/meta`)).rejects.toThrow();
    } finally {
      proc.kill(9);
    }
  }, 60_000);
  test("{url} on stdout with --json (in process)", async () => {
    const { terminal, done } = startDagx(project(), ["ui", "--port", "0", "--json"]);
    await until(() => URL_LINE.test(terminal.stderrText()), "the URL line", 30_000);
    terminal.interrupt();
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.json<{ url: string }>().url).toBe(URL_LINE.exec(r.stderr)![1]!);
  });
  test("load errors are noted on stderr; the server still serves what loaded", async () => {
    const dir = project();
    await Bun.write(`${dir}/b.asset.ts`, `import { asset } from "dagx";\nexport const b = asset(() => [{ x: 1 }]\n`);
    const { terminal, done } = startDagx(dir, ["ui", "--port", "0"]);
    await until(() => URL_LINE.test(terminal.stderrText()), "the URL line", 30_000);
    const [, , port, token] = URL_LINE.exec(terminal.stderrText())!;
    const assets = (await (await fetch(`http://127.0.0.1:${port}/api/assets`, { headers: { "X-Dagx-Token": token! } })).json()) as { assets: { key: string }[] };
    terminal.interrupt();
    const r = await done;
    expect(r.stderr).toMatch(/note 1 load error\(s\): Syntax error in b\.asset\.ts:2/);
    expect(assets.assets.map((a) => a.key)).toEqual(["a"]);
  });
  test("a taken port: says so and suggests --port 0 (exit 2)", async () => {
    const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("busy") });
    try {
      const r = await runDagx(project(), ["ui", "--port", String(taken.port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`127.0.0.1:${taken.port}: the port is in use`);
      expect(r.stderr).toContain("--port 0");
    } finally {
      taken.stop(true);
    }
  });
  test("--host 0.0.0.0 only when asked, with a warning; a bad --port is a usage error", async () => {
    const { terminal, done } = startDagx(project(), ["ui", "--host", "0.0.0.0", "--port", "0"]);
    await until(() => /dagx ui: /.test(terminal.stderrText()), "the URL line", 30_000);
    terminal.interrupt();
    const r = await done;
    expect(r.stderr).toMatch(/warning.*--host 0\.0\.0\.0: the UI is reachable from other machines/);
    const plain = startDagx(project(), ["ui", "--port", "0"]);
    await until(() => /dagx ui: /.test(plain.terminal.stderrText()), "the URL line", 30_000);
    plain.terminal.interrupt();
    expect((await plain.done).stderr).not.toContain("warning");
    const bad = await runDagx(project(), ["ui", "--port", "70000"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid --port "70000"');
  });
});

describe("dagx dev serves the UI", () => {
  test("--ui-port 0 serves it on a free port; --no-ui serves none; the UI process ends with dev (kill -9 too)", async () => {
    const dir = project();
    // spawned: dev and its UI child are processes; kill -9 of dev must not leave the UI behind
    const d = startLive(dir, ["dev", "--no-materialize", "--ui-port", "0"]);
    try {
      await d.waitFor("watching for changes", { timeoutMs: 30_000 });
      const [, , port, token] = URL_LINE.exec(d.text())!;
      const meta = await fetch(`http://127.0.0.1:${port}/api/meta`, { headers: { "X-Dagx-Token": token! } });
      expect(meta.status).toBe(200);
      const children = childPids(d.pid);
      expect(children.length).toBeGreaterThanOrEqual(2);
      await d.stop(9);
      await until(() => children.every((p) => !alive(p)), "dev's children to exit after kill -9", 15_000);
    } finally {
      await d.stop("SIGKILL", 1000);
    }
    const n = startLive(dir, ["dev", "--no-materialize", "--no-ui"]);
    try {
      await n.waitFor("watching for changes", { timeoutMs: 30_000 });
      expect(n.text()).not.toContain("dagx ui:");
    } finally {
      await n.stop("SIGINT");
    }
  }, 90_000);
});
