// DESIGN §11 through the real CLI: keys never escape .dagx/data (validation, symlinks, the prefix
// trap), values reach SQL only as bound parameters, state is owner-only.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dagx, runDagx, removeProject, writeFile } from "./helpers.ts";

const roots: string[] = [];
afterAll(() => {
  for (const d of roots) removeProject(d);
});

/** A sandbox folder holding the project (`<sandbox>/proj`), so writes outside the project are visible. */
function sandbox(files: Record<string, string>): { box: string; dir: string } {
  const box = mkdtempSync(join(tmpdir(), "dagx-sec-"));
  roots.push(box);
  const dir = join(box, "proj");
  mkdirSync(dir);
  for (const [rel, text] of Object.entries(files)) writeFile(dir, rel, text);
  return { box, dir };
}

/** Every path under `root` (relative), sorted; symlinks are listed, not followed. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) walk(join(d, e.name), r);
    }
  };
  walk(root, "");
  return out.sort();
}
const outsideDagx = (box: string) => tree(box).filter((p) => !p.startsWith("proj/.dagx"));

const IMPORT = `import { asset } from "dagx";\n`;

describe("keys that try path traversal", () => {
  for (const key of ["../evil", "a/../../b", "/abs/evil", "a/./b", "..", "a/..evil"]) {
    test(`key ${JSON.stringify(key)} is refused and nothing is written outside .dagx/`, async () => {
      const { box, dir } = sandbox({
        "evil.asset.ts": `${IMPORT}export const evil = asset({ key: ${JSON.stringify(key)} }, () => [{ pwned: 1 }]);\n`,
      });
      const before = outsideDagx(box);
      const r = await runDagx(dir, ["materialize"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Invalid asset key ${JSON.stringify(key)}`);
      expect(r.stderr).toMatch(/evil\.asset\.ts:2/);
      expect(outsideDagx(box)).toEqual(before);
      expect(existsSync(join(dir, ".dagx/data"))).toBe(false);
    });
  }

  test("a symlink planted at .dagx/data/x pointing outside the project: write refused, nothing written outside", async () => {
    const { box, dir } = sandbox({
      "x.asset.ts": `${IMPORT}export const x = asset(() => [{ pwned: 1 }]);\nexport const y = asset(() => ({ safe: true }));\n`,
    });
    const target = join(box, "outside");
    mkdirSync(target);
    mkdirSync(join(dir, ".dagx/data"), { recursive: true, mode: 0o700 });
    symlinkSync(target, join(dir, ".dagx/data/x"));
    const before = outsideDagx(box);

    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(1);
    const out = r.json<{ steps: { key: string; status: string; error?: string }[] }>();
    const x = out.steps.find((s) => s.key === "x")!;
    expect(x.status).toBe("failed");
    expect(x.error).toContain("Refusing to write");
    expect(x.error).toContain("links outside the data folder");
    expect(out.steps.find((s) => s.key === "y")!.status).toBe("success"); // other assets still run
    expect(readdirSync(target)).toEqual([]);
    expect(outsideDagx(box)).toEqual(before);

    // the failure is recorded; x never got a materialization
    const st = (await runDagx(dir, ["status", "--json"])).json<{ key: string; status: string; lastMaterialization: unknown }[]>();
    expect(st.find((s) => s.key === "x")).toMatchObject({ status: "failed", lastMaterialization: null });
    const logs = (await runDagx(dir, ["logs", "latest", "--json"])).json<{ events: { type: string; assetKey: string | null; payload: { error?: string } }[] }>();
    expect(logs.events.find((e) => e.type === "step_failed" && e.assetKey === "x")?.payload.error).toContain("outside the data folder");
  });

  test("a symlink planted at an output file does not write through to its target", async () => {
    const { box, dir } = sandbox({
      "f.asset.ts": `${IMPORT}export const j = asset(() => ({ pwned: true }));\nexport const p = asset(() => [{ pwned: 1 }]);\n`,
    });
    const secret = join(box, "secret.txt");
    writeFile(box, "secret.txt", "do not touch\n");
    mkdirSync(join(dir, ".dagx/data/j"), { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, ".dagx/data/p"), { recursive: true, mode: 0o700 });
    symlinkSync(secret, join(dir, ".dagx/data/j/value.json"));
    symlinkSync(secret, join(dir, ".dagx/data/p/data.parquet"));
    const before = outsideDagx(box);
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(1);
    const steps = r.json<{ steps: { key: string; status: string; error?: string }[] }>().steps;
    for (const s of steps) expect([s.key, s.status, s.error?.includes("links outside the data folder")]).toEqual([s.key, "failed", true]);
    expect(readFileSync(secret, "utf8")).toBe("do not touch\n");
    expect(outsideDagx(box)).toEqual(before);
  });

  test("a symlinked data folder sibling with the same prefix (/data vs /data-evil) does not count as inside", async () => {
    // .dagx/data/pre → ../data-evil/pre : resolves to a path that starts with ".dagx/data" as a string
    const { box, dir } = sandbox({ "pre.asset.ts": `${IMPORT}export const pre = asset(() => ({ v: 1 }));\n` });
    mkdirSync(join(dir, ".dagx/data-evil/pre"), { recursive: true });
    mkdirSync(join(dir, ".dagx/data"), { recursive: true, mode: 0o700 });
    symlinkSync(join(dir, ".dagx/data-evil/pre"), join(dir, ".dagx/data/pre"));
    const before = outsideDagx(box);
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(1);
    expect(r.json<{ steps: { error?: string }[] }>().steps[0]!.error).toContain("links outside the data folder");
    expect(readdirSync(join(dir, ".dagx/data-evil/pre"))).toEqual([]);
    expect(outsideDagx(box)).toEqual(before);
  });
});

describe("SQL values are bound, never spliced", () => {
  test("ctx.sql with a hostile string returns it as a value, and the table survives", async () => {
    const hostile = `'; drop table x; --`;
    const { dir } = sandbox({
      "sql.asset.ts": [
        IMPORT,
        `const hostile = ${JSON.stringify(hostile)};`,
        `export const x = asset((ctx) => ctx.sql\`select 1 as id, 'kept' as note\`);`,
        `export const probe = asset({ ins: { x } }, async (ctx, { x }) => {`,
        `  const echoed = await ctx.sql\`select \${hostile} as v, length(\${hostile}) as n\`.rows();`,
        `  const still = await ctx.sql\`select count(*)::int as c from \${x}\`.rows();`,
        `  return ctx.sql\`select \${hostile} as v, \${echoed[0].v} as echoed, \${still[0].c} as rows_in_x from \${x}\`;`,
        `});`,
        ``,
      ].join("\n"),
    });
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.stderr).not.toContain("Parser Error");
    expect(r.code).toBe(0);
    const q = await runDagx(dir, ["query", "select v, echoed, rows_in_x from probe", "--json"]);
    expect(q.code).toBe(0);
    expect(q.json<Record<string, unknown>[]>()).toEqual([{ v: hostile, echoed: hostile, rows_in_x: 1 }]);
    const x = await runDagx(dir, ["query", "select * from x", "--json"]);
    expect(x.json<Record<string, unknown>[]>()).toEqual([{ id: 1, note: "kept" }]);
  });
});

describe("permissions", () => {
  test("state file 0600, .dagx/ and .dagx/data 0700", async () => {
    // spawned: the entry point sets the umask
    const { dir } = sandbox({ "a.asset.ts": `${IMPORT}export const a = asset(() => ({ v: 1 }));\nexport const t = asset(() => [{ id: 1 }]);\n` });
    const r = await dagx(dir, ["materialize"]);
    expect(r.code).toBe(0);
    const mode = (rel: string) => statSync(join(dir, rel)).mode & 0o777;
    expect(mode(".dagx")).toBe(0o700);
    expect(mode(".dagx/state.duckdb")).toBe(0o600);
    expect(mode(".dagx/data")).toBe(0o700);
    expect(mode(".dagx/data/a")).toBe(0o700);
    expect(mode(".dagx/data/a/value.json")).toBe(0o600);
    if (existsSync(join(dir, ".dagx/state.duckdb.lock"))) expect(mode(".dagx/state.duckdb.lock")).toBe(0o600);
    // nothing else under .dagx/ can be reached by other users: every folder is owner-only
    for (const p of tree(join(dir, ".dagx"))) {
      if (statSync(join(dir, ".dagx", p)).isDirectory()) expect([p, mode(`.dagx/${p}`)]).toEqual([p, 0o700]);
    }
    expect(JSON.parse(readFileSync(join(dir, ".dagx/data/a/value.json"), "utf8"))).toEqual({ v: 1 });
  });
});

describe("a dagx.config.ts found by the upward search must be trusted", () => {
  /** `<box>/shared/dagx.config.ts` (leaves `ran` when imported) and an asset file; dagx runs from `<box>/shared/sub`. */
  function shared(): { box: string; root: string; sub: string } {
    const box = mkdtempSync(join(tmpdir(), "dagx-trust-"));
    roots.push(box);
    const root = join(box, "shared");
    writeFile(root, "dagx.config.ts", `import { writeFileSync } from "node:fs";\nwriteFileSync(\`\${import.meta.dir}/ran\`, "");\nexport default {};\n`);
    writeFile(root, "a.asset.ts", `${IMPORT}export const a = asset(() => ({ v: 1 }));\n`);
    writeFile(root, "sub/notes.txt", "x\n");
    return { box, root, sub: join(root, "sub") };
  }

  test("in a folder any user may write to: refused with exit 2, the config is not run and nothing is created", async () => {
    const { root, sub } = shared();
    chmodSync(root, 0o777);
    for (const cwd of [sub, root]) {
      const r = await runDagx(cwd, ["materialize"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Refusing to use "${root}"`);
      expect(r.stderr).toContain("any user may write to it (mode 777)");
      expect(r.stderr).toContain(`chmod o-w "${root}"`);
    }
    // read-only commands find the root the same way and refuse too
    expect((await runDagx(sub, ["runs"])).code).toBe(2);
    expect(existsSync(join(root, "ran"))).toBe(false);
    expect(existsSync(join(root, ".dagx"))).toBe(false);
    // naming the root explicitly is the user's decision
    const explicit = await runDagx(sub, ["-C", root, "materialize"]);
    expect(explicit.code).toBe(0);
    expect(existsSync(join(root, "ran"))).toBe(true);
  });

  test("a config file any user may write to: refused", async () => {
    const { root, sub } = shared();
    chmodSync(join(root, "dagx.config.ts"), 0o666);
    const r = await runDagx(sub, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Refusing to use "${join(root, "dagx.config.ts")}" (the project config): any user may write to it (mode 666)`);
    expect(existsSync(join(root, "ran"))).toBe(false);
  });

  const asRoot = process.getuid?.() === 0;
  test.skipIf(!asRoot)("a folder or config owned by another user: refused (needs root to chown)", async () => {
    const { root, sub } = shared();
    chownSync(root, 4242, 4242);
    let r = await runDagx(sub, ["list", "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Refusing to use "${root}" (the project root found above "${sub}"): it belongs to another user (uid 4242)`);
    expect(r.json<{ error: { code: string } }>().error.code).toBe("PROJECT_UNTRUSTED");
    chownSync(root, 0, 0);
    chownSync(join(root, "dagx.config.ts"), 4242, 4242);
    r = await runDagx(sub, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("(the project config): it belongs to another user (uid 4242)");
    expect(existsSync(join(root, "ran"))).toBe(false);
  });
});
