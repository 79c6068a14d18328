// Bad definitions, run through the real CLI: each prints one clear message (what, file:line, how to
// fix), exits 2, and shows no stack trace unless --verbose (DESIGN §8).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type CliResult, runDagx, makeProject, REPO, removeProject } from "./helpers.ts";

const dirs: string[] = [];
const project = (files: Record<string, string>) => {
  const d = makeProject(files, "dagx-deferr-");
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

const STACK_LINE = /^\s{2,}at .*(:\d+|native|\))$/m;
/** No stack frames ("    at fn (file:1:2)") in the human output. */
function expectNoStack(r: CliResult): void {
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stdout).not.toMatch(STACK_LINE);
  expect(r.stderr).not.toContain("internal error");
}

const IMPORT = `import { asset } from "dagx";\n`;

describe("cycle", () => {
  const files = {
    "ab.asset.ts": `${IMPORT}export const a = asset({ deps: ["b"] }, () => 1);\nexport const b = asset({ deps: ["a"] }, () => 2);\n`,
    "c.asset.ts": `${IMPORT}export const c = asset(() => 3);\n`,
  };

  test("exit 2 with the cycle's path and a file:line", async () => {
    const dir = project(files);
    for (const args of [["list"], ["materialize", "c"], ["status"]]) {
      const r = await runDagx(dir, args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/Dependency cycle: (a → b → a|b → a → b)/);
      expect(r.stderr).toMatch(/ab\.asset\.ts:[23]\b/);
      expectNoStack(r);
    }
    expect(existsSync(join(dir, ".dagx/data"))).toBe(false);
  });

  test("--verbose adds the stack", async () => {
    const dir = project(files);
    const r = await runDagx(dir, ["list", "--verbose"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Dependency cycle");
    expect(r.stderr).toMatch(STACK_LINE);
  });

  test("--json puts a machine-readable error on stdout", async () => {
    const dir = project(files);
    const r = await runDagx(dir, ["list", "--json"]);
    expect(r.code).toBe(2);
    expect(r.json<{ error: { code: string; message: string } }>().error.code).toBe("DEFINITION_CYCLE");
  });
});

test("duplicate key across two files: exit 2 and both file:line", async () => {
  const dir = project({
    "one.asset.ts": `${IMPORT}\n\nexport const orders = asset(() => 1);\n`,
    "two.asset.ts": `${IMPORT}export const other = asset({ key: "orders" }, () => 2);\n`,
  });
  const r = await runDagx(dir, ["list"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('Duplicate asset key "orders"');
  expect(r.stderr).toMatch(/one\.asset\.ts:4\b/);
  expect(r.stderr).toMatch(/two\.asset\.ts:2\b/);
  expectNoStack(r);
});

test("keys that differ only in case (Orders, orders): exit 2 naming both with file:line", async () => {
  const dir = project({
    "upper.asset.ts": `${IMPORT}export const Orders = asset(() => [{ id: 1 }]);\n`,
    "lower.asset.ts": `${IMPORT}\nexport const orders = asset(() => [{ id: 2 }]);\n`,
  });
  for (const args of [["list"], ["materialize", "orders"]]) {
    const r = await runDagx(dir, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Asset keys "(Orders|orders)" and "(Orders|orders)" differ only in case/);
    expect(r.stderr).toMatch(/upper\.asset\.ts:2\b/);
    expect(r.stderr).toMatch(/lower\.asset\.ts:3\b/);
    expectNoStack(r);
  }
  expect(existsSync(join(dir, ".dagx/data"))).toBe(false);
});

test("unknown dep by string: exit 2 with did you mean", async () => {
  const dir = project({
    "a.asset.ts": `${IMPORT}export const orders = asset(() => [{ id: 1 }]);\nexport const revenue = asset({ deps: ["ordres"] }, () => 2);\n`,
  });
  const r = await runDagx(dir, ["materialize", "orders"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('unknown asset "ordres"');
  expect(r.stderr).toContain('did you mean "orders"');
  expect(r.stderr).toMatch(/a\.asset\.ts:3\b/);
  expectNoStack(r);
  expect(existsSync(join(dir, ".dagx/data/orders"))).toBe(false);
});

describe("an asset file with a syntax error", () => {
  let dir: string;
  const setup = () => {
    dir ??= project({
      "good.asset.ts": `${IMPORT}export const other_asset = asset(() => [{ id: 1 }, { id: 2 }]);\n`,
      "broken.asset.ts": `${IMPORT}export const broken = asset(() => [{ x: 1 }]);\nexport const oops = asset(() => {\n  return 1 +;\n});\n`,
      // depends on the broken file's asset by key string …
      "bykey.asset.ts": `${IMPORT}export const by_key = asset({ deps: ["broken"] }, () => undefined);\n`,
      // … and by import
      "byimport.asset.ts": `${IMPORT}import { broken } from "./broken.asset";\nexport const by_import = asset({ ins: { broken } }, () => ({ ok: 1 }));\n`,
    });
    return dir;
  };

  test("list exits 0, prints file:line with a code frame, still lists the other assets", async () => {
    const r = await runDagx(setup(), ["list", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Syntax error in broken\.asset\.ts:4\b/);
    expect(r.stderr).toContain("> 4 |   return 1 +;"); // the code frame marks the line
    expect(r.stderr).toMatch(/3 \| export const oops/);
    const keys = r.json<{ key: string }[]>().map((a) => a.key);
    expect(keys).toEqual(["other_asset"]);
    expectNoStack(r);
  });

  test("materialize with no selection refuses with exit 2", async () => {
    const r = await runDagx(setup(), ["materialize"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Cannot materialize everything");
    expect(r.stderr).toMatch(/broken\.asset\.ts:4\b/);
    expect(existsSync(join(dir, ".dagx/data/other_asset"))).toBe(false);
    expectNoStack(r);
  });

  test("materializing an unrelated asset works", async () => {
    const r = await runDagx(setup(), ["materialize", "other_asset", "--json"]);
    expect(r.code).toBe(0);
    const out = r.json<{ status: string; steps: { key: string; status: string; rows: number }[] }>();
    expect(out.status).toBe("success");
    expect(out.steps).toEqual([expect.objectContaining({ key: "other_asset", status: "success", rows: 2 })]);
    expect(existsSync(join(dir, ".dagx/data/other_asset/data.parquet"))).toBe(true);
  });

  for (const key of ["by_key", "by_import", "broken"]) {
    test(`selecting ${key} (which needs the broken file) is refused`, async () => {
      const r = await runDagx(setup(), ["materialize", key]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("broken.asset.ts");
      expect(r.stderr).toMatch(/Syntax error in broken\.asset\.ts:4\b/);
      expect(r.stderr).toContain(`Unknown asset "${key}"`);
      expect(existsSync(join(dir, `.dagx/data/${key}`))).toBe(false);
      expectNoStack(r);
    });
  }

  test("the asset left out because of a string dep is named with its file:line", async () => {
    const r = await runDagx(setup(), ["list"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Asset "by_key" at bykey\.asset\.ts:2 is left out: it depends on "broken"/);
    expect(r.stderr).toMatch(/Syntax error in broken\.asset\.ts:4 \(imported by byimport\.asset\.ts\)/);
  });
});

describe("schedules and sensors that select assets of a file with a syntax error", () => {
  let dir: string;
  const setup = () => {
    dir ??= project({
      "broken.asset.ts": `${IMPORT}export const a = asset({ group: "raw" }, () => [{ x: 1 }]);\nexport const oops = 1 +;\n`,
      "good.asset.ts": [
        `import { asset, schedule, sensor } from "dagx";`,
        `export const b = asset(() => [{ y: 1 }]);`,
        `export const nightly = schedule({ cron: "0 2 * * *", select: "a" });`,
        `export const raw_daily = schedule({ cron: "0 3 * * *", select: "group:raw" });`,
        `export const watch = sensor({ select: "a+" }, () => undefined);`,
        `export const fine = schedule({ cron: "0 4 * * *", select: "b" });`,
        ``,
      ].join("\n"),
    });
    return dir;
  };

  test("list exits 0: the file's own error (file:line, code frame) comes first, then each instigator left out as a consequence", async () => {
    const r = await runDagx(setup(), ["list", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json<{ key: string }[]>().map((a) => a.key)).toEqual(["b"]);
    const own = r.stderr.indexOf("Syntax error in broken.asset.ts:3");
    expect(own).toBeGreaterThan(-1);
    expect(r.stderr).toContain("> 3 | export const oops = 1 +;");
    for (const [kind, name, line, sel] of [["Schedule", "nightly", 3, "a"], ["Schedule", "raw_daily", 4, "group:raw"], ["Sensor", "watch", 5, "a+"]] as const) {
      const at = r.stderr.indexOf(`${kind} "${name}" at good.asset.ts:${line} is left out: it selects "${sel}", which does not resolve while broken.asset.ts fails to load`);
      expect([name, at > own]).toEqual([name, true]);
    }
    expect(r.stderr).not.toContain("selects no assets");
    expect(r.stderr).not.toContain("unknown group");
    expect(r.stderr).not.toContain(REPO);
    expectNoStack(r);
  });

  test("other commands work: materialize an unrelated asset, list the schedules that still load", async () => {
    const m = await runDagx(setup(), ["materialize", "b", "--json"]);
    expect(m.code).toBe(0);
    expect(m.json<{ status: string }>().status).toBe("success");
    const s = await runDagx(dir, ["schedules", "list", "--json"]);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain('"fine"');
    expect(s.stdout).not.toContain('"nightly"');
  });
});

test("a definition error found after a file failed to load: the file's own error is printed first, then the definition error (exit 2)", async () => {
  const dir = project({
    "broken.asset.ts": `${IMPORT}export const a = asset(() => 1);\nexport const oops = 1 +;\n`,
    "jobs.asset.ts": `import { asset, schedule } from "dagx";\nexport const b = asset(() => 1);\nexport const bad = schedule({ cron: "not a cron", select: "b" });\n`,
  });
  const r = await runDagx(dir, ["list"]);
  expect(r.code).toBe(2);
  const own = r.stderr.indexOf("Syntax error in broken.asset.ts:3");
  expect(own).toBeGreaterThan(-1);
  expect(r.stderr.indexOf('Invalid schedule "bad"')).toBeGreaterThan(own);
  expect(r.stderr).not.toContain(REPO);
  expectNoStack(r);
});

test("a schedule selecting a partitioned asset without partitions is a definition error at load (it would fail at every tick)", async () => {
  const dir = project({
    "e.asset.ts": [
      `import { asset, daily, schedule } from "dagx";`,
      `export const events = asset({ partitions: daily({ start: "2024-01-01" }) }, (ctx) => [{ day: ctx.partition!.key }]);`,
      `export const nightly = schedule({ cron: "0 2 * * *", select: "events" });`,
      ``,
    ].join("\n"),
  });
  const r = await runDagx(dir, ["list"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/Invalid schedule "nightly" at .*e\.asset\.ts:3: selects the partitioned asset "events" \(daily\(start=2024-01-01\)\) but gives no partitions: add partitions: "latest"/);
  expectNoStack(r);
});

describe("exports dagx cannot read", () => {
  test("a Proxy export that throws on property access is not a definition: list still lists the file's assets", async () => {
    const dir = project({
      "p.asset.ts": `${IMPORT}export const trap = new Proxy({}, { get() { throw new Error("no access"); }, has() { throw new Error("no has"); } });\nexport const a = asset(() => [{ x: 1 }]);\n`,
    });
    const r = await runDagx(dir, ["list", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json<{ key: string }[]>().map((a) => a.key)).toEqual(["a"]);
    expect(r.stderr).not.toContain("This is a bug");
    expectNoStack(r);
  });

  test("options whose getter throws are a definition error at the user's file:line, not an internal error", async () => {
    const dir = project({
      "g.asset.ts": `${IMPORT}const options = { get key(): string { throw new Error("key unavailable"); } };\nexport const a = asset(options, () => 1);\n`,
    });
    const r = await runDagx(dir, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("key unavailable");
    expect(r.stderr).toMatch(/g\.asset\.ts:2\b/);
    expect(r.stderr).not.toContain("This is a bug");
    expectNoStack(r);
  });

  test("an error thrown by dagx's own API in a helper module points at the user's files, never at dagx", async () => {
    const dir = project({
      "helper.ts": `import { staticPartitions } from "dagx";\nexport const make = () => staticPartitions([]);\n`,
      "h.asset.ts": `${IMPORT}import { make } from "./helper.ts";\nexport const a = asset({ partitions: make() }, () => 1);\n`,
    });
    const r = await runDagx(dir, ["list"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Error in (helper\.ts:2|h\.asset\.ts:3)\b/);
    expect(r.stderr).toContain("staticPartitions(): it needs at least one key");
    expect(r.stderr).not.toContain(REPO);
  });
});

describe("an asset file that throws at import", () => {
  const files = {
    "ok.asset.ts": `${IMPORT}export const fine = asset(() => ({ v: 1 }));\n`,
    "throws.asset.ts": `${IMPORT}const limit = 3;\nif (limit > 2) throw new Error("config missing: set SHOP_URL");\nexport const t = asset(() => 1);\n`,
  };

  test("names the file:line and the message; other assets still list", async () => {
    const dir = project(files);
    const r = await runDagx(dir, ["list", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/throws\.asset\.ts:3\b/);
    expect(r.stderr).toContain("config missing: set SHOP_URL");
    expect(r.stderr).toContain('> 3 | if (limit > 2) throw new Error("config missing: set SHOP_URL");');
    expect(r.json<{ key: string }[]>().map((a) => a.key)).toEqual(["fine"]);
    expectNoStack(r);
  });

  test("--verbose shows the stack", async () => {
    const dir = project(files);
    const r = await runDagx(dir, ["list", "--verbose"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\s+at .*throws\.asset\.ts:3/m);
  });
});

describe("selection typo", () => {
  const files = { "a.asset.ts": `${IMPORT}export const orders = asset(() => [{ id: 1 }]);\nexport const customers = asset(() => [{ id: 1 }]);\n` };

  test("exit 2 with a caret under the token and did you mean", async () => {
    const dir = project(files);
    const r = await runDagx(dir, ["materialize", "customers,ordres+"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown asset "ordres"');
    expect(r.stderr).toContain('did you mean "orders"');
    const lines = r.stderr.split("\n");
    const sel = lines.findIndex((l) => l.trimEnd() === "  customers,ordres+");
    expect(sel).toBeGreaterThan(-1);
    // the caret line points at "ordres" (column 10 of the selection, after "customers,")
    expect(lines[sel + 1]).toBe(`  ${" ".repeat(10)}^^^^^^`);
    expectNoStack(r);
    expect(existsSync(join(dir, ".dagx/data"))).toBe(false);
  });

  test("a syntax error in the selection points at the end", async () => {
    const dir = project(files);
    const r = await runDagx(dir, ["list", "orders and"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unexpected end of selection");
    expect(r.stderr).toContain(`  orders and\n  ${" ".repeat(10)}^`);
    expectNoStack(r);
  });

  test("--verbose shows the stack", async () => {
    const dir = project(files);
    const r = await runDagx(dir, ["list", "ordres", "--verbose"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean "orders"');
    expect(r.stderr).toMatch(STACK_LINE);
  });
});
