/**
 * Resolve a parsed partition selection against one partition space, to an IndexSet. A range
 * applies to each space by its own granularity: `2024-01..2024-03` is 91 days of a daily space
 * and 3 months of a monthly one.
 */
import { didYouMean } from "../suggest.ts";
import { UNIT_RANK } from "./_format.ts";
import { productSet } from "./_mixed-radix.ts";
import { parseTimePoint } from "./_time-point.ts";
import { PartitionRangeError } from "./errors.ts";
import { IndexSet } from "./index-set.ts";
import { type ParsedPartitionSelection, type PartitionEndpoint, type PartitionItem, parsePartitionSelection } from "./selection-parse.ts";
import type { MultiSpace, PartitionSpace, PartitionStatus, SingleSpace, TimeSpace } from "./types.ts";

/** Options of `resolvePartitionSelection`. */
export interface ResolveOptions extends PartitionStatus {
  /** Clip keys and ranges outside the space instead of failing (for a selection that spans several assets). @default false */
  clip?: boolean;
}

/** Virtual indices `[lo, hi)` one end selects, and where it sits for order checks. */
interface Span {
  lo: number;
  hi: number;
  order: number;
  text: string;
}

const SUGGEST_LIMIT = 10_000;

/**
 * The partitions of `space` that `selection` names. `missing` is every partition neither
 * materialized nor failed; `failed` the failed ones (both from `options`).
 * @throws PartitionRangeError (code `USAGE`) naming the part that does not fit the space
 */
export function resolvePartitionSelection(selection: ParsedPartitionSelection | string, space: PartitionSpace, options: ResolveOptions = {}): IndexSet {
  const sel = typeof selection === "string" ? parsePartitionSelection(selection) : selection;
  const fail = (message: string, at: { pos: number; len: number }): never => {
    throw new PartitionRangeError(message, sel.text, at.pos, at.len);
  };
  const all = IndexSet.range(0, space.size);
  const resolveItem = (item: PartitionItem, s: PartitionSpace): IndexSet => {
    switch (item.kind) {
      case "all":
        return IndexSet.range(0, s.size);
      case "missing":
        return all.difference(options.materialized ?? IndexSet.EMPTY).difference(options.failed ?? IndexSet.EMPTY);
      case "failed":
        return all.intersect(options.failed ?? IndexSet.EMPTY);
      default:
        if (s.kind === "multi") return resolveOnMulti(item, s);
        return resolveRange(item.kind === "range" ? item.from : item, item.kind === "range" ? item.to : item, item, s);
    }
  };
  const resolveRange = (from: PartitionEndpoint | null, to: PartitionEndpoint | null, item: PartitionItem, s: PartitionSpace): IndexSet => {
    const a = from && span(from, s, "from");
    const b = to && span(to, s, "to");
    if (a && b && a.order > b.order) fail(`"${sel.text.slice(item.pos, item.pos + item.len)}": the start is after the end`, item);
    for (const [end, at] of [[a, from], [b, to]] as const) {
      if (!end || !at || options.clip) continue;
      if (s.size === 0) fail(`"${end.text}" is not a partition: ${s.label} has no partitions yet`, at);
      if (end.hi <= 0) fail(`"${end.text}" is before the start "${s.keyAt(0)}" of ${s.label}`, at);
      if (end.lo >= s.size) fail(`"${end.text}" is after the last partition "${s.keyAt(s.size - 1)}" of ${s.label}`, at);
    }
    return IndexSet.range(Math.max(0, a ? a.lo : 0), Math.min(s.size, b ? b.hi : s.size));
  };
  const span = (end: PartitionEndpoint, s: PartitionSpace, role: "from" | "to"): Span => {
    if (end.kind === "latest") {
      if (s.size === 0 && !options.clip) fail(`"latest" is not a partition: ${s.label} has no partitions yet`, end);
      // Time ends are ordered by instant: "latest" as a start is its window's start, as an end its last instant.
      const order = s.kind !== "time" ? s.size - 1 : role === "from" ? s.startOf(s.size - 1) : s.startOf(s.size) - 1;
      return { lo: s.size - 1, hi: s.size, order, text: "latest" };
    }
    if (s.kind === "time") return timeSpan(end.text, s, end);
    const i = s.indexOf(end.text);
    if (i < 0) fail(`Unknown partition "${end.text}" of ${s.label}${suggestion(end.text, s)}`, end);
    return { lo: i, hi: i + 1, order: i, text: end.text };
  };
  const timeSpan = (text: string, s: TimeSpace, at: PartitionEndpoint): Span => {
    const p = parseTimePoint(s, text);
    if (typeof p === "string") return fail(p, at);
    const finer = UNIT_RANK[p.unit] < UNIT_RANK[s.unit];
    return { lo: finer ? s.indexContaining(p.t0) : s.indexAtOrAfter(p.t0), hi: s.indexAtOrAfter(p.t1), order: p.t0, text };
  };
  const resolveOnMulti = (item: Exclude<PartitionItem, { kind: "all" | "missing" | "failed" }>, s: MultiSpace): IndexSet => {
    const ends = item.kind === "range" ? [item.from, item.to] : item.kind === "key" ? [item] : [];
    if (ends.some((e) => e?.kind === "key" && e.text.includes("|"))) {
      return item.kind === "range" ? resolveRange(item.from, item.to, item, s) : resolveRange(item, item, item, s);
    }
    const times = s.dimensions.filter((d) => d.space.kind === "time");
    if (item.kind === "latest" && times.length !== 1) return s.size === 0 ? IndexSet.EMPTY : IndexSet.of(s.size - 1);
    if (times.length !== 1) {
      const example = s.dimensions.map((d) => `${d.name}=…`).join(",");
      fail(`${s.label} has ${times.length === 0 ? "no" : "several"} time dimensions: select per dimension, like "${example}"`, item);
    }
    const k = s.dimensions.indexOf(times[0]!);
    const sets = s.dimensions.map((d, j) => (j === k ? resolveItem(item, d.space) : IndexSet.range(0, d.space.size)));
    return productSet(sets, s.radices);
  };
  if (sel.kind === "list") return sel.items.reduce((acc, item) => acc.union(resolveItem(item, space)), IndexSet.EMPTY);
  const dims = space.dimensions;
  const sets: IndexSet[] = dims.map((d) => IndexSet.range(0, d.space.size));
  for (const d of sel.dimensions) {
    const k = dims.findIndex((x) => x.name === d.name);
    if (k < 0) {
      const names = dims.map((x) => x.name);
      fail(`Unknown dimension "${d.name}" of ${space.label}${didYouMean(d.name, names) || ` — its dimensions are ${names.map((n) => `"${n}"`).join(", ")}`}`, { pos: d.pos, len: d.name.length });
    }
    sets[k] = d.items.reduce((acc, item) => acc.union(resolveItem(item, dims[k]!.space)), IndexSet.EMPTY);
  }
  return space.kind === "multi" ? productSet(sets, space.radices) : sets[0]!;
}

function suggestion(text: string, s: SingleSpace | MultiSpace): string {
  if (s.size > SUGGEST_LIMIT) return "";
  if (s.kind === "multi") {
    const parts = text.split("|");
    if (parts.length !== s.dimensions.length) return ` — a key names one value per dimension: ${s.dimensions.map((d) => d.name).join("|")}`;
    const k = parts.findIndex((p, j) => s.dimensions[j]!.space.indexOf(p) < 0);
    const d = s.dimensions[k];
    return d ? `: "${parts[k]}" is not a key of dimension "${d.name}"${suggestion(parts[k]!, d.space).replace(/^:.*/, "")}` : "";
  }
  return didYouMean(text, (function* () {
    for (let i = 0; i < s.size; i++) yield s.keyAt(i);
  })());
}
