// Resources and secrets end to end: resources declared in dagx.config.ts are set up lazily once per
// run for the steps that request them and torn down in reverse order (also after failures); a
// failing setup or a missing env() variable fails only the steps that need it; an unknown name is
// a definition error (exit 2); and a secret's value never reaches any output channel.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, makeProject, removeProject, runDagx } from "./helpers.ts";
import { dagxCommand } from "../support/dagx-command.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const SECRET = "tok-9f3Qz-s3cr3t-value";

const CONFIG = `import { appendFileSync } from "node:fs";
import { defineConfig, defineResource, env } from "dagx";

const trace = (line: string) => appendFileSync(process.env.RESOURCE_TRACE!, line + "\\n");

export const api = defineResource({
  config: { token: env("SHOP_API_TOKEN"), region: env("SHOP_REGION", { default: "us" }) },
  setup: ({ config, log }) => {
    trace("setup api");
    log.info("connected with " + config.token);
    console.error("resource prints " + config.token);
    return { token: config.token, region: config.region };
  },
  teardown: () => trace("teardown api"),
});

export const db = defineResource({
  setup: () => (trace("setup db"), { n: 1 }),
  teardown: () => trace("teardown db"),
});

export const broken = defineResource({
  setup: () => {
    throw new Error("cannot reach the warehouse");
  },
});

export const needsVar = defineResource({
  config: { url: env("DAGX_TEST_NEVER_SET_URL") },
  setup: ({ config }) => (trace("setup needsVar"), config.url),
});

export default defineConfig({ resources: { api, db, broken, needsVar, apiUrl: "https://example.com" } });
`;

const ASSETS = `import { asset } from "dagx";

export const uses_api = asset({ resources: ["api", "db"] }, (ctx) => {
  ctx.log.info("token is " + ctx.resources.api.token);
  return { region: ctx.resources.api.region, n: ctx.resources.db.n };
});

export const leaks = asset({ resources: ["api"] }, (ctx) => {
  throw new Error("request refused for token " + ctx.resources.api.token);
});

export const needs_broken = asset({ resources: ["broken"] }, () => 1);

export const needs_missing = asset({ resources: ["needsVar"] }, () => 1);

export const plain = asset((ctx) => ({ url: ctx.resources.apiUrl, sees: Object.keys(ctx.resources).sort() }));
`;

function project(files: Record<string, string> = {}): string {
  const dir = makeProject({ "dagx.config.ts": CONFIG, "a.asset.ts": ASSETS, ".env": `SHOP_API_TOKEN=${SECRET}\nSHOP_REGION=from-dotenv\n`, ...files }, "dagx-resources-");
  dirs.push(dir);
  return dir;
}

const outputOf = (dir: string, key: string) => JSON.parse(readFileSync(join(dir, ".dagx/data", key, "value.json"), "utf8"));

describe("resources", () => {
  test("set up once per run for the steps that request them, torn down in reverse order after a failed run; failures stay with their steps", async () => {
    const dir = project();
    const trace = join(dir, "trace.txt");
    const r = await dagx(dir, ["materialize", "*", "--json"], { env: { RESOURCE_TRACE: trace } });
    expect(r.code).toBe(1);
    const steps = r.json<{ steps: { key: string; status: string; error?: string }[] }>().steps;
    const byKey = Object.fromEntries(steps.map((s) => [s.key, s]));
    expect(byKey.uses_api!.status).toBe("success");
    expect(byKey.plain!.status).toBe("success");
    expect(byKey.needs_broken!.status).toBe("failed");
    expect(byKey.needs_broken!.error).toMatch(/Resource "broken" setup \(defined at dagx\.config\.ts:\d+\) threw: cannot reach the warehouse \(at dagx\.config\.ts:24:\d+\)/);
    expect(byKey.needs_missing!.error).toMatch(/Resource "needsVar" cannot be set up: Environment variable "DAGX_TEST_NEVER_SET_URL" is not set \(needed by resource "needsVar" \(defined at dagx\.config\.ts:\d+\), requested by Asset "needs_missing", env\(\) at dagx\.config\.ts:\d+\)/);
    // the .env value; plain values reach every asset, defined resources only those that request them
    expect(outputOf(dir, "uses_api")).toEqual({ region: "from-dotenv", n: 1 });
    expect(outputOf(dir, "plain")).toEqual({ url: "https://example.com", sees: ["apiUrl"] });
    // api once although two assets use it; needsVar never set up; reverse order at the end
    const lines = readFileSync(trace, "utf8").trim().split("\n");
    expect(lines.filter((l) => l === "setup api")).toHaveLength(1);
    expect(lines).not.toContain("setup needsVar");
    const order = lines.filter((l) => /api|db/.test(l));
    expect(order.slice(-2)).toEqual(["teardown db", "teardown api"]);
    expect(order.indexOf("setup api")).toBeLessThan(order.indexOf("setup db"));
  }, 60_000);

  test("the process environment wins over .env", async () => {
    const dir = project();
    const r = await dagx(dir, ["materialize", "uses_api"], { env: { RESOURCE_TRACE: join(dir, "t"), SHOP_REGION: "from-process" } });
    expect(r.code).toBe(0);
    expect(outputOf(dir, "uses_api")).toEqual({ region: "from-process", n: 1 });
  }, 60_000);

  test("an unknown resource name is a definition error at the asset's file:line with did-you-mean (exit 2)", async () => {
    const dir = project({ "b.asset.ts": `import { asset } from "dagx";\n\nexport const typo = asset({ resources: ["dbb"] }, () => 1);\n` });
    const r = await runDagx(dir, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Asset "typo" at b.asset.ts:3 requests unknown resource "dbb" — did you mean "db"?: declare it in dagx.config.ts under resources, or fix the name`);
  });
});

describe("secrets", () => {
  test("a secret's value reaches no output channel: stdout, stderr, --json, logs, runs, status, events in state", async () => {
    const dir = project();
    const env = { RESOURCE_TRACE: join(dir, "t") };
    const channels: [string, string][] = [];
    const run = await dagx(dir, ["materialize", "uses_api", "leaks", "--json"], { env });
    channels.push(["materialize --json stdout", run.stdout], ["materialize stderr", run.stderr]);
    const text = await dagx(dir, ["materialize", "uses_api", "leaks", "--verbose"], { env });
    channels.push(["materialize stdout", text.stdout], ["materialize --verbose stderr", text.stderr]);
    for (const args of [["logs", "latest"], ["logs", "latest", "--json"], ["runs", "--json"], ["runs"], ["status", "--json"], ["status"], ["status", "leaks"]]) {
      const r = await dagx(dir, args, { env });
      channels.push([`${args.join(" ")} stdout`, r.stdout], [`${args.join(" ")} stderr`, r.stderr]);
    }
    const all = channels.map(([, t]) => t).join("\n");
    // the channels carry the places the secret was in: redacted, not absent
    expect(all).toContain("connected with [redacted]");
    expect(all).toContain("token is [redacted]");
    expect(all).toContain("request refused for token [redacted]");
    expect(run.stderr).toContain("resource prints [redacted]");
    const logs = channels.find(([n]) => n === "logs latest --json stdout")![1];
    expect(logs).toContain("[redacted]");
    for (const [name, t] of channels) expect([name, t.includes(SECRET)]).toEqual([name, false]);
    // and the state file's bytes (events, runs) hold no copy of it
    expect(readFileSync(join(dir, ".dagx/state.duckdb")).includes(Buffer.from(SECRET))).toBe(false);
  }, 120_000);
  test("a secret's value given as run config (--config) is recorded redacted: runs, logs and the state file hold no copy", async () => {
    const dir = project({
      "c.asset.ts": `import { asset, v } from "dagx";\nexport const configured = asset({ config: v.object({ note: v.optional(v.string(), "none") }) }, (ctx) => ({ length: ctx.config.note.length }));\n`,
    });
    const env = { RESOURCE_TRACE: join(dir, "t") };
    const run = await dagx(dir, ["materialize", "configured", "--config", `configured.note=${SECRET}`, "--json"], { env });
    expect([run.code, run.stderr]).toEqual([0, run.stderr]);
    // the asset saw the real value; only what is recorded or printed is redacted
    expect(outputOf(dir, "configured")).toEqual({ length: SECRET.length });
    const seen = [run.stdout, run.stderr];
    for (const args of [["runs", "--json"], ["logs", "latest", "--json"]]) {
      const r = await dagx(dir, args, { env });
      seen.push(r.stdout, r.stderr);
    }
    expect(seen.join("\n")).toContain("[redacted]");
    for (const t of seen) expect(t.includes(SECRET)).toBe(false);
    expect(readFileSync(join(dir, ".dagx/state.duckdb")).includes(Buffer.from(SECRET))).toBe(false);
  }, 120_000);
});

describe("resources of sensors and IO managers", () => {
  const CONFIG2 = `import { appendFileSync } from "node:fs";
import { defineConfig, defineIOManager, defineResource, env } from "dagx";

const trace = (line: string) => appendFileSync(process.env.RESOURCE_TRACE!, line + "\\n");
const db = defineResource({ setup: () => (trace("setup db"), { n: 7 }), teardown: () => trace("teardown db") });

const tagged = defineIOManager({
  resources: ["db"],
  async handleOutput(ctx, value) {
    const { tag } = ctx.resolve({ tag: env("DAGX_TEST_IO_TAG", { default: "none" }) });
    const n = (ctx.resources.db as { n: number }).n;
    const file = await ctx.writeFile("v.json", JSON.stringify({ value, tag, n }));
    return { ...file, rows: null, schema: null };
  },
  loadInput: () => null,
  remove: (ctx, location) => trace("remove " + location + " n=" + (ctx.resources.db as { n: number }).n),
});

export default defineConfig({ resources: { db }, ioManagers: { tagged } });
`;
  const ASSETS2 = `import { asset, sensor } from "dagx";

export const stored = asset({ io: "tagged" }, () => 5);

export const watch = sensor({ resources: ["db"] }, (ctx) => {
  ctx.log.info("db says " + (ctx.resources as { db: { n: number } }).db.n);
  return { skipReason: "nothing new" };
});
`;

  test("dagx check: the IO manager loading the checked output gets the resources it requests", async () => {
    const config = `import { appendFileSync } from "node:fs";
import { defineConfig, defineIOManager, defineResource } from "dagx";

const trace = (line: string) => appendFileSync(process.env.RESOURCE_TRACE!, line + "\\n");
const db = defineResource({ setup: () => (trace("setup db"), { n: 7 }), teardown: () => trace("teardown db") });

const viaDb = defineIOManager({
  resources: ["db"],
  async handleOutput(ctx, value) {
    const file = await ctx.writeFile("v.json", JSON.stringify(value));
    return { ...file, rows: null, schema: null };
  },
  loadInput: (ctx) => (ctx.resources.db as { n: number }).n,
});

export default defineConfig({ resources: { db }, ioManagers: { viaDb } });
`;
    const assets = `import { asset, check } from "dagx";
export const stored = asset({ io: "viaDb" }, () => 5);
export const seven = check(stored, (_ctx, v) => v === 7);
`;
    const dir = makeProject({ "dagx.config.ts": config, "a.asset.ts": assets }, "dagx-resources-");
    dirs.push(dir);
    const trace = join(dir, "trace.txt");
    const m = await dagx(dir, ["materialize", "stored"], { env: { RESOURCE_TRACE: trace } });
    expect([m.code, m.stderr]).toEqual([0, m.stderr]);
    const c = await dagx(dir, ["check", "stored", "--json"], { env: { RESOURCE_TRACE: trace } });
    expect([c.code, c.stderr]).toEqual([0, c.stderr]);
    expect(JSON.parse(c.stdout).map((r: { check: string; passed: boolean; error: unknown }) => [r.check, r.passed, r.error])).toEqual([["seven", true, null]]);
    expect(readFileSync(trace, "utf8")).toBe("setup db\nteardown db\nsetup db\nteardown db\n");
  }, 60_000);

  test("an IO manager gets the resources it requests and resolves env() in its options at run time", async () => {
    const dir = makeProject({ "dagx.config.ts": CONFIG2, "a.asset.ts": ASSETS2 }, "dagx-resources-");
    dirs.push(dir);
    const trace = join(dir, "trace.txt");
    const r = await dagx(dir, ["materialize", "stored"], { env: { RESOURCE_TRACE: trace, DAGX_TEST_IO_TAG: "blue" } });
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, ".dagx/data/stored/v.json"), "utf8"))).toEqual({ value: 5, tag: "blue", n: 7 });
    expect(readFileSync(trace, "utf8")).toBe("setup db\nteardown db\n");
    // wipe --data removes through the manager, with its resources
    const w = await dagx(dir, ["wipe", "stored", "--data"], { env: { RESOURCE_TRACE: trace } });
    expect(w.code).toBe(0);
    expect(readFileSync(trace, "utf8")).toBe("setup db\nteardown db\nsetup db\nremove stored/v.json n=7\nteardown db\n");
  }, 60_000);

  test("a sensor gets the resources it requests (sensors preview), torn down after", async () => {
    const dir = makeProject({ "dagx.config.ts": CONFIG2, "a.asset.ts": ASSETS2 }, "dagx-resources-");
    dirs.push(dir);
    const trace = join(dir, "trace.txt");
    const r = await dagx(dir, ["sensors", "preview", "watch", "--json"], { env: { RESOURCE_TRACE: trace } });
    expect(r.code).toBe(0);
    expect(r.json<{ logs: string[] }>().logs).toContain("info: db says 7");
    expect(readFileSync(trace, "utf8")).toBe("setup db\nteardown db\n");
  }, 60_000);
});

test("Ctrl-C during a step: the run is canceled and its resources are still torn down", async () => {
  const dir = makeProject(
    {
      "dagx.config.ts": `import { appendFileSync } from "node:fs";
import { defineConfig, defineResource } from "dagx";
const conn = defineResource({ setup: () => ({ open: true }), teardown: () => appendFileSync(process.env.RESOURCE_TRACE!, "teardown conn\\n") });
export default defineConfig({ resources: { conn } });
`,
      "a.asset.ts": `import { asset } from "dagx";
export const slow = asset({ resources: ["conn"] }, async (ctx) => {
  ctx.log.info("slow started");
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, 20_000);
    ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped")); });
  });
  return 1;
});
`,
    },
    "dagx-resources-",
  );
  dirs.push(dir);
  const trace = join(dir, "trace.txt");
  const proc = Bun.spawn([...(await dagxCommand()), "materialize"], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", CI: "1", RESOURCE_TRACE: trace } });
  const reader = proc.stderr.getReader();
  let err = "";
  while (!err.includes("slow started")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited early:\n${err}`);
    err += new TextDecoder().decode(value);
  }
  proc.kill("SIGINT");
  expect(await proc.exited).toBe(130);
  expect(readFileSync(trace, "utf8")).toBe("teardown conn\n");
}, 60_000);
