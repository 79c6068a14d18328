/**
 * `*.asset.py` files as Pipes assets: the definition is the file's `# @field: value` header
 * (core/pipes/py-header.ts), the step runs the file with Python (`$DAGX_PYTHON`, `python` in
 * dagx.config.ts, else `python3`) —
 * or with `uv run` when it carries PEP 723 inline metadata — through io/run/pipes-step.ts, and the code version is a hash of the file's text
 * and of the project modules it imports.
 */
import { readFileSync } from "node:fs";
import { delimiter, relative } from "node:path";
import type { AnyAssetDef, AssetOptions } from "../../core/asset.ts";
import type { PythonConfig } from "../../core/config.ts";
import type { LoadError } from "../../core/definitions.ts";
import type { RawExport } from "../../core/graph.ts";
import { keyProblem } from "../../core/keys.ts";
import { parsePyHeader, type PyAssetHeader, pipesAssetDef } from "../../core/pipes/index.ts";
import { sqlCodeFrame } from "../../core/sql-asset/errors.ts";
import { SqlHeaderError } from "../../core/sql-asset/header.ts";
import { didYouMean } from "../../core/suggest.ts";
import { pythonImportsVersion } from "./script-version.ts";

/** The Python that runs `*.asset.py` files: `$DAGX_PYTHON`, else `python.executable` of dagx.config.ts, else `python3` on PATH. */
export function projectPython(env: Readonly<Record<string, string | undefined>> = process.env, config?: PythonConfig): readonly string[] {
  return argv(env.DAGX_PYTHON || config?.executable || "python3");
}

/** The `uv` that runs PEP 723 files: `$DAGX_UV`, else `python.uv` of dagx.config.ts, else `uv` on PATH. */
export function projectUv(env: Readonly<Record<string, string | undefined>> = process.env, config?: PythonConfig): readonly string[] {
  return argv(env.DAGX_UV || config?.uv || "uv");
}

function argv(exe: string | readonly string[]): readonly string[] {
  return typeof exe === "string" ? [exe] : exe;
}

/** A PEP 723 inline-metadata block (`# /// script` … `# ///`): such a file runs with `uv run`. */
const PEP_723 = /^# \/\/\/ script[ \t]*$[\s\S]*?^# \/\/\/[ \t]*$/m;

/**
 * How a `*.asset.py` file runs: `uv run --script FILE` when it carries a PEP 723 block (uv from
 * `$DAGX_UV`, else `uv` on PATH; never downloading a Python), else `python FILE`.
 */
export function pyCommand(relFile: string, text: string, env: Readonly<Record<string, string | undefined>> = process.env, config?: PythonConfig): { command: string[]; env: Record<string, string> } {
  if (PEP_723.test(text)) return { command: [...projectUv(env, config), "run", "--script", relFile], env: { UV_PYTHON_DOWNLOADS: "never" } };
  return { command: [...projectPython(env, config), relFile], env: {} };
}

/** The Python assets of a load: their exports now, their inputs once every asset is known. */
export interface PyAssets {
  /** One export per file whose header parsed (inputs not yet set). */
  exports: RawExport[];
  /**
   * Set each Python asset's `ins` from its `@ins` keys, looked up among `all` (TS, SQL and Python
   * assets). Returns the definitions whose inputs name no asset (a load error each): drop them.
   */
  resolveInputs(all: readonly RawExport[]): Set<AnyAssetDef>;
}

/**
 * Asset definitions of the project's `*.asset.py` files. A bad header is a load error of that file
 * (with a code frame); its asset is absent. Made before the SQL assets (which may read them by key);
 * their inputs are resolved after (they may read SQL assets).
 */
export function pyAssets(root: string, files: readonly string[], errors: LoadError[], python?: PythonConfig): PyAssets {
  const errorAt = (file: string, text: string, line: number, column: number, reason: string): LoadError => ({
    file,
    line,
    message: `Error in ${relative(root, file) || file}:${line}:${column}: ${reason}`,
    frame: sqlCodeFrame(text, line, column),
  });
  const read: { file: string; text: string; header: PyAssetHeader; key: string; def: AnyAssetDef }[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    let header: PyAssetHeader;
    try {
      header = parsePyHeader(text);
    } catch (e) {
      if (e instanceof SqlHeaderError) {
        errors.push(errorAt(file, text, e.line, e.column, e.reason));
        continue;
      }
      throw e;
    }
    const key = typeof header.options.key === "string" ? header.options.key : stem(file);
    const problem = keyProblem(key);
    if (problem) {
      errors.push(errorAt(file, text, 1, 1, `the file name makes the asset key "${key}", which is invalid: ${problem} — rename the file or set # @key: name`));
      continue;
    }
    const options: AssetOptions = {
      ...header.options,
      key,
      kinds: header.options.kinds ?? ["python"],
      // the file's text and the project modules it imports (io/pipes/script-version.ts)
      codeVersion: header.options.codeVersion ?? pyCodeVersion(root, file, text),
      ...(header.deps.length ? { deps: [...header.deps] } : {}),
    };
    const run = pyCommand(relative(root, file), text, process.env, python);
    // the project root is on the import path (after the script's own folder), so a script in a subfolder imports the project's shared modules
    const env = { ...run.env, PYTHONPATH: [root, process.env.PYTHONPATH].filter(Boolean).join(delimiter) };
    const def = pipesAssetDef(options, { command: run.command, env, extras: {}, cancelGraceMs: 5000 }, `${file}:1`);
    read.push({ file, text, header, key, def });
  }
  return {
    exports: read.map(({ file, key, def }) => ({ file, exportName: key, def })),
    resolveInputs(all) {
      const byKey = new Map<string, AnyAssetDef>();
      for (const r of all) {
        const k = r.def.options.key ?? r.exportName;
        if (typeof k === "string" && !byKey.has(k)) byKey.set(k, r.def);
      }
      const failed = new Set<AnyAssetDef>();
      for (const { file, text, header, key, def } of read) {
        const ins: Record<string, AnyAssetDef> = {};
        for (const [name, up] of Object.entries(header.ins)) {
          const found = byKey.has(up) ? up : [...byKey.keys()].find((k) => k.toLowerCase() === up.toLowerCase());
          if (found === undefined || found === key) {
            const line = header.insLines[name] ?? 1;
            const col = (text.split("\n")[line - 1] ?? "").indexOf(up) + 1 || 1;
            errors.push(errorAt(file, text, line, col, found === key ? `the asset reads itself ("${up}")` : `input "${name}": "${up}" is not an asset${didYouMean(up, byKey.keys())} — name an asset by its key`));
            failed.add(def);
            break;
          }
          ins[name] = byKey.get(found)!;
        }
        def.options.ins = ins;
      }
      return failed;
    },
  };
}

/**
 * Code version of a `*.asset.py` file: a hash of its text, and of the local modules it imports when
 * it imports any (a file without local imports keeps the version of its text alone).
 */
function pyCodeVersion(root: string, file: string, text: string): string {
  const hash = new Bun.CryptoHasher("sha256").update(text);
  const imports = pythonImportsVersion(root, file);
  if (imports !== "") hash.update(`\0imports\0${imports}`);
  return hash.digest("hex").slice(0, 16);
}

/** `models/score.asset.py` → `score`. */
function stem(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1).replace(/\.asset\.py$/, "");
}
