// examples/csv-exports' csvFiles() — a user's IO manager, written with the public API only — runs the
// same IO manager contract as the built-ins (tests/io/iomanagers/contract.ts).
import { join } from "node:path";
import { csvFiles } from "../../../examples/csv-exports/csv-files.ts";
import type { IOManager } from "../../../core/io-manager.ts";
import { testIOManager } from "./contract.ts";

const rows = [
  { id: 1, name: "ana, the first", paid: true, amount: 1.5, at: new Date("2024-01-01T10:00:00Z"), note: null },
  { id: 2, name: 'bo "b"', paid: false, amount: -2, at: new Date("2024-01-02T11:30:00Z"), note: "" },
];
const otherRows = [{ id: 3, name: "cy", paid: true, amount: 0.25, at: new Date("2024-02-01T00:00:00Z"), note: "multi\nline" }];

testIOManager({
  name: "csvFiles (examples/csv-exports, public API)",
  // the example imports "dagx", which tsc types from the generated declarations (io/project/dagx.d.ts): the same
  // interface declared twice, one brand symbol each, so the two types differ only in name
  create: () => csvFiles() as unknown as IOManager,
  reads: "table",
  sample: rows,
  expected: rows,
  other: otherRows,
  otherExpected: otherRows,
  failing: (h) => h.sql`select error('disk on fire') as x`,
  pathOf: (h, location) => join(h.root, ".dagx/data", location),
});
