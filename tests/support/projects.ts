/**
 * Projects (asset files as text) that a CLI journey and an io test both use, so each behaviour's
 * fixture is written once.
 */

// Every step appends "<asset> <partition(s)> start|end" to exec.log; raw naps NAP ms, and from the
// partition HOLD_FROM on waits until canceled (so a test stops a backfill at a known point, however
// slow the machine), stopping early when ctx.signal aborts.
export const BACKFILL_PIPELINE = {
  "pipeline.asset.ts": [
    `import { appendFileSync } from "node:fs";`,
    `import { asset, daily, monthly } from "dagx";`,
    `const DAYS = { start: "2024-01-01", end: "2024-02-01" };`,
    `const log = (ctx: any, name: string, what: string) => appendFileSync(ctx.path("exec.log"), name + " " + ctx.partition.keys.join(",") + " " + what + "\\n");`,
    `const nap = (ms: number, signal: AbortSignal) => new Promise<void>((resolve, reject) => {`,
    `  const t = setTimeout(resolve, ms);`,
    `  signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped")); }, { once: true });`,
    `});`,
    `export const raw = asset({ partitions: daily(DAYS) }, async (ctx) => {`,
    `  log(ctx, "raw", "start");`,
    `  await nap(Number(process.env.NAP ?? 0), ctx.signal);`,
    `  if (process.env.HOLD_FROM && ctx.partition.key >= process.env.HOLD_FROM) await nap(3_600_000, ctx.signal);`,
    `  if ((process.env.FAIL_ON ?? "").split(",").includes(ctx.partition.key)) throw new Error("raw broke on " + ctx.partition.key);`,
    `  log(ctx, "raw", "end");`,
    `  return [{ day: ctx.partition.key, amount: 10 }];`,
    `});`,
    `export const agg = asset({ ins: { raw }, partitions: daily(DAYS) }, (ctx, { raw }) => {`,
    `  log(ctx, "agg", "start");`,
    `  return ctx.sql\`select count(*)::INT as n, sum(amount)::INT as total from \${raw}\`;`,
    `});`,
    `export const per_month = asset({ ins: { raw }, partitions: monthly({ start: "2024-01", end: "2024-02" }) }, (ctx, { raw }) => {`,
    `  log(ctx, "per_month", "start");`,
    `  return ctx.sql\`select count(distinct day)::INT as days from \${raw}\`;`,
    `});`,
    ``,
  ].join("\n"),
  "single.asset.ts": [
    `import { appendFileSync } from "node:fs";`,
    `import { asset, daily } from "dagx";`,
    `import { raw } from "./pipeline.asset";`,
    `export const whole = asset({ ins: { raw }, partitions: daily({ start: "2024-01-01", end: "2024-02-01" }), backfill: "single-run" }, (ctx, { raw }) => {`,
    `  appendFileSync(ctx.path("single.log"), JSON.stringify({ key: ctx.partition.key, keys: ctx.partition.keys, start: ctx.partition.start, end: ctx.partition.end, files: raw.paths.length }) + "\\n");`,
    `  return ctx.sql\`select day as date, sum(amount)::INT as total, count(*)::INT as n from \${raw} group by day\`;`,
    `});`,
    `export const whole_rows = asset({ partitions: daily({ start: "2024-01-01", end: "2024-02-01" }), backfill: "single-run" },`,
    `  (ctx) => ctx.partition.keys.map((k: string, i: number) => ({ date: k, i })));`,
    `export const no_date = asset({ partitions: daily({ start: "2024-01-01", end: "2024-02-01" }), backfill: "single-run" }, () => [{ x: 1 }]);`,
    ``,
  ].join("\n"),
};

/** orders has a blocking unique("id") check that fails while the file "dup" exists; revenue reads orders, report reads revenue. */
export const BLOCKING_CHECK_PIPELINE = {
  "pipeline.asset.ts": [
    `import { existsSync } from "node:fs";`,
    `import { asset, unique } from "dagx";`,
    `export const orders = asset({ checks: [unique("id", { blocking: true })] }, (ctx) => existsSync(ctx.path("dup")) ? [{ id: 1 }, { id: 1 }] : [{ id: 1 }, { id: 2 }]);`,
    `export const revenue = asset({ ins: { orders } }, (ctx, { orders }) => ctx.sql\`select count(*) as n from \${orders}\`);`,
    `export const report = asset({ ins: { revenue } }, (ctx, { revenue }) => ctx.sql\`select * from \${revenue}\`);`,
    ``,
  ].join("\n"),
  dup: "",
};

/** orders (eu, us) has a blocking unique("id") check that fails for us; revenue reads it partition by partition, total reads all of it. */
export const PARTITION_BLOCKING_PIPELINE = {
  "pipeline.asset.ts": [
    `import { asset, staticPartitions, unique } from "dagx";`,
    `export const orders = asset({ partitions: staticPartitions(["eu", "us"]), checks: [unique("id", { blocking: true })] }, (ctx) => ctx.partition.key === "us" ? [{ id: 1 }, { id: 1 }] : [{ id: 1 }, { id: 2 }]);`,
    `export const revenue = asset({ partitions: staticPartitions(["eu", "us"]), ins: { orders } }, (ctx, { orders }) => ctx.sql\`select count(*) as n from \${orders}\`);`,
    `export const total = asset({ ins: { orders } }, (ctx, { orders }) => ctx.sql\`select count(*) as n from \${orders}\`);`,
    ``,
  ].join("\n"),
};

/** flaky fails its first two attempts (counted in attempts.txt), then succeeds; 3 retries, 10 ms apart at first. */
export const FLAKY_RETRY = {
  "flaky.asset.ts": [
    `import { asset } from "dagx";`,
    `import { existsSync, readFileSync, writeFileSync } from "node:fs";`,
    `export const flaky = asset({ retry: { maxRetries: 3, delay: "10ms", jitter: false } }, (ctx) => {`,
    `  const f = ctx.path("attempts.txt");`,
    `  const n = (existsSync(f) ? Number(readFileSync(f, "utf8")) : 0) + 1;`,
    `  writeFileSync(f, String(n));`,
    `  if (n < 3) throw new Error("flaky attempt " + n);`,
    `  return [{ attempt: n }];`,
    `});`,
    ``,
  ].join("\n"),
};
