/** The work queue's pure decisions (core/queue.ts, core/queue-outputs.ts). */
import { describe, expect, test } from "bun:test";
import { defineIOManager } from "../../core/io-manager.ts";
import { postgresTable } from "../../core/postgres-table.ts";
import { afterAttempt, codeMismatch, queuedRunStatus } from "../../core/queue.ts";
import { localOutputProblem, sharedFormats } from "../../core/queue-outputs.ts";
import { s3Parquet } from "../../core/s3-parquet.ts";

const lake = s3Parquet({ bucket: "lake", prefix: "shop" });
const pg = postgresTable({ url: "postgres://u@h/db" });
const own = defineIOManager({ name: "ndjson", handleOutput: () => ({ location: "x", bytes: 0, dataVersion: "v" }) as never, loadInput: () => null as never });

describe("which outputs other workers can read", () => {
  test("s3Parquet and postgresTable, by name or inline, as the asset's or the config's default", () => {
    expect(localOutputProblem("a", "lake", undefined, { lake })).toBeNull();
    expect(localOutputProblem("a", null, "pg", { pg })).toBeNull();
    expect(localOutputProblem("a", lake, undefined, {})).toBeNull();
    expect(localOutputProblem("a", null, pg, {})).toBeNull();
  });
  test("the built-ins and a project's own manager are refused, with the asset, the manager and the fix", () => {
    expect(localOutputProblem("orders", null, undefined, {})).toContain(`asset "orders" stores its output with the IO manager "parquet"`);
    expect(localOutputProblem("orders", "json", undefined, {})).toContain(`"json"`);
    const own1 = localOutputProblem("orders", own, undefined, {})!;
    expect(own1).toContain(`"ndjson"`);
    expect(own1).toContain("s3Parquet({ … }) or postgresTable({ … })");
    expect(own1).toContain("DAGX_WORKERS_SHARED_STORAGE=1");
  });
  test("sharedFormats: the names state records for shared managers", () => {
    expect([...sharedFormats(pg, { lake, own }, [null, "lake", s3Parquet({ bucket: "bucket", prefix: "p", name: "other" })])].sort()).toEqual(["lake", "other", "postgres"]);
  });
});

describe("attempts, code versions, the run's end", () => {
  test("a failed attempt is retried while claims remain", () => {
    expect(afterAttempt(true, 3, 1)).toBe("success");
    expect(afterAttempt(false, 1, 2)).toBe("retry");
    expect(afterAttempt(false, 2, 2)).toBe("failed");
  });
  test("codeMismatch names the first asset whose version differs, or that this project lacks", () => {
    expect(codeMismatch({ a: "1", b: "2" }, (k) => ({ a: "1", b: "2" })[k] ?? null)).toBeNull();
    expect(codeMismatch({ a: "1", b: "2" }, (k) => ({ a: "1", b: "3" })[k] ?? null)).toEqual({ key: "b", recorded: "2", current: "3" });
    expect(codeMismatch({ gone: "1" }, () => null)).toEqual({ key: "gone", recorded: "1", current: null });
  });
  test("queuedRunStatus", () => {
    expect(queuedRunStatus([{ status: "success" }, { status: "success" }], false)).toBe("success");
    expect(queuedRunStatus([{ status: "success" }, { status: "skipped" }], false)).toBe("failed");
    expect(queuedRunStatus([{ status: "success" }], true)).toBe("canceled");
  });
});
