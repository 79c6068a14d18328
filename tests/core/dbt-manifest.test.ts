// core/dbt/manifest.ts: a manifest written by the real dbt (dbt-core 1.11, dbt-duckdb 1.11, the
// examples/dbt-shop project; trimmed to the fields dagx reads) → assets, sources, checks.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type DbtManifest, definitionsFromManifest } from "../../core/dbt/manifest.ts";
import { DefinitionError } from "../../core/errors.ts";

const fixture = (): DbtManifest =>
  JSON.parse(readFileSync(join(import.meta.dir, "../fixtures/dbt/shop-manifest.json"), "utf8")) as DbtManifest;

describe("dbt manifest → dagx definitions", () => {
  const defs = definitionsFromManifest(fixture());

  test("models and seeds become assets keyed by name, meta.dagx.key overriding", () => {
    expect(defs.project).toBe("shop");
    expect(defs.adapter).toBe("duckdb");
    expect(defs.assets.map((a) => [a.key, a.uniqueId, a.resourceType])).toEqual([
      ["marts/customer_revenue", "model.shop.customer_revenue", "model"],
      ["stg_customers", "model.shop.stg_customers", "model"],
      ["stg_orders", "model.shop.stg_orders", "model"],
      ["customers", "seed.shop.customers", "seed"],
    ]);
  });

  test("depends_on → deps by key, through sources and seeds", () => {
    const deps = Object.fromEntries(defs.assets.map((a) => [a.key, a.deps]));
    expect(deps).toEqual({
      "marts/customer_revenue": ["stg_customers", "stg_orders"],
      stg_customers: ["customers"],
      stg_orders: ["orders"], // the source's meta.dagx.key connects it to the dagx asset "orders"
      customers: [],
    });
  });

  test("group: the dbt group, else the folder, else the project; owners from meta and the group", () => {
    const by = Object.fromEntries(defs.assets.map((a) => [a.key, a]));
    expect(by["marts/customer_revenue"]!.group).toBe("finance");
    expect(by["marts/customer_revenue"]!.owners).toEqual(["finance@example.com"]);
    expect(by.stg_orders!.group).toBe("staging");
    expect(by.stg_orders!.owners).toEqual(["team:data"]);
    expect(by.stg_orders!.tags).toEqual({ staging: "" });
    expect(by.stg_orders!.description).toBe("Orders with typed amounts.");
    expect(by.customers!.group).toBe("shop");
    expect(by.stg_orders!.kinds).toEqual(["dbt", "duckdb"]);
    expect(by.stg_orders!.relation).toEqual({ database: "shop", schema: "main", name: "stg_orders" });
  });

  test("code version follows dbt's checksum: an edited model gets a new one", () => {
    const before = defs.assets.find((a) => a.key === "stg_orders")!.codeVersion;
    expect(before).toMatch(/^dbt:[0-9a-f]{16}$/);
    const m = fixture();
    const node = m.nodes["model.shop.stg_orders"] as { checksum: { checksum: string } };
    node.checksum.checksum = "0".repeat(64);
    const after = definitionsFromManifest(m).assets.find((a) => a.key === "stg_orders")!.codeVersion;
    expect(after).toBe(`dbt:${"0".repeat(16)}`);
    expect(after).not.toBe(before);
  });

  test("sources are external, upstream-only assets with their external location", () => {
    expect(defs.sources).toEqual([
      {
        key: "orders",
        uniqueId: "source.shop.dagx.orders",
        sourceName: "dagx",
        name: "orders",
        description: "Orders exported by the shop (a dagx TypeScript asset).",
        externalLocation: "../.dagx/data/orders.parquet",
      },
    ]);
  });

  test("tests become checks on their attached node: error → blocking, warn → warn", () => {
    const checks = defs.checks.map((c) => [c.asset, c.name, c.severity, c.blocking]);
    expect(checks).toContainEqual(["stg_orders", "unique_stg_orders_order_id", "error", true]);
    expect(checks).toContainEqual(["stg_orders", "accepted_values_stg_orders_status__paid__refunded__open", "warn", false]);
    expect(checks).toContainEqual(["marts/customer_revenue", "unique_customer_revenue_customer_id", "error", true]);
    expect(defs.checks).toHaveLength(6);
    expect(defs.checks.find((c) => c.name === "not_null_stg_orders_order_id")!.description).toBe("dbt test not_null on order_id");
    expect(defs.unattachedTests).toEqual([]);
  });

  test("a test on several assets without an attached node is left unmapped", () => {
    const m = fixture() as { nodes: Record<string, unknown> };
    m.nodes["test.shop.both"] = {
      unique_id: "test.shop.both",
      resource_type: "test",
      name: "both",
      config: { severity: "ERROR" },
      depends_on: { nodes: ["model.shop.stg_orders", "model.shop.stg_customers"] },
      attached_node: null,
    };
    expect(definitionsFromManifest(m as unknown as DbtManifest).unattachedTests).toEqual(["test.shop.both"]);
  });

  test("duplicate and invalid keys are definition errors naming the node and the fix", () => {
    const dup = fixture();
    (dup.nodes["model.shop.stg_customers"] as { config: Record<string, unknown> }).config.meta = { dagx: { key: "stg_orders" } };
    expect(() => definitionsFromManifest(dup)).toThrow(DefinitionError);
    expect(() => definitionsFromManifest(dup)).toThrow(/Duplicate asset key "stg_orders".*meta\.dagx\.key/);
    const bad = fixture();
    (bad.nodes["model.shop.stg_customers"] as { config: Record<string, unknown> }).config.meta = { dagx: { key: "../x" } };
    expect(() => definitionsFromManifest(bad)).toThrow(/Invalid asset key "\.\.\/x" for dbt model\.shop\.stg_customers/);
    expect(() => definitionsFromManifest({} as DbtManifest)).toThrow(/has no "nodes"/);
  });
});
