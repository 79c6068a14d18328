/**
 * Type tests of multiAsset(): checked by `tsc --noEmit` (not run). Each out is typed from what the
 * function returns for it; downstream assets read an out like any asset.
 */
import { asset, checkSpec, daily, type InputOf, multiAsset, type OutputOf, type TableInput } from "dagx";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_ok: T) => {};

const raw = asset(() => [{ id: 1, customer: "ana", amount: 3 }]);

export const shop = multiAsset({ ins: { raw }, outs: { customers: { group: "crm" }, totals: { io: "json" } } }, async (ctx, { raw }) => {
  const rows = await raw.rows();
  expectType<Equal<(typeof rows)[number]["amount"], number>>(true);
  expectType<Equal<typeof ctx.selectedOutputs, readonly string[]>>(true);
  return { customers: ctx.sql<{ customer: string }>`select distinct customer from ${raw}`, totals: { sum: 3 } };
});

expectType<Equal<InputOf<OutputOf<typeof shop.outs.customers>>, TableInput<{ customer: string }>>>(true);
expectType<Equal<InputOf<OutputOf<typeof shop.outs.totals>>, { sum: number }>>(true);

export const report = asset({ ins: { customers: shop.outs.customers, totals: shop.outs.totals } }, async (_ctx, { customers, totals }) => {
  const names = await customers.rows();
  expectType<Equal<(typeof names)[number]["customer"], string>>(true);
  return { n: names.length, sum: totals.sum };
});

// partitioned: ctx.partition is typed as for an asset
export const days = multiAsset({ partitions: daily({ start: "2024-01-01" }), outs: { a: {} } }, (ctx) => {
  expectType<Equal<typeof ctx.partition.key, string>>(true);
  return { a: [{ day: ctx.partition.key }] };
});

// @ts-expect-error — an out cannot be named that the step does not declare
shop.outs.nope;
// @ts-expect-error — `outs` is required
multiAsset({}, () => ({}));

// an out written elsewhere (returned as undefined) reads as undefined downstream; canSubset's optional outs keep their type
export const mixed = multiAsset({ canSubset: true, outs: { stored: {}, external: {} } }, (ctx) => {
  const r: { stored?: { n: number }[]; external?: undefined } = {};
  if (ctx.selectedOutputs.includes("stored")) r.stored = [{ n: 1 }];
  return r;
});
expectType<Equal<OutputOf<typeof mixed.outs.stored>, { n: number }[]>>(true);
expectType<Equal<InputOf<OutputOf<typeof mixed.outs.external>>, undefined>>(true);

// per-out code versions and reported checks; ctx.output keeps the out's type
export const reported = multiAsset(
  { codeVersion: "s1", outs: { t: { codeVersion: "t1", checks: [checkSpec("t_ok", { blocking: true })] }, ext: {} } },
  (ctx) => ({
    t: ctx.output([{ v: 1 }], { checks: { t_ok: { passed: true, metadata: { n: 1 } } } }),
    ext: ctx.output(undefined, { dataVersion: "abc" }),
  }),
);
expectType<Equal<InputOf<OutputOf<typeof reported.outs.t>>, TableInput<{ v: number }>>>(true);
// @ts-expect-error — a reported result needs `passed`
asset((ctx) => ctx.output([{ v: 1 }], { checks: { c: { metadata: {} } } }));
