import { describe, expect, test } from "bun:test";
import { SelectionError } from "../../core/errors.ts";
import { parseSelection, resolveSelection, selectAssets } from "../../core/selection/index.ts";
import type { AssetNode, GraphView } from "../../core/types.ts";

type Spec = [key: string, group: string, deps: string[], extra?: Partial<AssetNode>];

// raw_orders → orders → order_items → analytics/daily_revenue → reports/weekly
// orders → analytics/daily_revenue, analytics/customer_ltv ← customers ← raw_customers
// raw_events → events_summary → metrics.v2-daily;  "not" stands alone
const SPECS: Spec[] = [
  ["raw_orders", "raw", [], { kinds: ["duckdb"], owners: ["team:data"], tags: { domain: "sales", tier: "bronze" } }],
  ["raw_customers", "raw", [], { kinds: ["duckdb"], owners: ["team:data"], tags: { domain: "crm" } }],
  ["raw_events", "raw", [], { kinds: ["json"], owners: ["alice@example.com"] }],
  ["orders", "staging", ["raw_orders"], { kinds: ["duckdb"], owners: ["team:data"], tags: { domain: "sales" } }],
  ["customers", "staging", ["raw_customers"], { owners: ["team:crm"], tags: { domain: "crm" } }],
  ["order_items", "staging", ["orders"]],
  ["analytics/daily_revenue", "analytics", ["orders", "order_items"],
    { kinds: ["duckdb", "parquet"], owners: ["team:data", "team:finance"], tags: { domain: "sales", tier: "gold" } }],
  ["analytics/customer_ltv", "analytics", ["orders", "customers"], { kinds: ["duckdb"], owners: ["team:finance"], tags: { tier: "gold" } }],
  ["reports/weekly", "reports", ["analytics/daily_revenue", "analytics/customer_ltv"], { kinds: ["python"] }],
  ["not", "misc", []],
  ["events_summary", "analytics", ["raw_events"], { kinds: ["duckdb"] }],
  ["metrics.v2-daily", "misc", ["events_summary"]],
];

function buildGraph(specs: Spec[]): GraphView {
  const assets = new Map<string, AssetNode>();
  const upstream = new Map<string, string[]>();
  const downstream = new Map<string, string[]>(specs.map(([key]) => [key, []]));
  for (const [key, group, deps, extra] of specs) {
    assets.set(key, { key, group, deps, description: null, owners: [], tags: {}, kinds: [], partitioned: false, location: null, ...extra });
    upstream.set(key, deps);
    for (const d of deps) downstream.get(d)!.push(key);
  }
  return { assets, upstream, downstream };
}

const graph = buildGraph(SPECS);
const ALL = SPECS.map(([key]) => key);
const sorted = (keys: Iterable<string>) => [...keys].sort();
const resolve = (text: string) => sorted(resolveSelection(text, graph));

const RAW = ["raw_orders", "raw_customers", "raw_events"];
const ORDERS_DOWN = ["orders", "order_items", "analytics/daily_revenue", "analytics/customer_ltv", "reports/weekly"];

const CASES: [selection: string, expected: string[]][] = [
  ["orders", ["orders"]],
  ["  orders  ", ["orders"]],
  ["orders+", ORDERS_DOWN],
  ["orders*", ORDERS_DOWN],
  ["(orders)*", ORDERS_DOWN],
  ["+orders", ["orders", "raw_orders"]],
  ["*orders", ["orders", "raw_orders"]],
  ["*(orders)", ["orders", "raw_orders"]],
  ["*orders*", ["raw_orders", ...ORDERS_DOWN]],
  ["orders+1", ["orders", "order_items", "analytics/daily_revenue", "analytics/customer_ltv"]],
  ["1+orders+1", ["raw_orders", "orders", "order_items", "analytics/daily_revenue", "analytics/customer_ltv"]],
  ["orders+0", ["orders"]],
  ["0+orders", ["orders"]],
  ["2+analytics/daily_revenue", ["analytics/daily_revenue", "orders", "order_items", "raw_orders"]],
  ["1+analytics/daily_revenue", ["analytics/daily_revenue", "orders", "order_items"]],
  ["+analytics/daily_revenue", ["analytics/daily_revenue", "orders", "order_items", "raw_orders"]],
  ["+reports/weekly", ALL.filter((k) => !["raw_events", "events_summary", "metrics.v2-daily", "not"].includes(k))],
  ["reports/weekly+", ["reports/weekly"]],
  ["analytics/customer_ltv+1", ["analytics/customer_ltv", "reports/weekly"]],
  ["metrics.v2-daily", ["metrics.v2-daily"]],
  ["+metrics.v2-daily", ["metrics.v2-daily", "events_summary", "raw_events"]],
  ["1+metrics.v2-daily", ["metrics.v2-daily", "events_summary"]],
  ["*", ALL],
  ["group:raw", RAW],
  ["GROUP:raw", RAW],
  ["group:analytics", ["analytics/daily_revenue", "analytics/customer_ltv", "events_summary"]],
  ["group:ana*", ["analytics/daily_revenue", "analytics/customer_ltv", "events_summary"]],
  ["group:raw+1", [...RAW, "orders", "customers", "events_summary"]],
  ["tag:domain=sales", ["raw_orders", "orders", "analytics/daily_revenue"]],
  ["tag:domain", ["raw_orders", "raw_customers", "orders", "customers", "analytics/daily_revenue"]],
  ["tag:domain=*", ["raw_orders", "raw_customers", "orders", "customers", "analytics/daily_revenue"]],
  ["tag:tier=gold", ["analytics/daily_revenue", "analytics/customer_ltv"]],
  ["tag:tier", ["raw_orders", "analytics/daily_revenue", "analytics/customer_ltv"]],
  ['tag:"domain"="crm"', ["raw_customers", "customers"]],
  ["owner:team:data", ["raw_orders", "raw_customers", "orders", "analytics/daily_revenue"]],
  ['owner:"team:data"', ["raw_orders", "raw_customers", "orders", "analytics/daily_revenue"]],
  ["owner:team:finance", ["analytics/daily_revenue", "analytics/customer_ltv"]],
  ["owner:team:finance+", ["analytics/daily_revenue", "analytics/customer_ltv", "reports/weekly"]],
  ["owner:team:data+1", ["raw_orders", "raw_customers", "orders", "analytics/daily_revenue", "customers", "order_items", "analytics/customer_ltv", "reports/weekly"]],
  ["owner:alice@example.com", ["raw_events"]],
  ["(owner:team:crm)", ["customers"]],
  ["kind:duckdb", ["raw_orders", "raw_customers", "orders", "analytics/daily_revenue", "analytics/customer_ltv", "events_summary"]],
  ["kind:parquet", ["analytics/daily_revenue"]],
  ["kind:duckdb and not kind:parquet", ["raw_orders", "raw_customers", "orders", "analytics/customer_ltv", "events_summary"]],
  ["key:raw_*", RAW],
  ["raw_*", RAW],
  ["analytics/*", ["analytics/daily_revenue", "analytics/customer_ltv"]],
  ["key:analytics/*", ["analytics/daily_revenue", "analytics/customer_ltv"]],
  ["*_orders", ["raw_orders"]],
  ["key:*order*", ["raw_orders", "orders", "order_items"]],
  ["key:not", ["not"]],
  ['key:"not"', ["not"]],
  ["'analytics/daily_revenue'", ["analytics/daily_revenue"]],
  ["roots(group:raw)", RAW],
  ["roots(orders+)", ["orders"]],
  ["roots(*)", [...RAW, "not"]],
  ["ROOTS (*)", [...RAW, "not"]],
  ["sinks(*)", ["reports/weekly", "not", "metrics.v2-daily"]],
  ["sinks(group:raw)", RAW],
  ["sinks(+orders)", ["orders"]],
  ["sinks(roots(*)+1)", ["orders", "customers", "events_summary", "not"]],
  ["not group:raw", ALL.filter((k) => !RAW.includes(k))],
  ["not not orders", ["orders"]],
  ["not(orders+)", ["raw_orders", "raw_customers", "raw_events", "customers", "not", "events_summary", "metrics.v2-daily"]],
  ["NOT group:raw and not group:analytics", ["orders", "customers", "order_items", "reports/weekly", "not", "metrics.v2-daily"]],
  ["group:raw and tag:domain=sales", ["raw_orders"]],
  ["group:raw or group:reports", [...RAW, "reports/weekly"]],
  ["orders OR customers", ["orders", "customers"]],
  ["orders And orders+", ["orders"]],
  ["orders+ and kind:duckdb", ["orders", "analytics/daily_revenue", "analytics/customer_ltv"]],
  ["group:raw or group:staging and tag:domain=sales", [...RAW, "orders"]],
  ["(group:raw or group:staging) and tag:domain=sales", ["raw_orders", "orders"]],
  ["(orders or customers)+", ["customers", ...ORDERS_DOWN]],
  ["(orders or customers)+1", ["orders", "customers", "order_items", "analytics/daily_revenue", "analytics/customer_ltv"]],
  ["+(analytics/customer_ltv)", ["analytics/customer_ltv", "orders", "customers", "raw_orders", "raw_customers"]],
  ["group:raw+ and sinks(*)", ["reports/weekly", "metrics.v2-daily"]],
  ["orders+,group:raw", [...ORDERS_DOWN, ...RAW]],
  ["orders , customers", ["orders", "customers"]],
  ["orders,customers,orders", ["orders", "customers"]],
  ["(orders, customers) and group:staging", ["orders", "customers"]],
  ["group:raw and tag:domain=crm", ["raw_customers"]],
  ["orders and customers", []],
];

describe("resolveSelection()", () => {
  test.each(CASES)("resolveSelection() selects %p", (selection, expected) => {
    expect(resolve(selection)).toEqual(sorted(expected));
  });

  test("resolveSelection() accepts an AST from parseSelection()", () => {
    expect(resolve("orders+1")).toEqual(sorted(resolveSelection(parseSelection("orders+1"), graph)));
  });

  test("resolveSelection() returns keys in graph order", () => {
    expect([...resolveSelection("reports/weekly or raw_orders", graph)]).toEqual(["raw_orders", "reports/weekly"]);
  });
});

describe("selectAssets()", () => {
  test("selectAssets() selects every asset for no selections", () => {
    expect([...selectAssets([], graph)]).toEqual(ALL);
  });
  test("selectAssets() unions several selections", () => {
    expect(sorted(selectAssets(["orders", "customers+"], graph))).toEqual(
      sorted(["orders", "customers", "analytics/customer_ltv", "reports/weekly"]));
  });
  test("selectAssets() unions commas inside one selection", () => {
    expect(sorted(selectAssets(["group:raw", "orders+1,kind:python"], graph))).toEqual(
      sorted([...RAW, "orders", "order_items", "analytics/daily_revenue", "analytics/customer_ltv", "reports/weekly"]));
  });
  test("selectAssets() rejects an empty selection string", () => {
    expect(() => selectAssets([""], graph)).toThrow(SelectionError);
  });
});

describe("parseSelection()", () => {
  test("parseSelection() needs no graph and keeps traversal depths", () => {
    const { root } = parseSelection("2+ordres*");
    expect(root).toMatchObject({ kind: "traverse", up: 2, down: Infinity, node: { kind: "attr", attr: "key", value: "ordres" } });
  });
  test("parseSelection() reads owner values with colons and stops at traversal", () => {
    expect(parseSelection("owner:team:data+").root).toMatchObject({ kind: "traverse", down: Infinity, node: { attr: "owner", value: "team:data" } });
  });
  test("parseSelection() binds and tighter than or", () => {
    expect(parseSelection("a or b and c").root).toMatchObject({ kind: "or", nodes: [{ value: "a" }, { kind: "and" }] });
  });
});

type ErrorCase = [selection: string, code: "SELECTION_SYNTAX" | "SELECTION_UNKNOWN", position: number, parts: string[]];
const ERRORS: ErrorCase[] = [
  ["ordres+", "SELECTION_UNKNOWN", 0, ['Unknown asset "ordres" in selection "ordres+" — did you mean "orders"?']],
  ["orders)", "SELECTION_SYNTAX", 6, ['Unexpected ")" at position 6 in selection "orders)"', 'matching "("']],
  ["(orders", "SELECTION_SYNTAX", 0, ['Unclosed "(" at position 0 in selection "(orders"', 'add a matching ")"']],
  ["((orders)", "SELECTION_SYNTAX", 0, ['Unclosed "("']],
  ["roots(orders", "SELECTION_SYNTAX", 5, ['Unclosed "(" at position 5']],
  ["roots(", "SELECTION_SYNTAX", 6, ["Unexpected end of selection"]],
  ["grp:raw", "SELECTION_SYNTAX", 0, ['Unknown attribute "grp"', 'did you mean "group"?']],
  ["", "SELECTION_SYNTAX", 0, ["Empty selection"]],
  ["   ", "SELECTION_SYNTAX", 0, ["Empty selection"]],
  ["orders and", "SELECTION_SYNTAX", 10, ['Unexpected end of selection "orders and"', "expected an asset key"]],
  ["orders or", "SELECTION_SYNTAX", 9, ["Unexpected end of selection"]],
  ["not", "SELECTION_SYNTAX", 3, ["Unexpected end of selection"]],
  ["and orders", "SELECTION_SYNTAX", 0, ['Unexpected "and" at position 0', '"key:and"']],
  ["AND", "SELECTION_SYNTAX", 0, ['Unexpected "AND"']],
  ["orders+1a", "SELECTION_SYNTAX", 7, ['Invalid depth "1a" in selection "orders+1a"', "whole number"]],
  ["orders customers", "SELECTION_SYNTAX", 7, ['Unexpected "customers" at position 7', 'join terms with "and", "or" or ","']],
  ["orders,,customers", "SELECTION_SYNTAX", 7, ['Unexpected ","']],
  ["orders,", "SELECTION_SYNTAX", 7, ["Unexpected end of selection"]],
  ["group:", "SELECTION_SYNTAX", 6, ['Missing value after "group:"', '"group:NAME"']],
  ['key:""', "SELECTION_SYNTAX", 4, ['Missing value after "key:"']],
  ['owner:"team:data', "SELECTION_SYNTAX", 6, ["Unclosed quote at position 6"]],
  ["group:raw=x", "SELECTION_SYNTAX", 9, ['Unexpected "="', 'only "tag:" takes a value']],
  ["+ orders", "SELECTION_SYNTAX", 0, ['Expected an asset key right after "+"', '"+orders"']],
  ["1+", "SELECTION_SYNTAX", 2, ["Unexpected end of selection"]],
  ["@orders", "SELECTION_SYNTAX", 0, ['Unexpected "@" at position 0', "expected an asset key"]],
  ["orders@", "SELECTION_SYNTAX", 6, ['Unexpected "@" at position 6']],
  ["orders+-1", "SELECTION_SYNTAX", 7, ['Unexpected "-1"']],
  ["ordres )", "SELECTION_SYNTAX", 7, ['Unexpected ")"']],
  ["group:rw", "SELECTION_UNKNOWN", 0, ['Unknown group "rw" in selection "group:rw" — did you mean "raw"?']],
  ["sinks(group:nope)", "SELECTION_UNKNOWN", 6, ['Unknown group "nope"', 'known groups: "analytics", "misc", "raw"']],
  ["tag:domian", "SELECTION_UNKNOWN", 0, ['Unknown tag "domian"', 'did you mean "domain"?']],
  ["tag:domain=salse", "SELECTION_UNKNOWN", 0, ['No asset has tag "domain=salse"', 'did you mean "domain=sales"?']],
  ["owner:team:dta", "SELECTION_UNKNOWN", 0, ['Unknown owner "team:dta"', 'did you mean "team:data"?']],
  ["kind:duckbd", "SELECTION_UNKNOWN", 0, ['Unknown kind "duckbd"', 'did you mean "duckdb"?']],
  ["raw_*_v9", "SELECTION_UNKNOWN", 0, ['No asset matches "raw_*_v9"']],
  ["key:zzz_*", "SELECTION_UNKNOWN", 0, ['No asset matches "zzz_*"']],
  ["ord*", "SELECTION_UNKNOWN", 0, ['Unknown asset "ord"', '"key:ord*"']],
  ["xyzzy", "SELECTION_UNKNOWN", 0, ['Unknown asset "xyzzy"', '"dagx list"']],
  ["orders and xyzzy", "SELECTION_UNKNOWN", 11, ['Unknown asset "xyzzy" in selection "orders and xyzzy"']],
  ["roots", "SELECTION_UNKNOWN", 0, ['Unknown asset "roots"']],
];

describe("SelectionError", () => {
  test.each(ERRORS)("resolveSelection() rejects %p", (selection, code, position, parts) => {
    let error: unknown;
    try {
      resolveSelection(selection, graph);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SelectionError);
    const e = error as SelectionError;
    expect({ code: e.code, position: e.position, selection: e.selection }).toEqual({ code, position, selection });
    for (const part of parts) expect(e.message).toContain(part);
    expect(e.message).not.toMatch(/\.$/);
    expect(e.exitCode).toBe(2);
  });

  test("parseSelection() reports syntax errors without a graph", () => {
    expect(() => parseSelection("(orders")).toThrow(SelectionError);
  });

  test("SelectionError.pointer puts a caret under the unknown key", () => {
    try {
      resolveSelection("orders and ordres+", graph);
      throw new Error("expected a SelectionError");
    } catch (e) {
      expect((e as SelectionError).pointer).toBe("  orders and ordres+\n             ^^^^^^");
    }
  });
});
