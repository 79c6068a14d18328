/**
 * Type tests of pipesAsset(): checked by `tsc --noEmit` (not run). A Pipes asset's output is a
 * table of unknown columns; the command is an argv array.
 */
import { asset, daily, type InputOf, type OutputOf, pipesAsset, type TableInput } from "dagx";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_ok: T) => {};

const orders = asset(() => [{ id: 1, amount: 3 }]);
export const scores = pipesAsset({ command: ["python3", "score.py"], ins: { orders }, partitions: daily({ start: "2024-01-01" }), retry: { maxRetries: 1 } });

expectType<Equal<InputOf<OutputOf<typeof scores>>, TableInput<Record<string, unknown>>>>(true);

export const report = asset({ ins: { scores } }, (ctx, { scores }) => ctx.sql`select count(*) as n from ${scores}`);

// @ts-expect-error a shell string is not an argv array
pipesAsset({ command: "python3 score.py" });
// @ts-expect-error resources belong to TS assets
pipesAsset({ command: ["x"], resources: ["db"] });
