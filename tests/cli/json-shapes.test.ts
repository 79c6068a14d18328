/**
 * The JSON shapes of every reporting command are a public contract (README "JSON shapes"): this
 * test records the shape (keys and value kinds, not values) of each command's `--json` output on
 * one project and fails when a shape changes. After an intended change, refresh the file with
 * `DAGX_UPDATE_SHAPES=1 bun test tests/cli/json-shapes.test.ts` and review its diff.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runDagx, makeProject, removeProject } from "./helpers.ts";

const SHAPES_FILE = join(import.meta.dir, "../fixtures/json-shapes.json");

const PROJECT = {
  "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({ concurrency: 2 });\n`,
  "raw.asset.ts": `import { asset, daily, dynamicPartitions, notNull, schedule, sensor } from "dagx";
export const orders = asset({ group: "raw", owners: ["team:data"], kinds: ["duckdb"], tags: { domain: "sales" }, checks: [notNull("id")] }, (ctx) => ctx.sql\`select 1 as id, 2.5 as amount\`);
export const settings = asset(() => ({ currency: "EUR" }));
export const events = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-04" }) }, (ctx) => [{ day: ctx.partition.key, n: 1 }]);
export const files = asset({ partitions: dynamicPartitions("files") }, (ctx) => [{ file: ctx.partition.key }]);
export const summary = asset({ ins: { orders, events } }, (ctx, { orders }) => ctx.sql\`select count(*) as n from \${orders}\`);
export const nightly = schedule({ cron: "0 3 * * *", select: "orders+" });
export const watcher = sensor({ interval: "1h", select: "orders" }, () => ({ runRequests: [] }));
`,
  "vendor.asset.ts": `import { externalAsset } from "dagx";
export const vendor = externalAsset({ key: "vendor/feed", observe: () => ({ dataVersion: "v1", metadata: { rows: 3 } }) });
`,
};

type Shape = string | Shape[] | { [k: string]: Shape };

/** The kinds of a JSON value: objects by key (sorted), arrays by the union of their items' shapes. */
function shapeOf(v: unknown): Shape {
  if (v === null) return "null";
  if (Array.isArray(v)) {
    const seen = new Map<string, Shape>();
    for (const item of v) {
      const s = shapeOf(item);
      seen.set(JSON.stringify(s), s);
    }
    return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => s);
  }
  if (typeof v === "object") return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, shapeOf((v as Record<string, unknown>)[k])]));
  return typeof v;
}

let dir: string;
const shapes: Record<string, Shape> = {};

beforeAll(() => {
  dir = makeProject(PROJECT, "dagx-shapes-");
});
afterAll(() => removeProject(dir));

async function json(args: string[]): Promise<unknown> {
  const r = await runDagx(dir, [...args, "--json"]);
  return r.json();
}

describe("JSON shapes of the reporting commands", () => {
  test("list, materialize, observe, backfill, status, runs, logs, cancel, check, lineage, query, partitions, schedules, sensors, gc, daemon status", async () => {
    shapes.list = shapeOf(await json(["list"]));
    shapes["materialize --dry-run"] = shapeOf(await json(["materialize", "orders+", "settings", "--dry-run"]));
    shapes.materialize = shapeOf(await json(["materialize", "orders", "settings"]));
    shapes.observe = shapeOf(await json(["observe", "vendor/feed"]));
    shapes["partitions add"] = shapeOf(await json(["partitions", "add", "files", "a.csv"]));
    shapes["partitions list"] = shapeOf(await json(["partitions", "list", "files"]));
    const backfill = (await json(["backfill", "events+", "--partitions", "2024-01-01..2024-01-03"])) as { backfillId: string };
    shapes.backfill = shapeOf(backfill);
    shapes["backfill list"] = shapeOf(await json(["backfill", "list"]));
    shapes["backfill show"] = shapeOf(await json(["backfill", "show", backfill.backfillId]));
    shapes.status = shapeOf(await json(["status"]));
    shapes["status KEY"] = shapeOf(await json(["status", "events"]));
    shapes.runs = shapeOf(await json(["runs"]));
    shapes.logs = shapeOf(await json(["logs", "latest"]));
    shapes["cancel (finished run)"] = shapeOf(await json(["cancel", "latest"]));
    shapes.check = shapeOf(await json(["check", "orders"]));
    shapes.lineage = shapeOf(await json(["lineage", "orders+", "--format", "json"]));
    shapes.query = shapeOf(await json(["query", "select * from orders"]));
    shapes["schedules list"] = shapeOf(await json(["schedules", "list"]));
    shapes["sensors list"] = shapeOf(await json(["sensors", "list"]));
    shapes["gc --dry-run"] = shapeOf(await json(["gc", "--dry-run"]));
    shapes["daemon status"] = shapeOf(await json(["daemon", "status"]));
    shapes.error = shapeOf(await json(["list", "ordres"]));

    if (process.env.DAGX_UPDATE_SHAPES === "1") writeFileSync(SHAPES_FILE, `${JSON.stringify(shapes, null, 2)}\n`);
    expect(existsSync(SHAPES_FILE)).toBe(true);
    expect(shapes).toEqual(JSON.parse(readFileSync(SHAPES_FILE, "utf8")));
  });
});
