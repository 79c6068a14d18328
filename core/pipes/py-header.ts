/**
 * The header of a `*.asset.py` file: leading `# @field: value` comment lines that define the asset,
 * as `-- @field: value` does for `*.asset.sql` (core/sql-asset/header.ts, whose parser reads the
 * shared fields). Python assets add `@ins` and `@deps`, since no query names their upstreams, and
 * `@check_specs`: checks the script reports with `context.report_asset_check(name, …)`.
 * Pure: text in, a spec or a positioned error out (docs/pipes.md).
 */
import type { AssetOptions } from "../asset.ts";
import { MAX_CHECK_NAME } from "../checks/builtins.ts";
import { CHECK_SPEC, type CheckSpec } from "../checks/types.ts";
import { keyProblem } from "../keys.ts";
import { parseSqlHeader, splitOutside, SqlHeaderError } from "../sql-asset/header.ts";

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
  const specs: CheckSpec[] = [];
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
    if (name === "check_specs") {
      if (colon === "") throw new SqlHeaderError(`header field "@${field}" needs a colon: write # @check_specs: name, other(blocking, severity=warn)`, i + 1, indent.length + gap.length + 2);
      for (const spec of checkSpecsOf(value, i + 1, valueCol)) {
        if (specs.some((s) => s.name === spec.name)) throw new SqlHeaderError(`check "${spec.name}" is declared twice: keep one`, i + 1, valueCol);
        specs.push(spec);
      }
      shared.push("--");
      continue;
    }
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
      const reason = e.reason.replaceAll("-- @", "# @").replace(/, @external\b/, "").replace(/the fields are (.*)$/, "the fields are $1, @ins, @deps, @check_specs");
      // the `--` line is one column wider than the `#` line from the comment mark on
      const hash = (lines[e.line - 1] ?? "").indexOf("#") + 1;
      throw new SqlHeaderError(reason, e.line, e.column > hash ? e.column - 1 : e.column);
    }
    throw e;
  }
  if (specs.length > 0) options.checks = [...(options.checks ?? []), ...specs];
  return { options, ins, deps, insLines };
}

const SPEC_OPTIONS = ["blocking", "severity", "description"] as const;

/**
 * `# @check_specs: complete(blocking), drift(severity=warn), fresh(description="…")`: one reported
 * check per item — a name, with optional `blocking` (or `blocking=true|false`), `severity=error|warn`
 * and `description="…"`, as `checkSpec(name, { blocking, severity, description })` in TypeScript.
 */
function checkSpecsOf(value: string, line: number, valueCol: number): CheckSpec[] {
  const fail = (reason: string, at: number): never => {
    throw new SqlHeaderError(reason, line, valueCol + at);
  };
  if (value === "") fail("header field \"@check_specs\" has no value: write # @check_specs: name, other(blocking, severity=warn), or delete the line", 0);
  const out: CheckSpec[] = [];
  for (const item of splitOutside(value, fail)) {
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\((.*)\))?$/s.exec(item.text);
    if (!m) fail(`"${item.text}" is not a check like name or name(blocking, severity=warn)`, item.at);
    const name = m![1]!;
    if (name.length > MAX_CHECK_NAME) fail(`check name "${name.slice(0, 40)}…" is longer than ${MAX_CHECK_NAME} characters`, item.at);
    let blocking = false;
    let severity: "error" | "warn" = "error";
    let description: string | null = null;
    if (m![2] !== undefined) {
      const innerAt = item.at + item.text.indexOf("(") + 1;
      for (const opt of splitOutside(m![2]!, (r, at) => fail(r, innerAt + at))) {
        const at = innerAt + opt.at;
        const eq = /^([A-Za-z_]+)\s*(?:=\s*(.*))?$/s.exec(opt.text);
        const key = eq?.[1]?.toLowerCase();
        if (!eq || !(SPEC_OPTIONS as readonly string[]).includes(key!)) {
          fail(`check "${name}" has no option "${eq?.[1] ?? opt.text}": the options are blocking, severity=error|warn, description="…"`, at);
        }
        const raw = eq![2] === undefined ? undefined : unquote(eq![2]!);
        const rawAt = eq![2] === undefined ? at : at + opt.text.length - eq![2]!.length;
        if (key === "blocking") {
          if (raw !== undefined && raw !== "true" && raw !== "false") fail(`blocking is true or false, not "${raw}": write ${name}(blocking)`, rawAt);
          blocking = raw !== "false";
        } else if (key === "severity") {
          if (raw !== "error" && raw !== "warn") fail(`severity must be error or warn, not "${raw ?? ""}": write ${name}(severity=warn)`, raw === undefined ? at : rawAt);
          severity = raw as "error" | "warn";
        } else {
          if (raw === undefined || raw === "") fail(`description needs a text: write ${name}(description="what it checks")`, at);
          description = raw!;
        }
      }
    }
    out.push({ [CHECK_SPEC]: true, name, severity, blocking, description, location: null });
  }
  return out;
}


function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && (t[0] === "'" || t[0] === '"') && t[t.length - 1] === t[0] ? t.slice(1, -1) : t;
}
