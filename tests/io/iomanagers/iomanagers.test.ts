/** The IO manager contract, run by both built-ins and by a test-only manager written with the public API. */
import { describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { jsonIOManager, parquetIOManager } from "../../../io/iomanagers/index.ts";
import { createDuckdbTable } from "../../../io/iomanagers/duckdb-table.ts";
import { parseLocation } from "../../../io/iomanagers/_duckdb-table-names.ts";
import { createHarness, type Harness, testIOManager } from "./contract.ts";
import { ndjsonIOManager } from "./ndjson-io-manager.ts";

const rows = [
  { id: 1, name: "ana", paid: true, amount: 1.5, at: new Date("2024-01-01T10:00:00Z"), note: null },
  { id: 2, name: "bo", paid: false, amount: -2, at: new Date("2024-01-02T11:30:00Z"), note: "late" },
];
const otherRows = [{ id: 3, name: "cy", paid: true, amount: 0, at: new Date("2024-02-01T00:00:00Z"), note: null }];

testIOManager({
  name: "parquet (built-in)",
  create: () => parquetIOManager,
  reads: "table",
  sample: rows,
  expected: rows,
  other: otherRows,
  otherExpected: otherRows,
  failing: (h) => h.sql`select error('disk on fire') as x`,
  pathOf: (h, location) => join(h.root, ".dagx/data", location),
});

const settings = { currency: "EUR", rates: [1, 2.5], nested: { ok: true, none: null } };

testIOManager({
  name: "json (built-in)",
  create: () => jsonIOManager,
  reads: "value",
  sample: settings,
  expected: settings,
  other: [1, "two", false],
  otherExpected: [1, "two", false],
  failing: () => ({
    get broken(): never {
      throw new Error("cannot read");
    },
  }),
  pathOf: (h, location) => join(h.root, ".dagx/data", location),
});

const plain = rows.map(({ at: _at, ...r }) => r);
const otherPlain = otherRows.map(({ at: _at, ...r }) => r);

testIOManager({
  name: "ndjson (test-only, public API)",
  create: (h) => ndjsonIOManager(h.dir),
  reads: "table",
  sample: plain,
  expected: plain,
  other: otherPlain,
  otherExpected: otherPlain,
  failing: (h) => h.sql`select error('disk on fire') as x`,
  pathOf: (h, location) => join(h.dir, location),
});

/** Does the warehouse of a duckdbTable location hold its table? (read from a short read-only attachment) */
async function warehouseHas(h: Harness, location: string): Promise<boolean> {
  const where = parseLocation(location)!;
  const conn = await h.io.conn();
  await conn.run(`ATTACH '${resolve(h.root, where.file).replaceAll("'", "''")}' AS chk (READ_ONLY)`);
  try {
    const r = await conn.runAndReadAll("SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE database_name = 'chk' AND schema_name = $1 AND table_name = $2", [where.schema, where.table]);
    return Number(r.getRowObjectsJS()[0]!.n) > 0;
  } finally {
    await conn.run("DETACH chk");
  }
}

testIOManager({
  name: "duckdbTable (built-in)",
  create: (h) => createDuckdbTable({ path: join(h.dir, "warehouse.duckdb"), lockTimeoutMs: 5000 }),
  reads: "table",
  sample: rows,
  expected: rows,
  other: otherRows,
  otherExpected: otherRows,
  failing: (h) => h.sql`select error('disk on fire') as x`,
  pathOf: (h) => join(h.dir, "warehouse.duckdb"),
  exists: (h, location) => warehouseHas(h, location),
});

describe("duckdbTable", () => {
  test("handleOutput() refuses a warehouse inside .dagx (dagx gc cleans files there it did not record)", async () => {
    const h = await createHarness();
    try {
      const m = createDuckdbTable({ path: ".dagx/warehouse.duckdb" });
      await expect(h.write(m, "orders", "", rows)).rejects.toThrow(/Cannot use warehouse "\.dagx\/warehouse\.duckdb": it is inside .*\.dagx, which dagx manages/);
    } finally {
      await h.close();
    }
  });
});
