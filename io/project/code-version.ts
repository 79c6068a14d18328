/**
 * Automatic code versions (scheme 2, state schema 7 on): a hash of source text as the user wrote it, so
 * that no upgrade of dagx or of Bun changes them. What is hashed, for an asset without `codeVersion`:
 * - the text of its `asset(…)` call — callee, options and function, up to the matching `)` — cut
 *   from the file at the call's position, in normal form (io/project/_source-text.ts: comments and
 *   formatting dropped, everything else kept);
 * - its `io`, `key` and input names as values (a spread or a variable in the options shows there);
 * - the local modules its file imports, transitively (not node_modules, not other asset files,
 *   whose assets carry their own versions): each one's path relative to the asset file and its
 *   whole text in normal form.
 * When the call cannot be cut out (no call site, an unreadable file, a text that does not parse),
 * the whole file's normal form stands in: more edits count, none is missed.
 *
 * Scheme 1 (every build up to state schema 6, 0.1.0 included) hashed `fn.toString()` — Bun's printing of the function, which
 * a Bun upgrade changes — and the imports' transpiled (or, before, raw) text. `legacy()` computes
 * it for today's code, so state recorded under it can be adopted (io/state `adoptCodeVersions`).
 */
import { readFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { callSiteOf } from "../../core/call-site.ts";
import type { RawExport } from "../../core/graph.ts";
import { pipesSpecOf } from "../../core/pipes/asset.ts";
import { pipesScriptsVersion } from "../pipes/index.ts";
import { hashText } from "../storage/index.ts";
import { callText, lineStarts, normalizeSource } from "./_source-text.ts";

const transpiler = new Bun.Transpiler({ loader: "ts" });

export interface CodeVersioner {
  (r: RawExport): string;
  /**
   * Hash `file`'s local import closure now, before the file is imported: a save that lands while
   * the project loads then shows up as a change on the next load (hashing after the import could
   * record the new content while the old one ran).
   */
  prime(file: string): void;
  /** What scheme 1 computed for `r`'s code as it is now, in every variant it had (explicit versions: none). */
  legacy(r: RawExport): string[];
}

/** Memoizing hasher of local import closures, one per load. */
export function createCodeVersioner(root?: string): CodeVersioner {
  const texts = new Map<string, string | null>(); // file → its text, as first read in this load
  const read = (f: string): string | null => {
    if (!texts.has(f)) {
      try {
        texts.set(f, readFileSync(f, "utf8"));
      } catch {
        texts.set(f, null);
      }
    }
    return texts.get(f)!;
  };

  // file → the local modules it imports, transitively: [absolute path, text]
  const closures = new Map<string, [string, string][]>();
  const closureOf = (file: string): [string, string][] => {
    let out = closures.get(file);
    if (out) return out;
    out = [];
    const seen = new Set<string>([file]);
    const queue = localImports(file, read(file) ?? "");
    while (queue.length) {
      const f = queue.shift()!;
      if (seen.has(f)) continue;
      seen.add(f);
      if (f.endsWith(".asset.ts")) continue;
      const text = read(f);
      if (text === null) continue;
      out.push([f, text]);
      queue.push(...localImports(f, text));
    }
    closures.set(file, out);
    return out;
  };

  const importsHash = new Map<string, string>();
  const importsOf = (file: string): string => {
    let h = importsHash.get(file);
    if (h === undefined) {
      // relative to the asset file: a project moved or copied elsewhere keeps its versions
      h = hashText(closureOf(file).map(([f, text]) => `${relative(dirname(file), f)}\0${hashText(normalizeSource(text))}`).sort().join("\n"));
      importsHash.set(file, h);
    }
    return h;
  };

  const shapeOf = (r: RawExport): string => {
    const o = r.def.options;
    return JSON.stringify({ io: o.io ?? null, key: o.key ?? null, ins: Object.keys(o.ins ?? {}).sort() });
  };

  const starts = new Map<string, number[]>(); // file → where its lines start (lineStarts)
  const startsOf = (file: string, text: string): number[] => {
    let s = starts.get(file);
    if (s === undefined) starts.set(file, (s = lineStarts(text)));
    return s;
  };

  const sourceOf = (r: RawExport): string => {
    const site = callSiteOf(r.def);
    const text = site ? read(site.file) : null;
    const call = site && text !== null ? callText(text, site.line, site.column, startsOf(site.file, text)) : null;
    if (call !== null && (!call.slash || parses(call.raw))) return `call\0${call.normal}`;
    return `file\0${normalizeSource(read(site?.file ?? r.file) ?? "")}`;
  };

  const version = ((r: RawExport) => {
    if (r.def.options.codeVersion !== undefined) return String(r.def.options.codeVersion);
    const base = `${sourceOf(r)}\0${shapeOf(r)}\0${importsOf(r.file)}`;
    // a Pipes asset's scripts are part of its code (io/pipes/script-version.ts)
    const pipes = root === undefined ? null : pipesSpecOf(r.def);
    const scripts = pipes ? pipesScriptsVersion(root!, pipes.command) : "";
    return hashText(scripts ? `${base}\0${scripts}` : base).slice(0, 12);
  }) as CodeVersioner;

  version.prime = (file) => {
    importsOf(file);
  };

  version.legacy = (r) => {
    if (r.def.options.codeVersion !== undefined) return [];
    const fn = r.def.fn.toString();
    const imports = closureOf(r.file);
    // 1968f57 on: transpiled text, paths relative to the asset file; before: raw text, absolute paths
    const transpiled = hashText(imports.map(([f, text]) => `${relative(dirname(r.file), f)}\0${hashText(transpile(text))}`).sort().join("\n"));
    const raw = hashText(imports.map(([f, text]) => `${f}\0${hashText(text)}`).sort().join("\n"));
    return [...new Set([transpiled, raw].map((h) => hashText(`${fn}\0${shapeOf(r)}\0${h}`).slice(0, 12)))];
  };
  return version;
}

function localImports(file: string, text: string): string[] {
  let specs: { path: string }[];
  try {
    specs = transpiler.scanImports(text);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const s of specs) {
    if (!s.path.startsWith(".") && !s.path.startsWith("/")) continue;
    try {
      const resolved = Bun.resolveSync(s.path, dirname(file));
      if (!resolved.includes("/node_modules/")) out.push(resolved);
    } catch {
      // unresolvable: the import itself fails at load time and is reported there
    }
  }
  return out;
}

function transpile(text: string): string {
  try {
    return transpiler.transformSync(text);
  } catch {
    return text;
  }
}

/** A check that the cut-out call is a whole expression: the cut is by brackets, and a `/` (regular expression or division?) is where it could go wrong. */
function parses(call: string): boolean {
  try {
    transpiler.transformSync(`export default ${call};`);
    return true;
  } catch {
    return false;
  }
}
