/**
 * Type tests of per-run config: `ctx.config` is the output type of the asset's `config` schema
 * (valibot's `v` from "dagx", or any Standard Schema), `undefined` without one. Checked by `tsc`.
 */
import { asset, type ConfigOf, daily, type StandardSchemaV1, v } from "dagx";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_ok: T) => {};

const schema = v.object({ limit: v.optional(v.number(), 100), region: v.picklist(["eu", "us"]), since: v.optional(v.string()) });
expectType<Equal<ConfigOf<typeof schema>, { limit: number; region: "eu" | "us"; since?: string | undefined }>>(true);

export const configured = asset({ config: schema }, (ctx) => {
  expectType<Equal<typeof ctx.config.limit, number>>(true);
  expectType<Equal<typeof ctx.config.region, "eu" | "us">>(true);
  // @ts-expect-error — not a field of the schema
  void ctx.config.regoin;
  return [{ n: ctx.config.limit }];
});

// without a schema ctx.config is undefined, in both forms of asset()
export const plain = asset((ctx) => {
  expectType<Equal<typeof ctx.config, undefined>>(true);
  return 1;
});
export const plainWithOptions = asset({ group: "g" }, (ctx) => {
  expectType<Equal<typeof ctx.config, undefined>>(true);
  return 1;
});

// with inputs and partitions, the config still types through
export const downstream = asset({ ins: { configured }, partitions: daily({ start: "2024-01-01" }), config: v.object({ factor: v.optional(v.number(), 2) }) }, async (ctx, { configured }) => {
  expectType<Equal<typeof ctx.config, { factor: number }>>(true);
  expectType<Equal<typeof ctx.partition.key, string>>(true);
  return (await configured.rows()).map((r) => ({ n: r.n * ctx.config.factor }));
});

// any Standard Schema: a hand-written one types ctx.config from its declared output
const handMade: StandardSchemaV1<unknown, { n: number }> = {
  "~standard": { version: 1, vendor: "test", validate: (x) => ({ value: x as { n: number } }) },
};
export const custom = asset({ config: handMade }, (ctx) => {
  expectType<Equal<typeof ctx.config, { n: number }>>(true);
  return ctx.config.n;
});

// @ts-expect-error — config must be a Standard Schema
asset({ config: { limit: 1 } }, () => 1);
