/** The pure parts of the detail pages (web/detail, web/components): metric series, Gantt rows, health-bar shading, event levels. */
import { describe, expect, test } from "bun:test";
import type { ApiEvent, ApiMaterialization } from "../../core/ui-api.ts";
import { seriesOverTime, seriesPerPartition } from "../../web/detail/metrics.ts";
import { aggregateByAsset, Gantt, ganttRows, MAX_ROWS } from "../../web/components/gantt.ts";
import { bucketGradient, bucketTitle } from "../../web/components/health-bar.ts";
import { eventLevel } from "../../web/components/event-log.ts";

const mat = (at: string, partition: string | null, extra: Partial<ApiMaterialization> = {}): ApiMaterialization => ({
  runId: "r", at, partition, rows: 10, bytes: 100, durationMs: null, dataVersion: "d", codeVersion: "c", path: null, schema: null, schemaChange: null, metadata: null, ...extra,
});

describe("metric series", () => {
  test("seriesOverTime() orders oldest first, takes duration from dagx/durationMs and keeps numeric user keys only", () => {
    const s = seriesOverTime([
      mat("2026-01-02T00:00:00Z", null, { rows: 20, metadata: { "dagx/durationMs": 7, score: 2, label: "x" } }),
      mat("2026-01-01T00:00:00Z", null, { rows: 10, durationMs: 5, metadata: { score: "1.5" } }),
    ]);
    expect(s.map((x) => x.name)).toEqual(["rows", "bytes", "durationMs", "score"]);
    expect(s[0]!.ys).toEqual([10, 20]);
    expect(s[2]!.ys).toEqual([5, 7]);
    expect(s[3]!.ys).toEqual([1.5, 2]);
    expect(s[0]!.xs[0]).toBe(Date.parse("2026-01-01T00:00:00Z") / 1000);
  });

  test("seriesPerPartition() keeps each partition's latest value, partitions in key order", () => {
    const s = seriesPerPartition([
      mat("2026-01-03T00:00:00Z", "b", { rows: 3 }),
      mat("2026-01-01T00:00:00Z", "a", { rows: 1 }),
      mat("2026-01-02T00:00:00Z", "b", { rows: 2 }),
    ]);
    const rows = s.find((x) => x.name === "rows")!;
    expect(rows.labels).toEqual(["a", "b"]);
    expect(rows.ys).toEqual([1, 3]);
  });
});

let seq = 0;
const ev = (type: string, assetKey: string | null, at: number, partitionKey: string | null = null, payload: Record<string, unknown> = {}): ApiEvent => ({
  runId: "r", seq: ++seq, at: new Date(at).toISOString(), type, assetKey, partitionKey, payload,
});

describe("Gantt rows", () => {
  test("ganttRows() makes one bar per asset/partition from start to result, open while running", () => {
    const rows = ganttRows([
      ev("run_started", null, 0),
      ev("step_started", "a", 10),
      ev("step_started", "b", 20, "p1"),
      ev("step_success", "a", 50),
      ev("step_failed", "b", 60, "p1", { error: "x" }),
      ev("step_started", "c", 70),
      ev("step_skipped", "d", 80, null, { reason: "upstream failed" }),
    ]);
    expect(rows.map((r) => [r.key, r.partition, r.status, r.start, r.end])).toEqual([
      ["a", null, "success", 10, 50],
      ["b", "p1", "failed", 20, 60],
      ["c", null, "running", 70, null],
      ["d", null, "skipped", 80, 80],
    ]);
  });

  test("aggregateByAsset() merges partitions: first start, last end, counts, worst result", () => {
    const rows = ganttRows([ev("step_started", "a", 0, "1"), ev("step_started", "a", 5, "2"), ev("step_success", "a", 10, "1"), ev("step_failed", "a", 30, "2")]);
    const [a] = aggregateByAsset(rows);
    expect(a).toMatchObject({ key: "a", steps: 2, start: 0, end: 30, status: "failed", counts: { success: 1, failed: 1 } });
  });
});

test("Gantt() draws one row per asset above MAX_ROWS steps, and says so", () => {
  const events: ApiEvent[] = [];
  for (let i = 0; i < MAX_ROWS + 50; i++) {
    const key = i % 2 ? "a" : "b";
    events.push(ev("step_started", key, i, `p${i}`), ev("step_success", key, i + 1, `p${i}`));
  }
  const vnode = Gantt({ events, now: 1000, runStart: new Date(0).toISOString(), runEnd: new Date(1000).toISOString() }) as unknown as { props: Record<string, unknown> };
  expect(vnode.props["data-rows"]).toBe(2);
  expect(vnode.props["data-steps"]).toBe(MAX_ROWS + 50);
});

describe("health bar", () => {
  test("bucketGradient() bands fresh, stale, failed, missing by share; one colour when uniform", () => {
    const b = { first: "a", last: "d", size: 4, materialized: 2, stale: 1, failed: 1, missing: 1 };
    expect(bucketGradient(b)).toBe("linear-gradient(to top, var(--fresh) 0.00% 25.00%, var(--stale) 25.00% 50.00%, var(--failed) 50.00% 75.00%, var(--line) 75.00% 100.00%)");
    expect(bucketGradient({ ...b, materialized: 4, stale: 0, failed: 0, missing: 0 })).toBe("var(--fresh)");
    // a partition that failed after an earlier success counts as materialized and failed: it shows failed
    expect(bucketGradient({ first: "x", last: "x", size: 1, materialized: 1, stale: 0, failed: 1, missing: 0 })).toBe("var(--failed)");
  });

  test("bucketTitle() names one partition, or the range and counts", () => {
    expect(bucketTitle({ first: "2024-01-01", last: "2024-01-01", size: 1, materialized: 0, stale: 0, failed: 1, missing: 0 })).toBe("2024-01-01: failed");
    expect(bucketTitle({ first: "a", last: "z", size: 26, materialized: 20, stale: 2, failed: 1, missing: 5 })).toBe("a .. z (26 partitions)\nmaterialized 20 (stale 2), failed 1, missing 5");
  });
});

test("eventLevel() reads a log's level and ranks failures as errors", () => {
  expect(eventLevel(ev("log", "a", 0, null, { level: "warn", message: "m" }))).toBe("warn");
  expect(eventLevel(ev("log", "a", 0, null, { level: "debug", message: "m" }))).toBe("debug");
  expect(eventLevel(ev("step_failed", "a", 0))).toBe("error");
  expect(eventLevel(ev("step_success", "a", 0))).toBe("info");
});
