// Every output channel, grepped for two secrets — one from the project's .env, one from the process
// environment, both read through env(): materialize (plain, --json, -v), check, status, runs, logs,
// query (its results and its errors), sensors preview, the state file's bytes (and its WAL), and the
// errors of a resource setup, an asset and a check whose messages hold the secret. User code prints
// them with console.*, process.stdout/stderr.write and through a child process's piped output.
// Spawned (`dagx()`): console redaction is installed by the entry point, for the process.
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, makeProject, removeProject } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const DOTENV_SECRET = "dotenv-Tk7q-s3cr3t";
const PROCESS_SECRET = "proc-Pw9z-s3cr3t";

const CONFIG = `import { defineConfig, defineResource, env } from "dagx";

const api = defineResource({
  config: { token: env("SHOP_API_TOKEN") },
  setup: ({ config, log }) => {
    log.info("api token " + config.token);
    return { token: config.token };
  },
});

const warehouse = defineResource({
  config: { password: env("WAREHOUSE_PASSWORD") },
  setup: ({ config }) => ({ password: config.password }),
});

const broken = defineResource({
  config: { password: env("WAREHOUSE_PASSWORD") },
  setup: ({ config }) => {
    throw new Error("login refused for password " + config.password);
  },
});

export default defineConfig({ resources: { api, warehouse, broken } });
`;

const ASSETS = `import { asset, check, sensor } from "dagx";

export const prints = asset({ resources: ["api", "warehouse"] }, async (ctx) => {
  const { token } = ctx.resources.api;
  const { password } = ctx.resources.warehouse;
  console.log("console.log " + token);
  console.error("console.error " + password);
  console.warn({ nested: { password } });
  process.stdout.write("stdout.write " + token + "\\n");
  process.stderr.write("stderr.write " + password + "\\n");
  ctx.log.warn("ctx.log " + token + " " + password);
  // a child process's output, piped back and printed (Bun.spawn passes the environment Bun started
  // with unless told: .env's variables, set later, need env: process.env — README, ".env")
  const child = Bun.spawn(["sh", "-c", "echo child says $SHOP_API_TOKEN $WAREHOUSE_PASSWORD"], { stdout: "pipe", env: process.env });
  console.log((await new Response(child.stdout).text()).trim());
  return { value: [{ id: 1, note: "fine" }], metadata: { used: token, with: password } };
});

export const throws = asset({ resources: ["warehouse"] }, (ctx) => {
  throw new Error("request refused for " + ctx.resources.warehouse.password + " and " + process.env.SHOP_API_TOKEN);
});

export const needs_broken = asset({ resources: ["broken"] }, () => 1);

export const checked = asset(() => [{ id: 1 }]);
export const leaky_check = check(checked, { resources: ["api"] }, (ctx) => ({ passed: false, metadata: { token: ctx.resources.api.token } }));
export const throwing_check = check(checked, { resources: ["warehouse"] }, (ctx) => {
  throw new Error("check saw " + ctx.resources.warehouse.password);
});

export const watch = sensor({ resources: ["api"] }, (ctx) => {
  ctx.log.info("sensor token " + ctx.resources.api.token);
  return { skipReason: "token " + ctx.resources.api.token };
});
`;

test("no secret from env() (.env or the process environment) reaches any output channel", async () => {
  const dir = makeProject({ "dagx.config.ts": CONFIG, "a.asset.ts": ASSETS, ".env": `SHOP_API_TOKEN=${DOTENV_SECRET}\n` }, "dagx-secrets-");
  dirs.push(dir);
  const env = { WAREHOUSE_PASSWORD: PROCESS_SECRET };
  const seen: [string, string][] = [];
  const call = async (args: string[]) => {
    const r = await dagx(dir, args, { env });
    seen.push([`${args.join(" ")} (stdout)`, r.stdout], [`${args.join(" ")} (stderr)`, r.stderr]);
    return r;
  };
  const plain = await call(["materialize"]);
  expect(plain.code).toBe(1);
  await call(["materialize", "--json"]);
  await call(["materialize", "prints", "throws", "needs_broken", "-v"]);
  await call(["materialize", "prints", "--json", "-v"]);
  await call(["check"]);
  await call(["check", "--json", "-v"]);
  for (const args of [["status"], ["status", "--json"], ["status", "prints"], ["status", "throws", "--json"], ["runs"], ["runs", "--json"], ["logs", "latest"], ["logs", "latest", "--json"]]) await call(args);
  // every run's log, not only the latest
  const runs = JSON.parse(seen.find(([n]) => n === "runs --json (stdout)")![1]) as { runId: string }[];
  for (const r of runs) await call(["logs", r.runId, "--json"]);
  await call(["sensors", "preview", "watch"]);
  await call(["sensors", "preview", "watch", "--json"]);
  // dagx query: results (the materialization metadata is not there, the data is) and an error that echoes a value
  await call(["query", "select * from prints"]);
  const qerr = await call(["query", `select cast('${DOTENV_SECRET}' as integer) as n`]);
  expect(qerr.code).not.toBe(0);
  await call(["query", `select cast('${PROCESS_SECRET}' as integer) as n`, "--json"]);

  const all = seen.map(([, t]) => t).join("\n");
  // what user code printed arrived, redacted (not swallowed)
  const missing = ["console.log [redacted]", "console.error [redacted]", "stdout.write [redacted]", "stderr.write [redacted]", "child says [redacted] [redacted]", "request refused for [redacted] and [redacted]", "login refused for password [redacted]", "api token [redacted]", "check saw [redacted]", "sensor token [redacted]"].filter((line) => !all.includes(line));
  const leaks = seen.filter(([, text]) => text.includes(DOTENV_SECRET) || text.includes(PROCESS_SECRET)).map(([name, text]) => `${name}: ${text.split("\n").filter((l) => l.includes(DOTENV_SECRET) || l.includes(PROCESS_SECRET)).join(" | ")}`);
  expect({ missing, leaks }).toEqual({ missing: [], leaks: [] });
  // the state file and anything beside it (a WAL) hold no copy
  for (const f of readdirSync(join(dir, ".dagx")).filter((f) => f.startsWith("state"))) {
    const bytes = readFileSync(join(dir, ".dagx", f));
    expect([f, bytes.includes(Buffer.from(DOTENV_SECRET)), bytes.includes(Buffer.from(PROCESS_SECRET))]).toEqual([f, false, false]);
  }
  expect(existsSync(join(dir, ".dagx/state.duckdb"))).toBe(true);
}, 180_000);

test("a flag or a number under a secret-looking name is not redacted by name alone (a --json false stays false)", async () => {
  const dir = makeProject({ "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`, "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => [{ ok: false, n: 3600 }]);\n`, ".env": "CACHE_KEY_TTL=3600\n" }, "dagx-secrets-");
  dirs.push(dir);
  expect((await dagx(dir, ["materialize"])).code).toBe(0);
  const q = await dagx(dir, ["query", "select * from a", "--json"], { env: { TOKENIZERS_PARALLELISM: "false" } });
  expect([q.code, q.stderr]).toEqual([0, ""]);
  expect(JSON.parse(q.stdout)).toEqual([{ ok: false, n: 3600 }]);
}, 60_000);
