/**
 * The header of a `*.asset.sql` file: leading `-- @field: value` comment lines that hold the
 * asset's definition (docs/sql-assets.md). Pure: text in, a spec or a positioned error out.
 */
import type { AssetOptions, RetryPolicy } from "../asset.ts";
import { eager, onCron, onMissing } from "../automation/index.ts";
import { acceptedValues, expr, notNull, rowCount, unique } from "../checks/builtins.ts";
import type { BuiltinCheck } from "../checks/types.ts";
import { DagxError } from "../errors.ts";
import type { FreshnessPolicy } from "../freshness.ts";
import { allPartitions, daily, dimension, dynamicPartitions, hourly, identity, lastPartition, monthly, multiPartitions, staticPartitions, timeWindow, weekly } from "../partitions/index.ts";
import type { PartitionMapping, PartitionsDef, SinglePartitionsDef } from "../partitions/types.ts";
import { didYouMean } from "../suggest.ts";
import { keyProblem } from "../keys.ts";

/** What a header defines (options of the asset, plus the tables declared external). */
export interface SqlAssetHeader {
  options: AssetOptions;
  /** Tables the query reads that are not assets (`-- @external: raw.events`). */
  external: string[];
  /** 0-based index of the first line after the header (where the query's text begins). */
  bodyLine: number;
  /** Where each `@mappings` entry names its upstream (checked against the query's tables at load). */
  mappingRefs: { name: string; line: number; column: number }[];
}

/** A bad header value, at a 1-based line and column of the file. */
export class SqlHeaderError extends DagxError {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super("DEFINITION_INVALID", reason);
    this.name = "SqlHeaderError";
  }
}

/** Every field a header may hold. */
export const HEADER_FIELDS = ["key", "group", "description", "owners", "tags", "kinds", "partitions", "mappings", "checks", "freshness", "automation", "retry", "pool", "io", "external", "code_version"] as const;

const FIELD_LINE = /^(\s*--\s*)@([A-Za-z_]+)\s*(:?)\s*(.*?)\s*$/;

/**
 * Parse the header of `text`. The header is the leading run of blank and `--` comment lines;
 * lines of the form `-- @field: value` are fields, other comment lines are ignored. A field may
 * repeat: lists (owners, tags, kinds, checks, external) accumulate, other fields are errors.
 */
export function parseSqlHeader(text: string): SqlAssetHeader {
  const lines = text.split("\n");
  const options: AssetOptions = {};
  const external: string[] = [];
  const mappingRefs: SqlAssetHeader["mappingRefs"] = [];
  const seen = new Set<string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, "");
    const trimmed = raw.trim();
    if (trimmed === "") continue;
    if (!trimmed.startsWith("--")) break;
    const m = FIELD_LINE.exec(raw);
    if (!m) continue;
    const [, lead, field, colon, value] = m as unknown as [string, string, string, string, string];
    const line = i + 1;
    const fieldCol = lead.length + 1;
    const valueCol = raw.indexOf(value, lead.length + 1 + field.length) + 1 || raw.length + 1;
    const fail = (reason: string, col = valueCol): never => {
      throw new SqlHeaderError(reason, line, col);
    };
    const name = field.toLowerCase();
    if (!(HEADER_FIELDS as readonly string[]).includes(name)) fail(`unknown header field "@${field}"${didYouMean(name, HEADER_FIELDS)}: the fields are ${HEADER_FIELDS.map((f) => `@${f}`).join(", ")}`, fieldCol);
    if (colon === "") fail(`header field "@${field}" needs a colon: write -- @${name}: value`, fieldCol + field.length + 1);
    if (value === "") fail(`header field "@${name}" has no value: write -- @${name}: value, or delete the line`);
    const LISTS = new Set(["owners", "tags", "kinds", "checks", "external"]);
    if (seen.has(name) && !LISTS.has(name)) fail(`header field "@${name}" is given twice: keep one line`, fieldCol);
    seen.add(name);
    const ctx: FieldCtx = { value, fail, valueCol };
    switch (name) {
      case "key": {
        const problem = keyProblem(value);
        if (problem) fail(`invalid asset key "${value}": ${problem}`);
        options.key = value;
        break;
      }
      case "group":
      case "description":
      case "pool":
      case "io":
        (options as Record<string, unknown>)[name] = value;
        break;
      case "code_version":
        options.codeVersion = value;
        break;
      case "owners":
        options.owners = [...(options.owners ?? []), ...list(value)];
        break;
      case "kinds":
        options.kinds = [...(options.kinds ?? []), ...list(value)];
        break;
      case "external":
        external.push(...list(value));
        break;
      case "tags": {
        const tags = { ...(options.tags ?? {}) };
        for (const item of splitTop(value, ctx)) {
          const eq = item.text.indexOf("=");
          if (eq <= 0) fail(`tag "${item.text}" is not name=value: write -- @tags: team=data, tier=gold`, valueCol + item.at);
          tags[item.text.slice(0, eq).trim()] = item.text.slice(eq + 1).trim();
        }
        options.tags = tags;
        break;
      }
      case "partitions":
        options.partitions = partitionsOf(ctx);
        break;
      case "mappings": {
        const mappings: Record<string, PartitionMapping> = {};
        for (const item of splitTop(value, ctx)) {
          const eq = /^([A-Za-z0-9_./"-]+)\s*=\s*/.exec(item.text);
          if (!eq) fail(`mapping "${item.text}" is not upstream=mapping: write -- @mappings: orders=timeWindow(offset=-1)`, valueCol + item.at);
          const name = eq![1]!.replace(/"/g, "").replaceAll(".", "/");
          mappings[name] = mappingOf({ text: item.text.slice(eq![0].length), at: item.at + eq![0].length }, ctx);
          mappingRefs.push({ name, line, column: valueCol + item.at });
        }
        options.mappings = mappings;
        break;
      }
      case "checks":
        options.checks = [...(options.checks ?? []), ...splitTop(value, ctx).map((c) => checkOf(c, ctx))];
        break;
      case "freshness":
        options.freshness = freshnessOf(ctx);
        break;
      case "automation":
        options.automation = automationOf(ctx);
        break;
      case "retry":
        options.retry = retryOf(ctx);
        break;
    }
  }
  return { options, external, bodyLine: i, mappingRefs };
}

interface FieldCtx {
  value: string;
  valueCol: number;
  fail: (reason: string, col?: number) => never;
}

function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Split on commas outside parentheses and quotes; `at` is each item's 0-based offset in the value. */
function splitTop(value: string, ctx: FieldCtx): { text: string; at: number }[] {
  return splitOutside(value, (reason, at) => ctx.fail(reason, ctx.valueCol + at));
}

/**
 * Split a header value on commas outside parentheses and quotes; `at` is each item's 0-based
 * offset in `value`, and `fail` gets the offset of an unbalanced `)`, or the end for an unclosed
 * quote or `(`. Shared by the `*.asset.sql` and `*.asset.py` headers.
 */
export function splitOutside(value: string, fail: (reason: string, at: number) => never): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  const push = (end: number) => {
    const piece = value.slice(start, end);
    if (piece.trim() !== "") out.push({ text: piece.trim(), at: start + piece.length - piece.trimStart().length });
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")") {
      if (--depth < 0) fail('unbalanced ")"', i);
    } else if (c === "," && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  if (quote) fail(`unclosed ${quote}`, value.length);
  if (depth > 0) fail('missing ")"', value.length);
  push(value.length);
  return out;
}

/** `name(a, b=c)` → name and its arguments (positional and named), with offsets for errors. */
function callOf(item: { text: string; at: number }, ctx: FieldCtx): { name: string; args: { text: string; at: number }[]; named: Map<string, { text: string; at: number }> } {
  const m = /^([A-Za-z_]+)\s*(?:\((.*)\))?$/s.exec(item.text);
  if (!m) ctx.fail(`"${item.text}" is not a call like name(arg, option=value)`, ctx.valueCol + item.at);
  const name = m![1]!;
  const inner = m![2] ?? "";
  const innerAt = item.at + item.text.indexOf("(") + 1;
  const args: { text: string; at: number }[] = [];
  const named = new Map<string, { text: string; at: number }>();
  const sub: FieldCtx = { ...ctx, valueCol: ctx.valueCol + innerAt };
  for (const a of m![2] === undefined ? [] : splitTop(inner, sub)) {
    const at = innerAt + a.at;
    const eq = /^([A-Za-z_]+)\s*=\s*(.*)$/s.exec(a.text);
    if (eq) named.set(eq[1]!.toLowerCase(), { text: unquote(eq[2]!), at: at + a.text.indexOf(eq[2]!) });
    else args.push({ text: unquote(a.text), at });
  }
  return { name: name.toLowerCase(), args, named };
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && (t[0] === "'" || t[0] === '"') && t[t.length - 1] === t[0]) return t.slice(1, -1);
  return t;
}

/** Run a core constructor; its TypeError/DagxError becomes a header error at the value. */
function guarded<T>(ctx: FieldCtx, at: number, make: () => T): T {
  try {
    return make();
  } catch (e) {
    return ctx.fail((e as Error).message, ctx.valueCol + at);
  }
}

function onlyNamed(call: ReturnType<typeof callOf>, allowed: readonly string[], ctx: FieldCtx, example: string): void {
  for (const [k, v] of call.named) if (!allowed.includes(k)) ctx.fail(`${call.name}() has no option "${k}"${didYouMean(k, allowed)}: e.g. ${example}`, ctx.valueCol + v.at - k.length - 1);
}

const TIME = { hourly, daily, weekly, monthly } as const;

function partitionsOf(ctx: FieldCtx): PartitionsDef {
  const items = splitTop(ctx.value, ctx);
  if (items.length !== 1) ctx.fail(`@partitions takes one definition, e.g. daily(start=2024-01-01) or static(eu, us)`);
  const call = callOf(items[0]!, ctx);
  if (call.name === "multi" || call.name === "multipartitions") return multiOf(items[0]!, ctx);
  return singlePartitionsOf(items[0]!, ctx);
}

const PARTITION_KINDS = ["hourly", "daily", "weekly", "monthly", "static", "dynamic", "multi"];

/** One dimension: time, static or dynamic (the forms `dagx list` prints are accepted too). */
function singlePartitionsOf(item: { text: string; at: number }, ctx: FieldCtx): SinglePartitionsDef {
  const call = callOf(item, ctx);
  const at = item.at;
  if (call.name in TIME) {
    const example = `${call.name}(start=2024-01-01)`;
    onlyNamed(call, ["start", "end", "timezone", "fmt", "endoffset", "weekstartson"], ctx, example);
    if (call.args.length > 0) ctx.fail(`${call.name}() takes named options: ${example}`, ctx.valueCol + call.args[0]!.at);
    const start = call.named.get("start");
    if (!start) ctx.fail(`${call.name}() needs a start: ${example}`, ctx.valueCol + at);
    const o: Record<string, unknown> = { start: start!.text };
    for (const [k, field] of [["end", "end"], ["timezone", "timezone"], ["fmt", "fmt"]] as const) if (call.named.has(k)) o[field] = call.named.get(k)!.text;
    for (const [k, field] of [["endoffset", "endOffset"], ["weekstartson", "weekStartsOn"]] as const) {
      const v = call.named.get(k);
      if (v) {
        if (!/^-?\d+$/.test(v.text)) ctx.fail(`${field} must be an integer, not "${v.text}"`, ctx.valueCol + v.at);
        o[field] = Number(v.text);
      }
    }
    return guarded(ctx, at, () => (TIME[call.name as keyof typeof TIME] as (o: never) => SinglePartitionsDef)(o as never));
  }
  if (call.name === "static" || call.name === "staticpartitions") {
    if (call.args.length === 0) ctx.fail(`static() needs keys: static(eu, us)`, ctx.valueCol + at);
    return guarded(ctx, at, () => staticPartitions(call.args.map((a) => a.text)));
  }
  if (call.name === "dynamic" || call.name === "dynamicpartitions") {
    if (call.args.length !== 1 || call.named.size > 0) ctx.fail(`dynamic() takes the name of its partition set: dynamic(customers)`, ctx.valueCol + at);
    return guarded(ctx, at, () => dynamicPartitions(call.args[0]!.text));
  }
  if (call.name === "multi" || call.name === "multipartitions") ctx.fail(`multi() cannot be a dimension of multi(): give each dimension hourly/daily/weekly/monthly, static or dynamic`, ctx.valueCol + at);
  return ctx.fail(`unknown partitions "${call.name}"${didYouMean(call.name, PARTITION_KINDS)}: use hourly, daily, weekly or monthly(start=…), static(a, b), dynamic(name) or multi(date: daily(start=…), region: static(eu, us))`, ctx.valueCol + at);
}

/** `multi(date: daily(start=2024-01-01), region: static(eu, us))` (`=` works for `:`). */
function multiOf(item: { text: string; at: number }, ctx: FieldCtx): PartitionsDef {
  const open = item.text.indexOf("(");
  if (open < 0 || !item.text.endsWith(")")) ctx.fail(`multi() needs dimensions: multi(date: daily(start=2024-01-01), region: static(eu, us))`, ctx.valueCol + item.at);
  const innerAt = item.at + open + 1;
  const sub: FieldCtx = { ...ctx, valueCol: ctx.valueCol + innerAt };
  const dims: Record<string, SinglePartitionsDef> = {};
  for (const d of splitTop(item.text.slice(open + 1, -1), sub)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*[:=]\s*/.exec(d.text);
    if (!m) ctx.fail(`dimension "${d.text}" is not name: partitions — e.g. date: daily(start=2024-01-01)`, ctx.valueCol + innerAt + d.at);
    if (m![1]! in dims) ctx.fail(`dimension "${m![1]}" is given twice`, ctx.valueCol + innerAt + d.at);
    dims[m![1]!] = singlePartitionsOf({ text: d.text.slice(m![0].length), at: innerAt + d.at + m![0].length }, ctx);
  }
  return guarded(ctx, item.at, () => multiPartitions(dims));
}

const MAPPINGS = ["identity", "timewindow", "all", "last", "dimension"];

/** `identity()`, `timeWindow(offset=-1)` or `timeWindow(offset=-6..0)`, `all()`, `last()`, `dimension(date[, mapping])`. */
function mappingOf(item: { text: string; at: number }, ctx: FieldCtx): PartitionMapping {
  const call = callOf(item, ctx);
  const at = ctx.valueCol + item.at;
  const none = (example: string) => {
    if (call.args.length > 0 || call.named.size > 0) ctx.fail(`${example} takes no arguments`, at);
  };
  switch (call.name) {
    case "identity":
      none("identity()");
      return identity();
    case "all":
    case "allpartitions":
      none("all()");
      return allPartitions();
    case "last":
    case "lastpartition":
      none("last()");
      return lastPartition();
    case "timewindow": {
      onlyNamed(call, ["offset"], ctx, "timeWindow(offset=-1)");
      const o = call.named.get("offset");
      if (!o) return timeWindow();
      const range = /^(-?\d+)\s*\.\.\s*(-?\d+)$/.exec(o.text);
      if (range) return guarded(ctx, item.at, () => timeWindow({ offset: [Number(range[1]), Number(range[2])] }));
      if (!/^-?\d+$/.test(o.text)) ctx.fail(`offset must be an integer or a range like -6..0, not "${o.text}"`, ctx.valueCol + o.at);
      return guarded(ctx, item.at, () => timeWindow({ offset: Number(o.text) }));
    }
    case "dimension": {
      // dimension(date) or dimension(date, timeWindow(offset=-1)): the inner mapping applies to that dimension
      if (call.args.length < 1 || call.args.length > 2 || call.named.size > 0) ctx.fail(`dimension() names this asset's dimension and optionally a mapping for it: dimension(date) or dimension(date, timeWindow(offset=-1))`, at);
      const inner = call.args[1] ? mappingOf(call.args[1], ctx) : undefined;
      return guarded(ctx, item.at, () => dimension(call.args[0]!.text, inner));
    }
  }
  return ctx.fail(`unknown mapping "${call.name}"${didYouMean(call.name, MAPPINGS)}: use identity(), timeWindow(offset=-1), all(), last() or dimension(name)`, at);
}

const CHECKS = ["not_null", "unique", "row_count", "accepted_values", "expr"];

function checkOf(item: { text: string; at: number }, ctx: FieldCtx): BuiltinCheck {
  const call = callOf(item, ctx);
  const at = ctx.valueCol + item.at;
  const severity = call.named.get("severity")?.text;
  if (severity !== undefined && severity !== "error" && severity !== "warn") ctx.fail(`severity must be error or warn, not "${severity}"`, ctx.valueCol + call.named.get("severity")!.at);
  const opts = severity ? { severity: severity as "error" | "warn" } : {};
  const needArgs = (n: number, example: string) => {
    if (call.args.length < n) ctx.fail(`${call.name}() needs ${n === 1 ? "a column" : "arguments"}: ${example}`, at);
  };
  switch (call.name) {
    case "not_null":
      needArgs(1, "not_null(id)");
      onlyNamed(call, ["severity"], ctx, "not_null(id)");
      return guarded(ctx, item.at, () => notNull(call.args[0]!.text, opts));
    case "unique":
      needArgs(1, "unique(id) or unique(date, region)");
      onlyNamed(call, ["severity"], ctx, "unique(id)");
      return guarded(ctx, item.at, () => unique(call.args.map((a) => a.text), opts));
    case "row_count": {
      onlyNamed(call, ["min", "max", "severity"], ctx, "row_count(min=1)");
      const num = (k: string) => {
        const v = call.named.get(k);
        if (!v) return undefined;
        if (!/^\d+$/.test(v.text)) ctx.fail(`${k} must be a whole number, not "${v.text}"`, ctx.valueCol + v.at);
        return Number(v.text);
      };
      return guarded(ctx, item.at, () => rowCount({ min: num("min"), max: num("max"), ...opts }));
    }
    case "accepted_values":
      needArgs(2, "accepted_values(status, open, paid)");
      onlyNamed(call, ["severity"], ctx, "accepted_values(status, open, paid)");
      return guarded(ctx, item.at, () => acceptedValues(call.args[0]!.text, call.args.slice(1).map((a) => a.text), opts));
    case "expr": {
      needArgs(1, "expr('amount >= 0')");
      onlyNamed(call, ["severity"], ctx, "expr('amount >= 0')");
      return guarded(ctx, item.at, () => expr(call.args.map((a) => a.text).join(", "), opts));
    }
  }
  return ctx.fail(`unknown check "${call.name}"${didYouMean(call.name, CHECKS)}: the checks are ${CHECKS.map((c) => `${c}()`).join(", ")}`, at);
}

function freshnessOf(ctx: FieldCtx): FreshnessPolicy {
  const call = callOf({ text: `f(${ctx.value})`, at: -2 }, ctx);
  onlyNamed(call, ["max_lag", "warn_after", "cron", "timezone"], ctx, "max_lag=24h, warn_after=12h");
  if (call.args.length > 0) ctx.fail(`@freshness takes name=value options, e.g. max_lag=24h, warn_after=12h`, ctx.valueCol + call.args[0]!.at);
  const f: FreshnessPolicy = {};
  if (call.named.has("max_lag")) f.maxLag = call.named.get("max_lag")!.text;
  if (call.named.has("warn_after")) f.warnAfter = call.named.get("warn_after")!.text;
  if (call.named.has("cron")) f.cron = call.named.get("cron")!.text;
  if (call.named.has("timezone")) f.timezone = call.named.get("timezone")!.text;
  return f;
}

function automationOf(ctx: FieldCtx): NonNullable<AssetOptions["automation"]> {
  const call = callOf({ text: ctx.value, at: 0 }, ctx);
  if (call.name === "eager") return eager();
  if (call.name === "on_missing") return onMissing();
  if (call.name === "on_cron") {
    if (call.args.length !== 1) ctx.fail(`on_cron() needs a cron expression: on_cron('0 6 * * *')`);
    const tz = call.named.get("timezone")?.text;
    return guarded(ctx, 0, () => onCron(call.args[0]!.text, tz ? { timezone: tz } : {}));
  }
  return ctx.fail(`unknown automation "${call.name}"${didYouMean(call.name, ["eager", "on_missing", "on_cron"])}: use eager, on_missing or on_cron('0 6 * * *')`);
}

function retryOf(ctx: FieldCtx): RetryPolicy {
  const call = callOf({ text: `r(${ctx.value})`, at: -2 }, ctx);
  onlyNamed(call, ["max_retries", "delay", "backoff", "jitter"], ctx, "max_retries=3, delay=1s");
  const r: RetryPolicy = {};
  const mr = call.named.get("max_retries");
  if (mr) {
    if (!/^\d+$/.test(mr.text)) ctx.fail(`max_retries must be a whole number, not "${mr.text}"`, ctx.valueCol + mr.at);
    r.maxRetries = Number(mr.text);
  }
  if (call.named.has("delay")) r.delay = call.named.get("delay")!.text;
  const b = call.named.get("backoff");
  if (b) {
    if (!["constant", "linear", "exponential"].includes(b.text)) ctx.fail(`backoff must be constant, linear or exponential, not "${b.text}"`, ctx.valueCol + b.at);
    r.backoff = b.text as RetryPolicy["backoff"];
  }
  const j = call.named.get("jitter");
  if (j) {
    if (j.text !== "true" && j.text !== "false") ctx.fail(`jitter must be true or false, not "${j.text}"`, ctx.valueCol + j.at);
    r.jitter = j.text === "true";
  }
  return r;
}
