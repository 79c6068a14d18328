/**
 * Automatic code versions: a hash of the asset function's source plus the transpiled content of
 * the local modules its file imports, transitively (not node_modules, not other asset files,
 * whose assets carry their own versions). Nothing in the hash depends on where the project lives.
 */
import { readFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import type { RawExport } from "../../core/graph.ts";
import { hashText } from "../storage/index.ts";

const transpiler = new Bun.Transpiler({ loader: "ts" });

export interface CodeVersioner {
  (r: RawExport): string;
  /**
   * Hash `file`'s local import closure now, before the file is imported: a save that lands while
   * the project loads then shows up as a change on the next load (hashing after the import could
   * record the new content while the old one ran).
   */
  prime(file: string): void;
}

/** Memoizing hasher of local import closures, one per load. */
export function createCodeVersioner(): CodeVersioner {
  const closure = new Map<string, string>(); // file → hash of its local imports' contents

  const localImports = (file: string, text: string): string[] => {
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
  };

  // A module's hash is of its transpiled text, as an asset function's is of fn.toString(): the
  // transpiler drops comments, types and formatting, so such edits leave importers fresh.
  const moduleHash = new Map<string, string>();
  const hashModule = (f: string, text: string): string => {
    let h = moduleHash.get(f);
    if (h === undefined) {
      try {
        h = hashText(transpiler.transformSync(text));
      } catch {
        h = hashText(text); // not valid TS (the import fails at load time and is reported there)
      }
      moduleHash.set(f, h);
    }
    return h;
  };

  const importsHash = (file: string): string => {
    const cached = closure.get(file);
    if (cached !== undefined) return cached;
    const seen = new Set<string>([file]);
    const queue = localImports(file, readFileSync(file, "utf8"));
    const parts: string[] = [];
    while (queue.length) {
      const f = queue.shift()!;
      if (seen.has(f)) continue;
      seen.add(f);
      if (f.endsWith(".asset.ts")) continue;
      let text: string;
      try {
        text = readFileSync(f, "utf8");
      } catch {
        continue;
      }
      // relative to the asset file: a project moved or copied elsewhere keeps its versions
      parts.push(`${relative(dirname(file), f)}\0${hashModule(f, text)}`);
      queue.push(...localImports(f, text));
    }
    const h = hashText(parts.sort().join("\n"));
    closure.set(file, h);
    return h;
  };

  const version = ((r: RawExport) => {
    if (r.def.options.codeVersion !== undefined) return String(r.def.options.codeVersion);
    const o = r.def.options;
    const shape = JSON.stringify({ io: o.io ?? null, key: o.key ?? null, ins: Object.keys(o.ins ?? {}).sort() });
    return hashText(`${r.def.fn.toString()}\0${shape}\0${importsHash(r.file)}`).slice(0, 12);
  }) as CodeVersioner;
  version.prime = (file) => {
    try {
      importsHash(file);
    } catch {
      // unreadable: the import fails and is reported there
    }
  };
  return version;
}
