/**
 * `MaterializationStore` contract, check result part: recordCheckResults / latestCheckResults, and
 * wipe() forgetting them. Registered by `testMaterializationStore` (materializations.contract.ts).
 */
import { expect, test } from "bun:test";
import type { CheckResult } from "../../../core/types.ts";
import type { MaterializationStoreFixture } from "./materializations.contract.ts";

/** A check result with overridable fields. */
export function makeCheckResult(assetKey: string, checkName: string, patch: Partial<CheckResult> = {}): CheckResult {
  return {
    runId: "r1", assetKey, partitionKey: "", checkName, at: 2000, passed: true, severity: "error", blocking: false,
    description: null, metadata: { rows: 3, failing: 0 }, sample: null, error: null, ...patch,
  };
}

/** Register the check-result tests; `fresh` returns a new empty store closed after the test. */
export function checkContractTests(fresh: () => Promise<MaterializationStoreFixture>): void {
  test("recordCheckResults() then latestCheckResults() round-trips every field, by asset, partition, check", async () => {
    const store = await fresh();
    const failed = makeCheckResult("orders", "unique(id)", {
      passed: false, blocking: true, description: "ids are unique", severity: "warn",
      metadata: { rows: 4, failing: 1, nested: { list: [1, "x", null] } }, sample: [{ id: 1, count: 2 }], error: null,
    });
    const errored = makeCheckResult("orders", "custom", { passed: false, error: "boom (at a.asset.ts:3:9)", metadata: {} });
    const other = makeCheckResult("a/b", "notNull(x)", { partitionKey: "2024-01-01" });
    await store.recordCheckResults([failed, errored, other]);
    expect(await store.latestCheckResults()).toEqual([other, errored, failed]);
    expect(await store.latestCheckResults(["orders", "zz"])).toEqual([errored, failed]);
    expect(await store.latestCheckResults([])).toEqual([]);
    await store.recordCheckResults([]);
  });

  test("latestCheckResults({ blockingFailures }) keeps only the latest results that failed, are blocking and at error severity", async () => {
    const store = await fresh();
    const blocking = makeCheckResult("a", "c", { passed: false, blocking: true, partitionKey: "p1" });
    await store.recordCheckResults([
      blocking,
      makeCheckResult("a", "c", { passed: true, blocking: true }),
      makeCheckResult("a", "warn", { passed: false, blocking: true, severity: "warn" }),
      makeCheckResult("a", "loose", { passed: false, blocking: false }),
      makeCheckResult("b", "c", { passed: false, blocking: true, at: 1 }),
      makeCheckResult("b", "c", { passed: true, blocking: true, at: 2 }),
    ]);
    expect(await store.latestCheckResults(["a", "b"], { blockingFailures: true })).toEqual([blocking]);
    expect(await store.latestCheckResults(undefined, { blockingFailures: true })).toEqual([blocking]);
  });

  test("latestCheckResults() keeps the newest per asset, partition and check; a tie goes to the later write", async () => {
    const store = await fresh();
    await store.recordCheckResults([makeCheckResult("a", "c", { at: 1, runId: "old" }), makeCheckResult("a", "c", { at: 5, runId: "new" })]);
    await store.recordCheckResults([makeCheckResult("a", "c", { at: 3, runId: "late-but-older" })]);
    await store.recordCheckResults([makeCheckResult("a", "c", { partitionKey: "p1", runId: "p" }), makeCheckResult("a", "d", { runId: "d1" })]);
    await store.recordCheckResults([makeCheckResult("a", "d", { runId: "d2" })]);
    expect((await store.latestCheckResults(["a"])).map((r) => `${r.partitionKey}/${r.checkName}=${r.runId}`)).toEqual(["/c=new", "/d=d2", "p1/c=p"]);
  });

  test("recordCheckResults() handles 1,000 partitions in one call", async () => {
    const store = await fresh();
    const results = Array.from({ length: 1000 }, (_, i) => makeCheckResult("big", "rowCount(min=1)", { partitionKey: `p${String(i).padStart(4, "0")}`, passed: i % 7 !== 0 }));
    await store.recordCheckResults(results);
    expect(await store.latestCheckResults(["big"])).toEqual(results);
  });

  test("recordCheckResults() is all or nothing when one result cannot be stored", async () => {
    const store = await fresh();
    const bad = makeCheckResult("b", "c", { metadata: { n: 1n } as unknown as Record<string, unknown> });
    await expect(store.recordCheckResults([makeCheckResult("a", "c"), bad])).rejects.toThrow();
    expect(await store.latestCheckResults()).toEqual([]);
  });

  test("wipe() forgets the latest check results of the wiped assets and partitions", async () => {
    const store = await fresh();
    await store.recordCheckResults([makeCheckResult("a", "c", { partitionKey: "p1" }), makeCheckResult("a", "c", { partitionKey: "p2" }), makeCheckResult("b", "c")]);
    await store.wipe(["a"], ["p1"]);
    expect((await store.latestCheckResults()).map((r) => `${r.assetKey}:${r.partitionKey}`)).toEqual(["a:p2", "b:"]);
    await store.wipe(["a", "b"]);
    expect(await store.latestCheckResults()).toEqual([]);
  });
}
