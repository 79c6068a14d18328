// Code versions hash what the user wrote (io/project/code-version.ts): never the runtime's printing
// of a function, so a Bun upgrade or another transpiler leaves every asset fresh.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ASSET_DEF, type AnyAssetDef } from "../../../core/asset.ts";
import { createCodeVersioner } from "../../../io/project/code-version.ts";
import { callText, lineStarts, normalizeSource } from "../../../io/project/_source-text.ts";

const ASSET = join(import.meta.dir, "../../../core/asset.ts");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let n = 0;
/** Write `files` to a new folder (each load its own: Bun caches modules), import `main`, and version its exports. */
async function versions(files: Record<string, string>, main = "a.asset.ts"): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), "dagx-codever-"));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), text.replaceAll("DAGX", ASSET));
  }
  const file = join(dir, main);
  const mod = (await import(`${file}?v=${n++}`)) as Record<string, AnyAssetDef>;
  const version = createCodeVersioner();
  return Object.fromEntries(Object.entries(mod).map(([name, def]) => [name, version({ file, exportName: name, def })]));
}

const A = `import { asset } from "DAGX";
export const a = asset({ group: "g" }, (ctx: { x: number }) => {
  return ctx.x + 1;
});
export const b = asset(() => [{ x: 2 }]);
`;

describe("code versions", () => {
  test("do not depend on how the runtime prints the function (fn.toString)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dagx-codever-"));
    dirs.push(dir);
    writeFileSync(join(dir, "a.asset.ts"), A.replaceAll("DAGX", ASSET));
    const file = join(dir, "a.asset.ts");
    const { a } = (await import(file)) as { a: AnyAssetDef };
    const before = createCodeVersioner()({ file, exportName: "a", def: a });
    // another Bun, another minifier: the same source printed differently
    Object.defineProperty(a.fn, "toString", { value: () => "function(c){return c.x+1}" });
    expect(createCodeVersioner()({ file, exportName: "a", def: a })).toBe(before);
    // while scheme 1 did depend on it (what adoption recomputes)
    expect(createCodeVersioner().legacy({ file, exportName: "a", def: a })).not.toContain(before);
  });

  test("comments and formatting do not count, inside the call or around it", async () => {
    const base = await versions({ "a.asset.ts": A });
    const reformatted = await versions({
      "a.asset.ts": `// a header comment
import { asset } from "DAGX";

/** docs of a */
export const a = asset(
  { group: "g" }, // the group
  (ctx: { x: number }) => {   return ctx.x  +  1; }
);
export const b = asset(() => [ { x: 2 } ]);
`,
    });
    expect(reformatted).toEqual(base);
  });

  test("what the user wrote counts: the body, the options, type annotations; each asset only for its own call", async () => {
    const base = await versions({ "a.asset.ts": A });
    const body = await versions({ "a.asset.ts": A.replace("ctx.x + 1", "ctx.x + 2") });
    expect(body.a).not.toBe(base.a);
    expect(body.b).toBe(base.b);
    expect((await versions({ "a.asset.ts": A.replace('"g"', '"h"') })).a).not.toBe(base.a);
    expect((await versions({ "a.asset.ts": A.replace("x: number", "x: bigint") })).a).not.toBe(base.a);
  });

  test("local imports: their text counts, their comments and formatting do not", async () => {
    const withLib = (lib: string) => ({
      "a.asset.ts": `import { asset } from "DAGX";\nimport { k } from "./lib/k";\nexport const a = asset(() => k);\n`,
      "lib/k.ts": lib,
    });
    const base = await versions(withLib(`export const k = 1;\n`));
    expect(await versions(withLib(`// the constant\nexport const k =\n  1;\n`))).toEqual(base);
    expect(await versions(withLib(`export const k = 2;\n`))).not.toEqual(base);
  });

  test("an asset whose call cannot be found is versioned by its whole file (more edits count, none is missed)", () => {
    const dir = mkdtempSync(join(tmpdir(), "dagx-codever-"));
    dirs.push(dir);
    const file = join(dir, "a.asset.ts");
    const def = { [ASSET_DEF]: true, options: {}, fn: () => 1, location: null } as AnyAssetDef; // no call site
    writeFileSync(file, "export const a = 1;\nexport const other = 1;\n");
    const base = createCodeVersioner()({ file, exportName: "a", def });
    writeFileSync(file, "// reworded\nexport const a = 1;\nexport const other = 1;\n");
    expect(createCodeVersioner()({ file, exportName: "a", def })).toBe(base);
    writeFileSync(file, "export const a = 1;\nexport const other = 2;\n");
    expect(createCodeVersioner()({ file, exportName: "a", def })).not.toBe(base);
  });

  test("a call whose end a `/` could misplace is checked by parsing, and versioned by its whole file when the cut does not parse", async () => {
    // `x++ / (y / 2 + (1))` reads as a regular expression `/ (y /` to the bracket cut, which then ends one `)` early
    const file = (extra: string) => ({
      "a.asset.ts": `import { asset } from "DAGX";\nlet x = 1, y = 2;\nexport const a = asset(() => x++ / (y / 2 + (1)), ${extra});\nexport const b = asset(() => 1);\n`,
    });
    expect(callText(`asset(() => x++ / (y / 2 + (1)), 1)`, 1, 1)).toMatchObject({ raw: "asset(() => x++ / (y / 2 + (1))", slash: true });
    const base = await versions(file("{}"));
    expect(base.a).toMatch(/^[0-9a-f]{12}$/);
    // whole file: an edit of b's call changes a too (more edits count, none is missed)
    const other = await versions({ "a.asset.ts": file("{}")["a.asset.ts"].replace("() => 1)", "() => 2)") });
    expect(other.a).not.toBe(base.a);
    expect(other.b).not.toBe(base.b);
  });
});

describe("normal form", () => {
  test("keeps strings, templates and regular expressions verbatim; drops comments and spaces; keeps line breaks where they decide semicolons", () => {
    expect(normalizeSource("const s = ' a  b ' // c\n  + `x ${ y  } z` /* d */")).toBe("const s=' a  b '+`x ${y} z`");
    expect(normalizeSource("return\nx")).toBe("return\nx");
    expect(normalizeSource("return   x")).toBe("return x");
    expect(normalizeSource("a\n++b")).toBe("a\n++b");
    expect(normalizeSource("a + +b")).toBe("a+ +b");
    expect(normalizeSource("x = /\\) a/g.test(s)")).toBe("x=/\\) a/g.test(s)");
  });

  test("callText cuts the call from its callee to the matching parenthesis", () => {
    const text = `export const x = asset<{ a: 1 }>(\n  { k: ")" },\n  () => f(/\\(/),\n); const y = 2;\n`;
    expect(callText(text, 1, 18)).toEqual({ raw: `asset<{ a: 1 }>(\n  { k: ")" },\n  () => f(/\\(/),\n)`, normal: `asset<{a:1}>({k:")"},()=>f(/\\(/),)`, slash: true });
    expect(callText("asset(() => 1)", 1, 1)?.slash).toBe(false);
    expect(callText(text, 1, 1)).toBeNull(); // "export const x = asset…" is no call
  });

  test("a call without strings, comments or `/` (cut by regular expressions, not scanned) has the scanned normal form", () => {
    const calls = [
      "asset({ ins: { up: a4 } },\n  (_ctx, { up }) =>\n    up + 1)",
      "asset(() => {\n  x\n  ++y\n  return\n  z - -w\n})",
      "asset(() => a\r\n\t+ +b)",
      "dagx . asset ( ( ) => [ 1 , 2 ] )",
      "asset(() => a\u00a0+ b)", // beyond ASCII: scanned (a no-break space after a word is part of it)
      "asset(() => {\n  return x\n})",
    ];
    for (const c of calls) expect(callText(`${c}; next()`, 1, 1)).toEqual({ raw: c, normal: normalizeSource(c), slash: false });
    expect(callText(calls[0]!, 1, 1)?.normal).toBe("asset({ins:{up:a4}},(_ctx,{up})=>up+1)");
    expect(callText(calls[1]!, 1, 1)?.normal).toBe("asset(()=>{x\n++y\nreturn\nz- -w})");
    expect(callText(calls[4]!, 1, 1)?.normal).toBe("asset(()=>a\u00a0+b)");
    // a line given by a table of line starts (code-version.ts computes it once per file)
    const file = `import { asset } from "dagx";\nexport const a = asset(() => 1);\nexport const b = asset((ctx) => ctx.sql\`select 1\`);\n`;
    expect(callText(file, 3, 18, lineStarts(file))).toEqual({ raw: "asset((ctx) => ctx.sql`select 1`)", normal: "asset((ctx)=>ctx.sql`select 1`)", slash: false });
    expect(callText(file, 9, 1, lineStarts(file))).toBeNull();
  });
});
