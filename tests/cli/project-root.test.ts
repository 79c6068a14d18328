// Where the project root is (DESIGN §8): -C DIR is the root (no upward search); without it the
// nearest folder upward holding dagx.config.ts or .dagx/; discovery never descends into a nested
// project; commands that only read state never import user code.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dagx, runDagx, removeProject, writeFile } from "./helpers.ts";
import { startLive } from "./live.ts";

const boxes: string[] = [];
afterAll(() => {
  for (const d of boxes) removeProject(d);
});

/** `<box>/dagx.config.ts` leaves `<box>/parent-config-ran` when imported; the project is `<box>/<odd name>`. */
function sandbox(files: Record<string, string>): { box: string; dir: string } {
  const box = mkdtempSync(join(tmpdir(), "dagx-root-"));
  boxes.push(box);
  writeFile(box, "dagx.config.ts", `import { writeFileSync } from "node:fs";\nwriteFileSync(\`\${import.meta.dir}/parent-config-ran\`, "");\nexport default {};\n`);
  const dir = join(box, "proj=[1]*");
  mkdirSync(dir);
  for (const [rel, text] of Object.entries(files)) writeFile(dir, rel, text);
  return { box, dir };
}
const ORDERS = `import { asset } from "dagx";\nexport const orders = asset(() => [{ id: 1 }, { id: 2 }]);\n`;
/** An asset file that leaves a marker when imported, then throws. */
const TRAP = `import { writeFileSync } from "node:fs";\nwriteFileSync(\`\${import.meta.dir}/asset-file-imported\`, "");\nthrow new Error("broken at import");\n`;

describe("-C DIR is the project root", () => {
  test("a dagx.config.ts in a parent folder is not run and .dagx is created in DIR", async () => {
    const { box, dir } = sandbox({ "a.asset.ts": ORDERS });
    for (const [cwd, c] of [[dir, "."], [box, dir]] as const) {
      const r = await runDagx(cwd, ["-C", c, "materialize", "--json"]);
      expect(r.code).toBe(0);
      expect(r.json<{ status: string }>().status).toBe("success");
    }
    expect(existsSync(join(box, "parent-config-ran"))).toBe(false);
    expect(existsSync(join(box, ".dagx"))).toBe(false);
    expect(existsSync(join(dir, ".dagx/data/orders/data.parquet"))).toBe(true);
  });

  test("dagx dev -C DIR watches DIR and its worker loads DIR, not a parent", async () => {
    const { box, dir } = sandbox({ "a.asset.ts": ORDERS });
    const d = startLive(box, ["dev", "-C", dir, "--no-daemon"]);
    try {
      await d.waitFor("watching for changes", { timeoutMs: 30_000 });
      expect(d.text()).toMatch(/dagx dev 1 asset\(s\)/);
    } finally {
      await d.stop("SIGINT");
    }
    expect(existsSync(join(box, "parent-config-ran"))).toBe(false);
    expect(existsSync(join(box, ".dagx"))).toBe(false);
  });

  test("a folder that does not exist is a usage error (exit 2), and nothing is created", async () => {
    const { box } = sandbox({});
    const r = await runDagx(box, ["-C", "nope", "list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Project folder "${join(box, "nope")}" (from -C) does not exist`);
    expect(existsSync(join(box, "nope"))).toBe(false);
    expect(existsSync(join(box, "parent-config-ran"))).toBe(false);
  });
});

describe("without -C", () => {
  test("the upward search stops at the nearest folder holding .dagx/ (the parent's config is not run)", async () => {
    const { box, dir } = sandbox({ "a.asset.ts": ORDERS, "sub/readme.txt": "x" });
    mkdirSync(join(dir, ".dagx"), { mode: 0o700 });
    // spawned: the search starts at the process's own working folder
    const r = await dagx(join(dir, "sub"), ["list", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json<{ key: string }[]>().map((a) => a.key)).toEqual(["orders"]);
    expect(existsSync(join(box, "parent-config-ran"))).toBe(false);
  });

  test("discovery never descends into a nested project (a folder with its own dagx.config.ts): no duplicate keys", async () => {
    const { dir } = sandbox({
      "dagx.config.ts": "export default {};\n",
      "a.asset.ts": ORDERS,
      "nested/dagx.config.ts": "export default {};\n",
      "nested/b.asset.ts": ORDERS,
      "nested/deeper/c.asset.ts": TRAP,
    });
    const r = await runDagx(dir, ["list", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json<{ key: string }[]>().map((a) => a.key)).toEqual(["orders"]);
    expect(existsSync(join(dir, "nested/deeper/asset-file-imported"))).toBe(false);
    // the nested project is a project of its own
    const n = await runDagx(join(dir, "nested"), ["list", "--json"]);
    expect(n.code).toBe(0);
    expect(n.json<{ key: string }[]>().map((a) => a.key)).toEqual(["orders"]);
  });
});

describe("commands that only read state never import user code", () => {
  test("runs, logs, backfill list/show, gc and query work while an asset file throws at import, and import nothing", async () => {
    const { dir } = sandbox({ "a.asset.ts": ORDERS });
    expect((await runDagx(dir, ["-C", dir, "materialize"])).code).toBe(0);
    writeFile(dir, "dagx.config.ts", `import { writeFileSync } from "node:fs";\nwriteFileSync(\`\${import.meta.dir}/config-imported\`, "");\nexport default {};\n`);
    writeFile(dir, "trap.asset.ts", TRAP);

    const runs = await runDagx(dir, ["runs", "--json"]);
    expect(runs.code).toBe(0);
    expect(runs.json<{ status: string }[]>().map((r) => r.status)).toEqual(["success"]);
    const logs = await runDagx(dir, ["logs", "latest", "--json"]);
    expect(logs.code).toBe(0);
    expect(logs.json<{ run: { status: string } }>().run.status).toBe("success");
    const list = await runDagx(dir, ["backfill", "list", "--json"]);
    expect(list.code).toBe(0);
    expect(list.json()).toEqual([]);
    const show = await runDagx(dir, ["backfill", "show", "0000"]);
    expect(show.code).toBe(2);
    expect(show.stderr).toContain('No backfill "0000"');
    const gc = await runDagx(dir, ["gc", "--dry-run", "--json"]);
    expect(gc.code).toBe(0);
    const q = await runDagx(dir, ["query", "select count(*)::int as n from orders", "--json"]);
    expect(q.code).toBe(0);
    expect(q.json()).toEqual([{ n: 2 }]);

    for (const r of [runs, logs, list, show, gc, q]) expect(r.stderr).not.toContain("broken at import");
    expect(existsSync(join(dir, "asset-file-imported"))).toBe(false);
    expect(existsSync(join(dir, "config-imported"))).toBe(false);
    // a command that needs the definitions still imports them and reports the broken file
    const st = await runDagx(dir, ["status", "--json"]);
    expect(st.stderr).toContain("broken at import");
    expect(existsSync(join(dir, "asset-file-imported"))).toBe(true);
  });
});
