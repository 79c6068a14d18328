// `dagx ui` from the compiled binary (scripts/build.ts) on a copy of examples/shop outside the repo:
// the app is embedded (no web/ folder, no network), the API answers, and a materialization
// launched from the UI runs in a child that is the binary itself, recorded with trigger `ui`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { hostBinary } from "../support/binary.ts";
import { REPO, removeProject } from "./helpers.ts";
import { until } from "./live.ts";

let tmp: string;
let bin: string;
let project: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "dagx-bin-ui-"));
  bin = await hostBinary(tmp);
  project = join(tmp, "shop");
  cpSync(join(REPO, "examples/shop"), project, { recursive: true, filter: (src) => !relative(join(REPO, "examples/shop"), src).startsWith(".dagx") });
}, 180_000);
afterAll(() => {
  if (tmp) removeProject(tmp);
});

test("the binary serves the embedded app and the API, and launches runs as itself", async () => {
  // spawned: the compiled binary is the subject
  const proc = Bun.spawn([bin, "ui", "--port", "0", "--json"], { cwd: project, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  try {
    const reader = proc.stdout.getReader();
    let text = "";
    while (!/"url"/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`dagx ui exited: ${await new Response(proc.stderr).text()}`);
      text += new TextDecoder().decode(value);
    }
    const { url } = JSON.parse(text) as { url: string };
    const origin = new URL(url).origin;
    const token = new URL(url).searchParams.get("token")!;
    const redirect = await fetch(url, { redirect: "manual" });
    expect(redirect.status).toBe(303);
    const html = await (await fetch(`${origin}/graph`, { headers: { Cookie: `dagx_token=${token}` } })).text();
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      const js = await fetch(`${origin}${src}`);
      expect(js.status).toBe(200);
      expect(js.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect((await js.text()).length).toBeGreaterThan(1000);
    }
    const h = { "X-Dagx-Token": token };
    const meta = (await (await fetch(`${origin}/api/meta`, { headers: h })).json()) as { dagx: { compiled: boolean } };
    expect(meta.dagx.compiled).toBe(true);
    const launched = await fetch(`${origin}/api/materialize`, { method: "POST", headers: { ...h, Origin: origin, "Content-Type": "application/json" }, body: JSON.stringify({ selection: "+daily_revenue" }) });
    expect(launched.status).toBe(202);
    const { runId } = (await launched.json()) as { runId: string };
    let run: { status: string; trigger: string } | null = null;
    await until(async () => {
      const res = await fetch(`${origin}/api/runs/${runId}`, { headers: h });
      run = res.status === 200 ? ((await res.json()) as { run: { status: string; trigger: string } }).run : null;
      return run?.status === "success";
    }, "the launched run to succeed", 60_000);
    expect(run).toMatchObject({ status: "success", trigger: "ui" });
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill(9);
  }
}, 120_000);
