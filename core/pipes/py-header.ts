/**
 * The header of a `*.asset.py` file: leading `# @field: value` comment lines that define the asset,
 * as `-- @field: value` does for `*.asset.sql` (core/sql-asset/header.ts, whose parser reads the
 * shared fields). Python assets add `@ins` and `@deps`, since no query names their upstreams.
 * Pure: text in, a spec or a positioned error out (docs/pipes.md).
 */
import type { AssetOptions } from "../asset.ts";
import { keyProblem } from "../keys.ts";
import { parseSqlHeader, SqlHeaderError } from "../sql-asset/header.ts";

/** What a Python asset's header defines. */
export interface PyAssetHeader {
  /** Asset options from the shared fields (key, group, partitions, checks, retry, …). */
  options: AssetOptions;
  /** Input name → upstream key (`# @ins: orders, raw=shop/raw_orders`); the file reads their paths in `extras.dagx.inputs`. */
  ins: Record<string, string>;
  /** Upstream keys that run first but are not passed (`# @deps: a, b/c`). */
  deps: string[];
  /** 1-based line of each `@ins` entry (for errors about unknown keys). */
  insLines: Record<string, number>;
}

const PY_FIELD = /^(\s*)#(\s*)@([A-Za-z_]+)\s*(:?)\s*(.*?)\s*$/;

/**
 * Parse the header of `text`: the leading run of blank and `#` comment lines (a shebang, a PEP 723
 * block and plain comments included). Throws a SqlHeaderError with the file's line and column.
 */
export function parsePyHeader(text: string): PyAssetHeader {
  const lines = text.split("\n");
  const ins: Record<string, string> = {};
  const insLines: Record<string, number> = {};
  const deps: string[] = [];
  // the shared fields go to the SQL header parser as `--` lines (same line numbers; columns one to the right)
  const shared: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, "");
    const trimmed = raw.trim();
    if (trimmed !== "" && !trimmed.startsWith("#")) break;
    const m = PY_FIELD.exec(raw);
    if (!m) {
      shared.push(trimmed === "" ? "" : "--");
      continue;
    }
    const [, indent, gap, field, colon, value] = m as unknown as [string, string, string, string, string, string];
    const name = field.toLowerCase();
    const valueCol = raw.indexOf(value, indent.length + 1 + gap.length + 1 + field.length) + 1 || raw.length + 1;
    if (name === "external") throw new SqlHeaderError('"@external" is for SQL assets: a Python asset names its upstreams with # @ins: or # @deps:', i + 1, indent.length + gap.length + 2);
    if (name === "ins" || name === "deps") {
      if (colon === "") throw new SqlHeaderError(`header field "@${field}" needs a colon: write # @${name}: value`, i + 1, indent.length + gap.length + 2);
      let at = 0;
      for (const part of value.split(",")) {
        const item = part.trim();
        const itemCol = valueCol + at + (part.length - part.trimStart().length);
        at += part.length + 1;
        if (item === "") continue;
        const eq = item.indexOf("=");
        const key = (eq >= 0 ? item.slice(eq + 1) : item).trim();
        const problem = keyProblem(key);
        if (problem) throw new SqlHeaderError(`invalid asset key "${key}" in @${name}: ${problem}`, i + 1, itemCol);
        if (name === "deps") {
          if (eq >= 0) throw new SqlHeaderError(`@deps takes keys, not name=key: write # @deps: ${key} (or # @ins: ${item} to pass its files)`, i + 1, itemCol);
          deps.push(key);
          continue;
        }
        const inputName = eq >= 0 ? item.slice(0, eq).trim() : key.slice(key.lastIndexOf("/") + 1);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(inputName)) throw new SqlHeaderError(`input name "${inputName}" must be an identifier: write # @ins: name=${key}`, i + 1, itemCol);
        if (inputName in ins) throw new SqlHeaderError(`input "${inputName}" is named twice: give one of them a name, # @ins: other=${key}`, i + 1, itemCol);
        ins[inputName] = key;
        insLines[inputName] = i + 1;
      }
      shared.push("--");
      continue;
    }
    shared.push(raw.replace("#", "--"));
  }
  let options: AssetOptions;
  try {
    options = parseSqlHeader(`${shared.join("\n")}\nselect 1`).options;
  } catch (e) {
    if (e instanceof SqlHeaderError) {
      const reason = e.reason.replaceAll("-- @", "# @").replace(/, @external\b/, "").replace(/the fields are (.*)$/, "the fields are $1, @ins, @deps");
      // the `--` line is one column wider than the `#` line from the comment mark on
      const hash = (lines[e.line - 1] ?? "").indexOf("#") + 1;
      throw new SqlHeaderError(reason, e.line, e.column > hash ? e.column - 1 : e.column);
    }
    throw e;
  }
  return { options, ins, deps, insLines };
}
