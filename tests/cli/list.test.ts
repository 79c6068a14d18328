import { afterAll, describe, expect, test } from "bun:test";
import { runDagx, makeProject, ok, removeProject } from "./helpers.ts";

const dir = makeProject(
  {
    ".dagx/.keep": "",
    "a.asset.ts": `import { asset, daily, dynamicPartitions, monthly, multiPartitions, staticPartitions } from "dagx";
export const plain = asset(() => 1);
export const events = asset({ partitions: daily({ start: "2024-01-01" }) }, () => [{ x: 1 }]);
export const by_month = asset({ partitions: monthly({ start: "2024-01", timezone: "Europe/Berlin" }) }, () => [{ x: 1 }]);
export const regions = asset({ partitions: staticPartitions(["eu", "us", "apac"]) }, () => [{ x: 1 }]);
export const customers = asset({ partitions: dynamicPartitions("customers") }, () => [{ x: 1 }]);
export const grid = asset({ partitions: multiPartitions({ date: daily({ start: "2024-01-01" }), region: staticPartitions(["eu", "us"]) }) }, () => [{ x: 1 }]);
`,
  },
  "dagx-list-[=]*",
);
afterAll(() => removeProject(dir));

const EXPECTED: Record<string, string | null> = {
  plain: null,
  events: "daily(start=2024-01-01)",
  by_month: "monthly(start=2024-01-01, timezone=Europe/Berlin)",
  regions: "staticPartitions(eu, us, apac)",
  customers: "dynamicPartitions(customers)",
  grid: "multiPartitions(date: daily(start=2024-01-01), region: staticPartitions(eu, us))",
};

describe("dagx list partitions", () => {
  test("list --json gives each asset's partition definition (null when unpartitioned) and keeps partitioned", async () => {
    const rows = ok(await runDagx(dir, ["list", "--json"])).json<{ key: string; partitioned: boolean; partitions: string | null }[]>();
    expect(Object.fromEntries(rows.map((r) => [r.key, r.partitions]))).toEqual(EXPECTED);
    expect(Object.fromEntries(rows.map((r) => [r.key, r.partitioned]))).toEqual(Object.fromEntries(Object.entries(EXPECTED).map(([k, v]) => [k, v !== null])));
  });

  test("the list table has a PARTITIONS column with the definition", async () => {
    const r = ok(await runDagx(dir, ["list"]));
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/KEY\s+GROUP\s+DEPS\s+PARTITIONS\s+KINDS\s+OWNERS/);
    for (const [key, label] of Object.entries(EXPECTED)) {
      const line = text.split("\n").find((l) => l.startsWith(`${key} `));
      expect(line).toContain(label ?? "—");
    }
  });
});
