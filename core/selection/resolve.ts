/**
 * Selection resolution: a parsed selection plus the asset graph → the selected keys.
 * Names that match nothing are errors (with suggestions), empty set results are not.
 */
import { SelectionError } from "../errors.ts";
import { didYouMean } from "../suggest.ts";
import type { GraphView } from "../types.ts";
import { globMatcher } from "./glob.ts";
import { parseSelection, type ParsedSelection, type SelectionNode } from "./parse.ts";

type AttrNode = Extract<SelectionNode, { kind: "attr" }>;

/**
 * Resolve one selection (text or an AST from `parseSelection`) against the graph.
 * The set iterates in the graph's asset order.
 * @throws SelectionError `SELECTION_SYNTAX` for bad text, `SELECTION_UNKNOWN` for names that match nothing
 * @example resolveSelection("group:raw+ and not kind:duckdb", graph)
 */
export function resolveSelection(selection: ParsedSelection | string, graph: GraphView): Set<string> {
  const parsed = typeof selection === "string" ? parseSelection(selection) : selection;
  return inGraphOrder(evaluate(parsed.root, graph, parsed.text), graph);
}

/**
 * Union of several selections, as given by positional CLI arguments; no selections means
 * every asset.
 * @throws SelectionError from the first selection that fails to parse or resolve
 * @example selectAssets(["orders+", "group:raw"], graph)
 */
export function selectAssets(selections: readonly string[], graph: GraphView): Set<string> {
  if (selections.length === 0) return new Set(graph.assets.keys());
  const out = new Set<string>();
  for (const text of selections) for (const key of resolveSelection(text, graph)) out.add(key);
  return inGraphOrder(out, graph);
}

function inGraphOrder(keys: ReadonlySet<string>, graph: GraphView): Set<string> {
  return new Set([...graph.assets.keys()].filter((k) => keys.has(k)));
}

function evaluate(node: SelectionNode, graph: GraphView, text: string): Set<string> {
  const all = () => new Set(graph.assets.keys());
  switch (node.kind) {
    case "all":
      return all();
    case "attr":
      return matchAttr(node, graph, text);
    case "not": {
      const inner = evaluate(node.node, graph, text);
      return new Set([...all()].filter((k) => !inner.has(k)));
    }
    case "and": {
      // evaluate every operand so an unknown name is reported even when the result is empty
      const sets = node.nodes.map((n) => evaluate(n, graph, text));
      const [first, ...rest] = sets;
      return new Set([...(first ?? [])].filter((k) => rest.every((s) => s.has(k))));
    }
    case "or":
      return new Set(node.nodes.flatMap((n) => [...evaluate(n, graph, text)]));
    case "roots":
    case "sinks": {
      const inner = evaluate(node.arg, graph, text);
      const edges = node.kind === "roots" ? graph.upstream : graph.downstream;
      return new Set([...inner].filter((k) => !(edges.get(k) ?? []).some((n) => inner.has(n))));
    }
    case "traverse": {
      const base = evaluate(node.node, graph, text);
      const out = new Set(base);
      walk(base, node.up, graph.upstream, out);
      walk(base, node.down, graph.downstream, out);
      return out;
    }
  }
}

/** Breadth-first from `start` along `edges` for at most `depth` layers, adding to `into`. */
function walk(start: ReadonlySet<string>, depth: number, edges: GraphView["upstream"], into: Set<string>): void {
  const seen = new Set(start);
  let frontier = [...start];
  for (let d = 0; d < depth && frontier.length > 0; d++) {
    const next: string[] = [];
    for (const key of frontier) {
      for (const n of edges.get(key) ?? []) {
        if (seen.has(n)) continue;
        seen.add(n);
        into.add(n);
        next.push(n);
      }
    }
    frontier = next;
  }
}

/** `*` matches any run of characters unless the value was quoted. */
function matcher(value: string, exact: boolean): (s: string) => boolean {
  return exact ? (s) => s === value : globMatcher(value);
}

function matchAttr(node: AttrNode, graph: GraphView, text: string): Set<string> {
  const is = matcher(node.value, node.exact);
  const assets = [...graph.assets.values()];
  const pick = (values: (a: (typeof assets)[number]) => Iterable<string>, ok: (v: string) => boolean) =>
    new Set(assets.filter((a) => [...values(a)].some(ok)).map((a) => a.key));
  let found: Set<string>;
  switch (node.attr) {
    case "key":
      found = pick((a) => [a.key], is);
      break;
    case "group":
      found = pick((a) => [a.group], is);
      break;
    case "owner":
      found = pick((a) => a.owners, is);
      break;
    case "kind":
      found = pick((a) => a.kinds, is);
      break;
    case "tag": {
      found = pick((a) => Object.keys(a.tags), is);
      const tagValue = node.tagValue;
      if (found.size === 0 || tagValue === null) break;
      const wanted = matcher(tagValue, false);
      const pairs = assets.flatMap((a) => Object.entries(a.tags).filter(([k]) => is(k)).map(([k, v]) => `${k}=${v}`));
      found = pick((a) => Object.entries(a.tags).filter(([k, v]) => is(k) && wanted(v)).map(([k]) => k), () => true);
      if (found.size === 0) unknown(node, text, "tag", `${node.value}=${tagValue}`, pairs, `No asset has tag`);
      return found;
    }
  }
  if (found.size > 0) return found;
  const known = node.attr === "tag" ? assets.flatMap((a) => Object.keys(a.tags)) : assets.flatMap((a) =>
    node.attr === "key" ? [a.key] : node.attr === "group" ? [a.group] : node.attr === "owner" ? a.owners : a.kinds);
  const label = node.attr === "key" ? "asset" : node.attr;
  const wildcard = !node.exact && node.value.includes("*");
  unknown(node, text, label, node.value, known, wildcard ? `No ${label} matches` : `Unknown ${label}`);
}

function unknown(node: AttrNode, text: string, label: string, value: string, known: string[], head: string): never {
  const distinct = [...new Set(known)].sort();
  let hint = didYouMean(value.replaceAll("*", ""), distinct);
  if (label === "asset" && !node.exact && text[node.pos + node.len] === "*") {
    hint = ` — for keys starting with "${value}" write "key:${value}*"`;
  } else if (hint === "" && label === "asset") hint = ` — run "dagx list" to see asset keys`;
  else if (hint === "" && distinct.length === 0) hint = ` — no asset has a ${label} yet`;
  else if (hint === "") hint = ` — known ${label}s: ${distinct.slice(0, 6).map((v) => `"${v}"`).join(", ")}${distinct.length > 6 ? ", …" : ""}`;
  throw new SelectionError(`${head} "${value}" in selection "${text}"${hint}`, text, node.pos, node.len, "SELECTION_UNKNOWN");
}
