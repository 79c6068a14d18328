/**
 * The part of a Pipes asset's code version that its scripts make: every command argument that names
 * a file inside the project (`scripts/score.py`, `./bin/score`) is hashed with its content, so
 * editing the script makes the asset stale. A Python script's local imports count too
 * (`pythonClosure`): the modules and packages of the project it imports, recursively. Programs
 * found on PATH (`python3`) and other arguments are not files of the project and count only
 * through the `pipesAsset()` call's text.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type PyImport, pythonImports } from "../../core/pipes/index.ts";
import { hashText } from "../storage/index.ts";

/** Hash of the project files `command` names, with the local imports of the Python ones (empty string when it names none). */
export function pipesScriptsVersion(root: string, command: readonly string[]): string {
  const parts: string[] = [];
  for (const arg of command) {
    if (arg === "" || arg.startsWith("-")) continue;
    const abs = resolve(root, arg);
    if (!inside(root, abs)) continue;
    try {
      if (!statSync(abs).isFile()) continue;
    } catch {
      continue; // not a file: an argument, not a script
    }
    const text = readFileSync(abs, "latin1");
    parts.push(`${relative(root, abs)}\0${hashText(text)}`);
    if (isPython(abs, text)) for (const [rel, h] of pythonClosureHashes(root, abs)) parts.push(`${rel}\0${h}`);
  }
  return parts.length ? hashText(parts.join("\n")) : "";
}

/**
 * Hash of a Python script's local imports (the script's own text excluded): "" when it imports
 * nothing of the project. Part of a `*.asset.py` file's code version.
 */
export function pythonImportsVersion(root: string, script: string): string {
  const closure = pythonClosureHashes(root, script);
  return closure.length ? hashText(closure.map(([rel, h]) => `${rel}\0${h}`).join("\n")) : "";
}

/**
 * The project files a Python script imports, recursively, as [path relative to root, content hash],
 * sorted by path (the script itself excluded). An absolute import (`import helpers`,
 * `from lib.features import x`) is looked up in the script's folder, then the project root (where
 * Python finds it: the script's folder is `sys.path[0]`, and dagx runs scripts from the root); a
 * relative one (`from . import z`, `from .util import f`) in the importing file's package. A module
 * is `NAME.py` or a package `NAME/__init__.py`; the `__init__.py` of each parent package counts
 * too. What is found nowhere in the project (the standard library, site-packages) is ignored, as
 * is anything under a virtual environment, `node_modules` or `.dagx`.
 */
export function pythonClosure(root: string, script: string): string[] {
  return pythonClosureHashes(root, script).map(([rel]) => rel);
}

function pythonClosureHashes(root: string, script: string): [string, string][] {
  const top = resolve(root, script);
  const searchDirs = [...new Set([dirname(top), resolve(root)])];
  const seen = new Map<string, string>(); // abs → hash
  const queue = [top];
  const visited = new Set<string>([top]);
  while (queue.length > 0) {
    const file = queue.shift()!;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    if (file !== top) seen.set(file, hashText(text));
    for (const imp of pythonImports(text)) {
      for (const found of resolveImport(root, file, imp, searchDirs)) {
        if (visited.has(found)) continue;
        visited.add(found);
        queue.push(found);
      }
    }
  }
  return [...seen].map(([abs, h]) => [relative(root, abs), h] as [string, string]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Files of the project that `imp` (in `file`) loads: the module, its parent packages' `__init__.py`, and imported names that are submodules. */
function resolveImport(root: string, file: string, imp: PyImport, searchDirs: readonly string[]): string[] {
  const parts = imp.module === "" ? [] : imp.module.split(".");
  let bases: readonly string[];
  if (imp.level > 0) {
    let base = dirname(file);
    for (let i = 1; i < imp.level; i++) base = dirname(base);
    bases = [base];
  } else bases = searchDirs;
  for (const base of bases) {
    const found: string[] = [];
    // parent packages first: `import a.b.c` runs a/__init__.py and a/b/__init__.py
    let dir = base;
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      const pkgInit = join(dir, parts[i]!, "__init__.py");
      const mod = join(dir, `${parts[i]}.py`);
      if (isFile(pkgInit)) {
        found.push(pkgInit);
        dir = join(dir, parts[i]!);
      } else if (last && isFile(mod)) {
        found.push(mod);
        dir = "";
      } else if (isDir(join(dir, parts[i]!))) {
        dir = join(dir, parts[i]!); // a namespace package (no __init__.py)
      } else {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (imp.level > 0 && parts.length === 0 && isFile(join(base, "__init__.py"))) found.push(join(base, "__init__.py"));
    // `from pkg import mod`: a name may be a submodule of the package
    if (dir !== "") {
      for (const name of imp.names) {
        for (const f of [join(dir, `${name}.py`), join(dir, name, "__init__.py")]) if (isFile(f)) found.push(f);
      }
    }
    const local = found.filter((f) => inside(root, f) && !excluded(root, f));
    if (local.length > 0 || parts.length > 0) return local;
  }
  return [];
}

function isPython(file: string, text: string): boolean {
  return file.endsWith(".py") || /^#!.*\bpython[0-9.]*\b/.test(text);
}

function inside(root: string, abs: string): boolean {
  const rel = relative(root, abs);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function excluded(root: string, abs: string): boolean {
  const segs = relative(root, abs).split(sep);
  return segs.some((s) => s === "node_modules" || s === ".dagx" || s === "site-packages" || s === ".venv" || s === "venv" || s === "__pycache__") || segs.slice(0, -1).some((_, i) => existsSync(join(root, ...segs.slice(0, i + 1), "pyvenv.cfg")));
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
