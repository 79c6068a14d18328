/**
 * The project the detail-page tests (and scripts/ui-screenshots-detail.ts) run against: a temp copy
 * of examples/shop plus assets of its own — one that takes ~1.5 s (a run to watch live), one that
 * sleeps until canceled, a small daily asset (single-partition buckets, a backfill), an hourly one
 * since 2000 (~230,000 partitions: the bar stays a couple of hundred elements), a schedule and a sensor.
 */
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REPO = join(import.meta.dir, "../../..");

export const DETAIL_ASSETS = `import { existsSync } from "node:fs";
import { asset, daily, hourly, rowCount, schedule, sensor } from "dagx";

/** Takes ~1.5 s, so a page can see it running, then finished. */
export const digest = asset({ group: "ui", description: "A slow digest", checks: [rowCount({ min: 1 })] }, async (ctx) => {
  ctx.log.info("computing the digest");
  await Bun.sleep(1500);
  ctx.log.warn("score 42 is below target");
  return ctx.output([{ n: 1 }], { metadata: { score: 42, label: "<b>not html</b>" } });
});

/** Sleeps until its run is canceled (or 60 s). */
export const sleeper = asset({ group: "ui" }, async (ctx) => {
  for (let i = 0; i < 600 && !ctx.signal.aborted; i++) await Bun.sleep(100);
  if (ctx.signal.aborted) throw new Error("canceled");
  return [{ n: 1 }];
});

/** While a file "fail-09" is in the project folder, partition 2024-01-09 fails (a failed backfill to resume). */
export const small_daily = asset({ group: "ui", partitions: daily({ start: "2024-01-01", end: "2024-01-11" }) }, (ctx) => {
  if (ctx.partition.key === "2024-01-09" && existsSync(ctx.path("fail-09"))) throw new Error("the export of 2024-01-09 is empty");
  const day = Number(ctx.partition.key.slice(8));
  return ctx.output([{ day: ctx.partition.key, n: day }], { metadata: { widgets: 3 + (day % 4), share: Math.round(Math.random() * 100) / 100 } });
});

export const big_hourly = asset({ group: "ui", partitions: hourly({ start: "2000-01-01-00:00" }) }, (ctx) => [{ hour: ctx.partition.key }]);

/** Gains a column while a file "wide" is in the project folder (a schema change). */
export const evolving = asset({ group: "ui" }, (ctx) => (existsSync(ctx.path("wide")) ? [{ id: 1, extra: "x" }] : [{ id: 1 }]));

export const nightly = schedule({ cron: "0 3 * * *", select: "small_daily", partitions: "latest" });
export const watcher = sensor({ interval: "30s", select: "digest" }, () => ({ skipReason: "nothing new" }));
`;

/** Create the project in a new temp folder and return its path (the caller removes it). */
export function createDetailProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "dagx-ui-pages-"));
  cpSync(join(REPO, "examples/shop"), dir, { recursive: true, filter: (src) => !src.includes(".dagx") });
  writeFileSync(join(dir, "assets/ui.asset.ts"), DETAIL_ASSETS);
  return dir;
}
