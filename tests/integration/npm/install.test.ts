// The npm packages scripts/pack.ts makes, installed from their tarballs into clean folders as a
// user gets them from the registry (`npm i dagx`, `npm i -g dagx`, `npx dagx`): offline, with a
// private npm cache and config, so nothing reaches the network. Only this machine's platform
// package is packed (the host binary, dist/dagx when up to date), once per state of the sources:
// ~25 s when it packs, most of it `npm pack` compressing the ~180 MB binary (docs/testing.md).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERSION } from "../../../cli/version.ts";
import { DUCKDB_VERSION } from "../../../io/platform/index.ts";
import { downloadUrl, hostTarget } from "../../../scripts/npm/platforms.cjs";
import { packNpm, type PackResult } from "../../../scripts/pack.ts";
import { removeProject } from "../../cli/helpers.ts";
import { cachedBuild, hostBinary } from "../../support/binary.ts";

const NPM = Bun.which("npm");
const NPX = Bun.which("npx");
const HOST = hostTarget();
const skip = !NPM || !NPX || !HOST;
if (skip) console.warn(`SKIPPED tests/integration/npm: ${!NPM || !NPX ? "npm is not on PATH (install Node.js with npm)" : `no dagx release binary for ${process.platform}-${process.arch}`}`);

let tmp: string;
let packed: PackResult;

beforeAll(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), "dagx-npm-"));
  // packed once per state of the sources and npm version, kept for later runs (the tarballs are
  // only read here): ~12 s of CPU is npm pack gzipping the binary
  const npmVersion = Bun.spawnSync([NPM!, "--version"]).stdout.toString().trim();
  const folder = await cachedBuild(
    "npm-pack",
    async (f) => {
      const bin = await hostBinary();
      const dist = join(f, "dist");
      mkdirSync(dist);
      try {
        linkSync(bin, join(dist, HOST!.file));
      } catch {
        copyFileSync(bin, join(dist, HOST!.file));
      }
      writeFileSync(join(f, "pack.json"), JSON.stringify(await packNpm({ dist, out: join(f, "npm"), quiet: true })));
    },
    `npm ${npmVersion}`,
  );
  packed = JSON.parse(readFileSync(join(folder, "pack.json"), "utf8")) as PackResult;
}, 180_000);

afterAll(() => {
  if (tmp) removeProject(tmp);
});

/** This environment without npm's own variables (npm test sets npm_config_*), plus a private, offline npm. */
function env(): Record<string, string> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !/^npm_/i.test(k) && k !== "DAGX_BINARY_PATH")) as Record<string, string>;
  return {
    ...clean,
    npm_config_cache: join(tmp, "npm-cache"),
    npm_config_userconfig: join(tmp, "npmrc"),
    npm_config_globalconfig: join(tmp, "npmrc-global"),
    npm_config_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    XDG_CACHE_HOME: join(tmp, "xdg-cache"),
    NO_COLOR: "1",
    CI: "1",
  };
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cwd: string, cmd: string[], timeoutMs = 120_000): Promise<Ran> {
  const proc = Bun.spawn(cmd, { cwd, env: env(), stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(9), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A clean folder with an empty package.json, the `npm install ARGS` result in it. */
async function npmInstallInto(name: string, args: string[]): Promise<{ dir: string; install: Ran }> {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name, private: true })}\n`);
  return { dir, install: await run(dir, [NPM!, "install", ...args]) };
}

const expectedVersion = () => `dagx ${VERSION} (${HOST!.platform}, DuckDB ${DUCKDB_VERSION}, Bun ${Bun.version})\n`;

describe.skipIf(skip)("npm packages from their tarballs", () => {
  test("the pack: a tiny dagx package and the platform package holding the binary", () => {
    expect(packed.main.name).toBe("dagx");
    expect(packed.main.size).toBeLessThan(20_000);
    expect(Object.keys(packed.platforms)).toEqual([HOST!.platform]);
    expect(packed.platforms[HOST!.platform]!.name).toBe(HOST!.pkg);
  });

  test("npm install into a clean folder: a working dagx (init, materialize, query, doctor), npx finds it", async () => {
    const { dir, install } = await npmInstallInto("app", [packed.main.file, packed.platforms[HOST!.platform]!.file]);
    expect(install.stderr).not.toContain("ERR!");
    expect(install.code).toBe(0);
    const dagx = join(dir, "node_modules/.bin/dagx");
    if (process.platform !== "win32") {
      // the postinstall replaced the Node shim with (a hard link to) the binary itself
      expect(statSync(join(dir, "node_modules/dagx/bin/dagx")).ino).toBe(statSync(join(dir, "node_modules", HOST!.pkg, "bin/dagx")).ino);
    }
    expect(await run(dir, [dagx, "--version"])).toEqual({ code: 0, stdout: expectedVersion(), stderr: "" });
    expect((await run(dir, [dagx, "init", "shop"])).code).toBe(0);
    const shop = join(dir, "shop");
    const mat = await run(shop, [dagx, "materialize", "--json"]);
    expect([mat.code, JSON.parse(mat.stdout).status]).toEqual([0, "success"]);
    const q = await run(shop, [dagx, "query", "select count(*) as n from orders", "--json"]);
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout)[0].n).toBeGreaterThan(0);
    const doc = await run(shop, [dagx, "doctor", "--json"]);
    expect(doc.code).toBe(0);
    expect(JSON.parse(doc.stdout)).toMatchObject({ status: "ok", compiled: true, platform: HOST!.platform });
    const npx = await run(dir, [NPX!, "--no-install", "dagx", "--version"]);
    expect([npx.code, npx.stdout]).toEqual([0, expectedVersion()]);
  }, 180_000);

  test("npm install -g --ignore-scripts: the Node shim runs the binary and passes exit codes and a Ctrl-C through", async () => {
    const prefix = join(tmp, "global");
    const install = await run(tmp, [NPM!, "install", "-g", "--prefix", prefix, "--ignore-scripts", packed.main.file, packed.platforms[HOST!.platform]!.file]);
    expect(install.code).toBe(0);
    const dagx = join(prefix, process.platform === "win32" ? "dagx.cmd" : "bin/dagx");
    expect(readFileSync(join(prefix, "lib/node_modules/dagx/bin/dagx"), "utf8")).toStartWith("#!/usr/bin/env node");
    expect(await run(tmp, [dagx, "--version"])).toEqual({ code: 0, stdout: expectedVersion(), stderr: "" });
    const project = join(tmp, "shim-project");
    mkdirSync(project);
    writeFileSync(join(project, "a.asset.ts"), SLOW);
    const bad = await run(project, [dagx, "materialize", "slwo"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('did you mean "slow"');
    // one SIGINT to the shim alone (no terminal here): forwarded once, so dagx cancels gracefully
    const proc = Bun.spawn([dagx, "materialize", "--json"], { cwd: project, env: env(), stdout: "pipe", stderr: "pipe" });
    const stderr = await readUntil(proc.stderr, "slow started");
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    expect(await stderr.rest).toContain("Canceling");
    expect(JSON.parse(await new Response(proc.stdout).text()).status).toBe("canceled");
  }, 180_000);

  test("--omit=optional: no binary, and dagx says which package is missing and where to download the binary", async () => {
    const { dir, install } = await npmInstallInto("no-optional", ["--omit=optional", packed.main.file]);
    expect(install.code).toBe(0);
    const r = await run(dir, [join(dir, "node_modules/.bin/dagx"), "--version"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`the dagx binary for this platform (${HOST!.platform}) is not installed: the npm package "${HOST!.pkg}" is missing`);
    expect(r.stderr).toContain(`npm i ${HOST!.pkg}@${VERSION}`);
    expect(r.stderr).toContain(downloadUrl(VERSION, HOST!));
  }, 60_000);
});

const SLOW = `import { asset } from "dagx";
export const slow = asset(async (ctx) => {
  ctx.log.info("slow started");
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, 30_000);
    ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped by signal")); });
  });
  return [{ id: 1 }];
});
`;

/** Read `stream` until it contains `marker` (20 s at most); `rest` resolves to everything once it ends. */
async function readUntil(stream: ReadableStream<Uint8Array>, marker: string): Promise<{ rest: Promise<string> }> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 20_000;
  while (!text.includes(marker)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${marker}":\n${text}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`ended before "${marker}":\n${text}`);
    text += decoder.decode(value);
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += decoder.decode(value);
    }
  })();
  return { rest };
}
