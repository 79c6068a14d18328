/**
 * runMaterialize() in-process on the memory store: which partitions a range selects for each
 * asset (every form of the grammar, by each asset's own granularity) and retries. The CLI journeys
 * (tests/cli/partitions.test.ts, run-failures.test.ts) keep what a user sees: steps printed,
 * exit codes, errors with the caret.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunOutcome } from "../../../io/run/index.ts";
import { type TestProject, testProjects } from "../../support/project.ts";
import { FLAKY_RETRY } from "../../support/projects.ts";

const projects = testProjects("dagx-materialize-io-");
afterAll(projects.cleanup);

/** The partitions a plan or run has for `key`, in order. */
const partitionsOf = (o: RunOutcome, key: string) => (o.runId === null ? o.plan.steps.filter((s) => s.key === key).map((s) => s.partitionKey) : o.steps.filter((s) => s.key === key).map((s) => s.partition));

describe("runMaterialize() partition selections", () => {
  let p: TestProject;
  const plan = (selection: string, partitionSelection: string, singlePartition = false) => p.materialize(selection, { dryRun: true, partitionSelection, singlePartition });

  test("one range applies to each asset by its own granularity; a range outside one definition is clipped to the one it fits", async () => {
    p = await projects.open({
      "sales.asset.ts": [
        `import { asset, daily, monthly, staticPartitions } from "dagx";`,
        `export const orders = asset({ partitions: daily({ start: "2024-01-01", end: "2024-07-01" }) }, (ctx) => ctx.sql\`select \${ctx.partition.key} as day, 1 as n\`);`,
        `export const invoices = asset({ partitions: monthly({ start: "2024-01", end: "2025-01" }) }, (ctx) => ctx.sql\`select \${ctx.partition.key} as month\`);`,
        `export const shops = asset({ partitions: staticPartitions(["eu", "us"]) }, (ctx) => [{ shop: ctx.partition.key }]);`,
        ``,
      ].join("\n"),
    });
    const both = await plan("orders, invoices", "2024-01..2024-03");
    const days = partitionsOf(both, "orders");
    expect([days.length, days[0], days.at(-1)]).toEqual([91, "2024-01-01", "2024-03-31"]);
    expect(partitionsOf(both, "invoices")).toEqual(["2024-01", "2024-02", "2024-03"]);
    const later = await plan("orders, invoices", "2024-06..2024-08");
    expect(partitionsOf(later, "orders").length).toBe(30);
    expect(partitionsOf(later, "invoices")).toEqual(["2024-06", "2024-07", "2024-08"]);
  });

  test("range forms: A..B, A...B, a prefix, lists, open ends, latest, one exact key", async () => {
    const forms: [string, string[]][] = [
      ["2024-01-30..2024-02-02", ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"]],
      ["2024-01-30...2024-02-01", ["2024-01-30", "2024-01-31", "2024-02-01"]],
      ["2024-02-27..2024-03", ["2024-02-27", "2024-02-28", "2024-02-29", ...Array.from({ length: 31 }, (_, i) => `2024-03-${String(i + 1).padStart(2, "0")}`)]],
      ["2024-01-05, 2024-01-01,2024-01-03..2024-01-04", ["2024-01-01", "2024-01-03", "2024-01-04", "2024-01-05"]],
      ["2024-06-28..", ["2024-06-28", "2024-06-29", "2024-06-30"]],
      ["..2024-01-02", ["2024-01-01", "2024-01-02"]],
      ["latest", ["2024-06-30"]],
      ["2024-06-29..latest", ["2024-06-29", "2024-06-30"]],
    ];
    for (const [range, want] of forms) expect([range, partitionsOf(await plan("orders", range), "orders")]).toEqual([range, want]);
    // --partition KEY: the key quoted for the grammar, exactly one partition
    expect(partitionsOf(await plan("orders", '"2024-02-29"', true), "orders")).toEqual(["2024-02-29"]);
    expect(partitionsOf(await plan("orders", "2024-02"), "orders").length).toBe(29);
    expect(partitionsOf(await plan("orders", "2024"), "orders").length).toBe(182);
    expect(partitionsOf(await plan("shops", "us,eu"), "shops")).toEqual(["eu", "us"]);
    expect(partitionsOf(await plan("shops", "*"), "shops")).toEqual(["eu", "us"]);
    expect(partitionsOf(await plan("invoices", "2024-11.."), "invoices")).toEqual(["2024-11", "2024-12"]);
  });
});

describe("runMaterialize() retries", () => {
  test("fails twice, then succeeds: two step_retry events, one step_success", async () => {
    const p = await projects.open(FLAKY_RETRY);
    const out = await p.materialize("*");
    expect(out.status).toBe("success");
    expect(out.steps.map((s) => [s.key, s.status, s.rows])).toEqual([["flaky", "success", 1]]);
    expect(readFileSync(join(p.dir, "attempts.txt"), "utf8")).toBe("3");
    const events = await p.store.getEvents(out.runId!);
    const retries = events.filter((e) => e.type === "step_retry");
    expect(retries.map((e) => e.payload.attempt)).toEqual([1, 2]);
    expect(String(retries[0]!.payload.error)).toContain("flaky attempt 1");
    expect(events.filter((e) => e.type === "step_failed").length).toBe(0);
    expect(events.filter((e) => e.type === "step_success").length).toBe(1);
  });

  test("exhausted: the step fails after maxRetries + 1 attempts", async () => {
    const p = await projects.open({ "never.asset.ts": `import { asset } from "dagx";\nexport const never = asset({ retry: { maxRetries: 2, delay: "5ms" } }, () => { throw new Error("always down"); });\n` });
    const out = await p.materialize("*");
    expect(out.status).toBe("failed");
    const events = await p.store.getEvents(out.runId!);
    expect(events.filter((e) => e.type === "step_retry").length).toBe(2);
    const failed = events.filter((e) => e.type === "step_failed");
    expect(failed.map((e) => e.payload.attempts)).toEqual([3]);
  });
});
