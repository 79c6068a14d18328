/**
 * Asset selection (DESIGN §4): `parseSelection` turns text into an AST without a graph,
 * `resolveSelection` and `selectAssets` turn it into asset keys.
 */
export { MAX_SELECTION_DEPTH, parseSelection, SELECTION_ATTRS } from "./parse.ts";
export type { ParsedSelection, SelectionAttr, SelectionNode } from "./parse.ts";
export { resolveSelection, selectAssets } from "./resolve.ts";
