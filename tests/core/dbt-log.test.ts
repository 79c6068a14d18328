// core/dbt/log.ts: lines of dbt's JSON log (shapes as dbt-core 1.11 writes them) → node results.
import { expect, test } from "bun:test";
import { parseDbtLogLine } from "../../core/dbt/log.ts";

const line = (name: string, data: Record<string, unknown>, msg = "") => JSON.stringify({ info: { name, level: "info", msg }, data });

test("a model's result takes node_info's status, not the adapter's OK", () => {
  const r = parseDbtLogLine(
    line("LogModelResult", {
      status: "OK",
      execution_time: 0.07,
      node_info: { unique_id: "model.shop.stg_orders", node_status: "success", resource_type: "model" },
    }),
  );
  expect(r).toEqual({ uniqueId: "model.shop.stg_orders", resourceType: "model", status: "success", executionTime: 0.07 });
});

test("a failing test keeps its failures, attached node and message without colours", () => {
  const r = parseDbtLogLine(
    line(
      "LogTestResult",
      {
        status: "fail",
        num_failures: 2,
        attached_node: "model.shop.stg_orders",
        node_info: { unique_id: "test.shop.unique_x.1", node_status: "fail", resource_type: "test" },
      },
      "1 of 1 FAIL 2 unique_x \u001b[31mFAIL 2\u001b[0m",
    ),
  );
  expect(r).toMatchObject({ status: "fail", failures: 2, attachedNode: "model.shop.stg_orders", message: "1 of 1 FAIL 2 unique_x FAIL 2" });
});

test("other events, plain text and broken JSON are not results", () => {
  expect(parseDbtLogLine(line("MainReportVersion", { version: "1.11" }))).toBeUndefined();
  expect(parseDbtLogLine("Traceback (most recent call last):")).toBeUndefined();
  expect(parseDbtLogLine("{not json")).toBeUndefined();
  expect(parseDbtLogLine(line("LogModelResult", { node_info: {} }))).toBeUndefined();
});
