/**
 * Type tests: checked by `tsc --noEmit` in `npm test` (not run). A wrong inference is a compile error.
 */
import { asset, type InputOf, type OutputOf, type TableInput } from "dagx";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_ok: T) => {};

interface Order {
  id: number;
  amount: number;
}

const orders = asset(async (): Promise<Order[]> => [{ id: 1, amount: 2 }]);
const settings = asset(() => ({ currency: "EUR", rate: 0.19 }));
const viaSql = asset((ctx) => ctx.sql<{ day: string; revenue: number }>`select 1`);
const sideEffect = asset(() => undefined);
const numbers = asset(() => [1, 2, 3]);

expectType<Equal<OutputOf<typeof orders>, Order[]>>(true);
expectType<Equal<InputOf<OutputOf<typeof orders>>, TableInput<Order>>>(true);
expectType<Equal<InputOf<OutputOf<typeof settings>>, { currency: string; rate: number }>>(true);
expectType<Equal<InputOf<OutputOf<typeof viaSql>>, TableInput<{ day: string; revenue: number }>>>(true);
expectType<Equal<InputOf<OutputOf<typeof sideEffect>>, undefined>>(true);
expectType<Equal<InputOf<OutputOf<typeof numbers>>, number[]>>(true);

export const downstream = asset({ ins: { orders, settings, viaSql } }, async (ctx, { orders, settings, viaSql }) => {
  const rows = await orders.rows();
  expectType<Equal<typeof rows, Order[]>>(true);
  expectType<Equal<typeof settings.rate, number>>(true);
  const days = await viaSql.rows();
  expectType<Equal<(typeof days)[number]["day"], string>>(true);
  // @ts-expect-error — an input's rows are objects, not numbers
  const n: number = rows;
  void n;
  return ctx.sql`select * from ${orders} where amount > ${settings.rate}`;
});

// ctx.sql.id takes names (strings) and splices a quoted identifier
asset({ ins: { orders } }, (ctx, { orders }) => {
  const col = "amount";
  // @ts-expect-error — a name is a string
  ctx.sql.id(42);
  return ctx.sql`select ${ctx.sql.id(col)} from ${orders} order by ${ctx.sql.id("main", col)}`;
});

// @ts-expect-error — ins must be asset definitions
asset({ ins: { bad: 42 } }, () => 1);

// @ts-expect-error — an input that is not declared in ins
asset({ ins: { orders } }, (_ctx, { nope }) => nope);

// checks: `data` is what a downstream asset gets
import { check, notNull, unique } from "dagx";
export const orders_ok = check(orders, { severity: "warn" }, async (ctx, data) => {
  expectType<Equal<typeof data, TableInput<Order>>>(true);
  expectType<Equal<typeof ctx.partition, import("dagx").PartitionContext | null>>(true);
  return { passed: (await data.rows()).length > 0, metadata: { n: 1 } };
});
export const settings_ok = check(settings, (_ctx, s) => {
  expectType<Equal<typeof s, { currency: string; rate: number }>>(true);
  return s.rate > 0;
});
export const checked = asset({ checks: [notNull("id"), unique(["id", "amount"], { blocking: true })] }, () => [{ id: 1, amount: 2 }]);
// @ts-expect-error — a check returns a boolean or { passed }
check(orders, () => "yes");
// @ts-expect-error — severity is "error" or "warn"
notNull("id", { severity: "fatal" });

// IO managers: the contexts are typed, and `io` takes a name or a manager object
import { defineIOManager, isSqlQuery, type StoredOutput } from "dagx";
const lines = defineIOManager({
  name: "lines",
  async handleOutput(ctx, value): Promise<StoredOutput> {
    expectType<Equal<typeof ctx.partitionKey, string>>(true);
    const text = isSqlQuery(value) ? JSON.stringify(await value.rows()) : String(value);
    return { ...(await ctx.writeFile("data.txt", text)), rows: null, schema: null };
  },
  loadInput: (ctx) => ctx.table(`read_csv(${ctx.fileList(ctx.upstream.locations.map((l) => ctx.path(l)))})`),
});
export const viaManager = asset({ io: lines }, () => [{ a: 1 }]);
export const viaName = asset({ io: "lines" }, () => [{ a: 1 }]);
// @ts-expect-error — io is a name or an IO manager
export const badIo = asset({ io: 5 }, () => 1);
