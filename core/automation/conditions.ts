/**
 * Declarative automation conditions, set per asset (`automation: eager()`): plain branded data
 * evaluated by `evaluateAutomation()` in the daemon.
 */
import {
  AUTOMATION_CONDITION,
  type AutomationCondition,
  DEFAULT_TIMEZONE,
  type EagerCondition,
  type OnCronCondition,
  type OnMissingCondition,
  type OnOverdueCondition,
} from "./types.ts";

/**
 * Materialize the asset after any upstream is updated, once no upstream is missing or in
 * progress. A partitioned asset materializes its latest partition. Root assets never fire.
 *
 * @example
 * export const daily_revenue = asset({ ins: { orders }, automation: eager() }, (ctx, { orders }) =>
 *   ctx.sql`select order_date as day, sum(amount) as revenue from ${orders} group by 1`);
 */
export function eager(): EagerCondition {
  return { [AUTOMATION_CONDITION]: true, kind: "eager" };
}

/**
 * Materialize the asset once per cron tick, as soon as every upstream has been updated since
 * that tick (it waits for late upstreams). A partitioned asset materializes its latest partition.
 *
 * @example
 * export const weekly_report = asset(
 *   { ins: { daily_revenue }, automation: onCron("0 7 * * 1", { timezone: "Europe/Berlin" }) },
 *   (ctx, { daily_revenue }) => ctx.sql`select * from ${daily_revenue}`,
 * );
 */
export function onCron(cron: string, options: { /** @default "UTC" */ timezone?: string } = {}): OnCronCondition {
  if (typeof cron !== "string") throw new TypeError('onCron() needs a cron expression: onCron("0 7 * * *")');
  return { [AUTOMATION_CONDITION]: true, kind: "onCron", cron, timezone: options.timezone ?? DEFAULT_TIMEZONE };
}

/**
 * Materialize what is missing: the asset when it was never materialized, or each missing
 * partition (failed partitions are not missing; a backfill retries them). Never while the asset
 * is in progress.
 *
 * @example
 * export const events = asset(
 *   { partitions: daily({ start: "2024-01-01" }), automation: onMissing() },
 *   (ctx) => ctx.sql`select * from read_json(${ctx.path(`raw/${ctx.partition.key}.json`)})`,
 * );
 */
export function onMissing(): OnMissingCondition {
  return { [AUTOMATION_CONDITION]: true, kind: "onMissing" };
}

/**
 * Materialize the asset when its `freshness` policy says it is overdue (the asset needs one),
 * once no upstream is missing or in progress; not again until it has been materialized since.
 * A partitioned asset materializes its latest partition.
 *
 * @example
 * export const fx_rates = asset(
 *   { freshness: { maxLag: "6h" }, automation: onOverdue() },
 *   (ctx) => ctx.sql`select * from read_csv(${ctx.path("data/fx.csv")})`,
 * );
 */
export function onOverdue(): OnOverdueCondition {
  return { [AUTOMATION_CONDITION]: true, kind: "onOverdue" };
}

/** True when `value` is an automation condition made by `eager()`, `onCron()` or `onMissing()`. */
export function isAutomationCondition(value: unknown): value is AutomationCondition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[AUTOMATION_CONDITION] === true;
}
