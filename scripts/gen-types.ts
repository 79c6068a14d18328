/**
 * Generate `io/project/dagx.d.ts`: the declarations of the public "dagx" module (core/public.ts)
 * as one self-contained `declare module "dagx" { … }`, a text asset embedded in the CLI (and the
 * binary) for `dagx types` and `dagx init`.
 *
 *   bun scripts/gen-types.ts           # (re)write io/project/dagx.d.ts
 *   bun scripts/gen-types.ts --check   # exit 1 when the committed file is out of date
 *
 * `tsc --declaration --emitDeclarationOnly` emits one .d.ts per source file; this script follows the
 * entry's relative imports and inlines every file into one ambient module. Declarations keep their
 * names (a name declared by two files is an error), only the entry's exports are exported.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const ENTRY = "core/public.ts";

/**
 * Libraries the public API re-exports (`v`, valibot), embedded as ambient modules of their own under
 * a dagx name, so the declarations work where nothing is installed (the compiled binary's users).
 * Each is one self-contained .d.ts whose top-level `declare`s are dropped inside the module.
 */
const EMBEDDED: Readonly<Record<string, { name: string; dts: string }>> = {
  valibot: { name: "dagx/valibot", dts: "node_modules/valibot/dist/index.d.mts" },
};

/** `declare module "<name>" { … }` around a library's own declaration file. */
function embeddedModule(name: string, dtsPath: string): string {
  const lines = readFileSync(join(ROOT, dtsPath), "utf8").split("\n").filter((l) => !l.startsWith("//# sourceMappingURL"));
  if (lines.some((l) => /^import\s/.test(l))) throw new Error(`gen-types: ${dtsPath} imports other modules: it cannot be embedded as is`);
  const body = lines.map((l) => l.replace(/^declare\s+/, "")).map((l) => (l === "" ? "" : `  ${l}`));
  return `declare module ${JSON.stringify(name)} {\n${body.join("\n").trimEnd()}\n}\n`;
}

/** An external import line with an embedded library's name replaced by its dagx name. */
function embeddedImport(line: string): string {
  return line.replace(/from\s+"([^"]+)";$/, (all, spec: string) => (EMBEDDED[spec] ? `from ${JSON.stringify(EMBEDDED[spec].name)};` : all));
}
export const GENERATED_FILE = join(ROOT, "io/project/dagx.d.ts");

const IMPORT = /^import\s+(type\s+)?(.*?)\s+from\s+"([^"]+)";$/;
const REEXPORT = /^export\s+(type\s+)?(\*|\{[^}]*\})\s+from\s+"([^"]+)";$/;
const LOCAL_EXPORT = /^export\s+(type\s+)?\{([^}]*)\};$/;
const DECL = /^(export\s+)?(declare\s+)?((?:abstract\s+)?(?:function|const|let|var|class|enum|namespace|interface|type))\s+([A-Za-z_$][\w$]*)/;

interface ExportRef {
  /** Name inside the bundle. */
  local: string;
  typeOnly: boolean;
}

interface DtsFile {
  path: string;
  lines: string[];
  /** Top-level names declared here. */
  declared: Set<string>;
  /** Exported name → where it comes from (resolved lazily through re-exports). */
  exports: Map<string, { from: string | null; name: string; typeOnly: boolean }>;
  star: string[];
  external: string[];
}

const isRelative = (spec: string) => spec.startsWith("./") || spec.startsWith("../");

function resolveSpec(fromFile: string, spec: string): string {
  const base = resolve(dirname(fromFile), spec).replace(/\.(ts|js|mts|mjs|d\.ts)$/, "");
  for (const c of [`${base}.d.ts`, join(base, "index.d.ts")]) if (existsSync(c)) return c;
  throw new Error(`gen-types: cannot resolve "${spec}" from ${fromFile}`);
}

function names(list: string): { name: string; as: string; typeOnly: boolean }[] {
  return list
    .replace(/[{}]/g, "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const typeOnly = s.startsWith("type ");
      const [name, as] = s.replace(/^type\s+/, "").split(/\s+as\s+/) as [string, string | undefined];
      return { name, as: as ?? name, typeOnly };
    });
}

function parseDts(path: string): DtsFile {
  const f: DtsFile = { path, lines: [], declared: new Set(), exports: new Map(), star: [], external: [] };
  for (const line of readFileSync(path, "utf8").split("\n")) {
    let m: RegExpExecArray | null;
    if (line === "export {};") continue;
    if ((m = IMPORT.exec(line))) {
      if (!isRelative(m[3]!)) f.external.push(embeddedImport(line));
      else if (/\bas\b|\*/.test(m[2]!) || !m[2]!.startsWith("{")) throw new Error(`gen-types: unsupported import in ${path}: ${line} (import names without renaming)`);
      continue;
    }
    if ((m = REEXPORT.exec(line))) {
      const target = resolveSpec(path, m[3]!);
      if (m[2] === "*") f.star.push(target);
      else for (const n of names(m[2]!)) f.exports.set(n.as, { from: target, name: n.name, typeOnly: Boolean(m[1]) || n.typeOnly });
      continue;
    }
    if ((m = LOCAL_EXPORT.exec(line))) {
      for (const n of names(m[2]!)) f.exports.set(n.as, { from: null, name: n.name, typeOnly: Boolean(m[1]) || n.typeOnly });
      continue;
    }
    if (line.startsWith("export default") || line.startsWith("export =") || line.startsWith("export * as")) {
      throw new Error(`gen-types: unsupported export in ${path}: ${line}`);
    }
    if ((m = DECL.exec(line))) {
      const name = m[4]!;
      f.declared.add(name);
      if (m[1]) f.exports.set(name, { from: null, name, typeOnly: /interface|type/.test(m[3]!) });
      // inside `declare module` everything is already ambient: drop `export` and `declare`
      f.lines.push(line.slice((m[1]?.length ?? 0) + (m[2]?.length ?? 0)));
      continue;
    }
    f.lines.push(line);
  }
  return f;
}

/** Bundle the .d.ts files reachable from `entry` into the body of one ambient module. */
export function bundleDeclarations(entry: string, moduleName = "dagx"): string {
  const files = new Map<string, DtsFile>();
  const visit = (path: string) => {
    if (files.has(path)) return;
    const f = parseDts(path);
    files.set(path, f);
    const deps = readFileSync(path, "utf8").matchAll(/from\s+"(\.{1,2}\/[^"]+)"/g);
    for (const d of deps) visit(resolveSpec(path, d[1]!));
  };
  visit(entry);
  const owner = new Map<string, string>();
  for (const f of files.values()) {
    for (const n of f.declared) {
      const other = owner.get(n);
      if (other !== undefined && other !== f.path) throw new Error(`gen-types: "${n}" is declared in both ${other} and ${f.path}: top-level names must be unique across the public API's files`);
      owner.set(n, f.path);
    }
  }
  const lookup = (f: DtsFile, name: string, seen = new Set<string>()): ExportRef | null => {
    const e = f.exports.get(name);
    if (e) {
      if (e.from === null) return { local: e.name, typeOnly: e.typeOnly };
      const r = lookup(files.get(e.from)!, e.name, seen);
      return r && { local: r.local, typeOnly: r.typeOnly || e.typeOnly };
    }
    for (const s of f.star) {
      if (seen.has(s)) continue;
      seen.add(s);
      const r = lookup(files.get(s)!, name, seen);
      if (r) return r;
    }
    return null;
  };
  const allExported = (f: DtsFile): string[] => [...f.exports.keys(), ...f.star.flatMap((s) => allExported(files.get(s)!))];
  const main = files.get(entry)!;
  const values: string[] = [];
  const types: string[] = [];
  for (const name of [...new Set(allExported(main))].sort()) {
    const r = lookup(main, name);
    if (!r) throw new Error(`gen-types: export "${name}" of ${entry} does not resolve to a declaration`);
    (r.typeOnly ? types : values).push(r.local === name ? name : `${r.local} as ${name}`);
  }
  const body = [...new Set([...files.values()].flatMap((f) => f.external))];
  for (const f of files.values()) {
    body.push(`// ── ${relative(dirname(entry), f.path).replace(/\.d\.ts$/, ".ts")}`, ...f.lines.filter((l, i, a) => l !== "" || (i > 0 && a[i - 1] !== "")));
  }
  body.push("", `export { ${values.join(", ")} };`, `export type { ${types.join(", ")} };`);
  const indented = body.map((l) => (l === "" ? "" : `  ${l}`)).join("\n");
  return `declare module ${JSON.stringify(moduleName)} {\n${indented}\n}\n`;
}

/** Run tsc on core/public.ts and bundle its declarations into one `declare module "dagx"`. */
export function generateDagxDts(): string {
  const out = mkdtempSync(join(tmpdir(), "dagx-dts-"));
  try {
    const tsc = join(ROOT, "node_modules/.bin/tsc");
    const args = ["--ignoreConfig", "--declaration", "--emitDeclarationOnly", "--outDir", out, "--rootDir", join(ROOT, "core")];
    args.push("--module", "preserve", "--moduleResolution", "bundler", "--target", "esnext", "--lib", "esnext,dom");
    args.push("--strict", "--skipLibCheck", "--allowImportingTsExtensions", "--types", "", join(ROOT, ENTRY));
    const r = Bun.spawnSync([tsc, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`gen-types: tsc failed (exit ${r.exitCode}):\n${r.stdout.toString()}${r.stderr.toString()}`);
    const main = bundleDeclarations(join(out, "public.d.ts"));
    const used = Object.values(EMBEDDED).filter((e) => main.includes(`from ${JSON.stringify(e.name)};`));
    return [main, ...used.map((e) => embeddedModule(e.name, e.dts))].join("");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** First line of io/project/dagx.d.ts; the declarations follow it. */
export const GENERATED_HEADER = "// Generated by scripts/gen-types.ts from core/public.ts. Do not edit: run `bun scripts/gen-types.ts`.";

/** The text of io/project/dagx.d.ts for a declaration text. */
export function generatedSource(dts: string): string {
  return `${GENERATED_HEADER}\n${dts}`;
}

if (import.meta.main) {
  const source = generatedSource(generateDagxDts());
  const current = existsSync(GENERATED_FILE) ? readFileSync(GENERATED_FILE, "utf8") : "";
  if (process.argv.includes("--check")) {
    if (current !== source) {
      console.error(`${relative(process.cwd(), GENERATED_FILE)} is out of date: run \`bun scripts/gen-types.ts\``);
      process.exit(1);
    }
    console.log("io/project/dagx.d.ts is up to date");
  } else {
    if (current !== source) writeFileSync(GENERATED_FILE, source);
    console.log(`${current === source ? "unchanged" : "wrote"} ${relative(process.cwd(), GENERATED_FILE)}`);
  }
}
