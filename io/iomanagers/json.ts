/** The built-in JSON IO manager: any JSON-serialisable value as `value.json`, read back as that value. */
import { readFileSync, rmSync } from "node:fs";
import { isSqlQuery } from "../../core/context.ts";
import { defineIOManager } from "../../core/io-manager.ts";
import { jsonProblem, unstorable, unsupportedOutput } from "./_values.ts";

export const jsonIOManager = defineIOManager({
  name: "json",
  async handleOutput(ctx, value) {
    const what = unstorable(value) ?? (isSqlQuery(value) ? 'a ctx.sql query with io: "json"; drop the io option' : jsonProblem(value));
    if (what) throw unsupportedOutput(ctx.assetKey, what);
    const file = await ctx.writeFile("value.json", JSON.stringify(value));
    return { ...file, rows: Array.isArray(value) ? value.length : null, schema: null };
  },
  /** One partition (or an unpartitioned upstream): its value; several: an object of values by partition key. */
  loadInput(ctx) {
    const up = ctx.upstream;
    const values = up.locations.map((l, i) => [up.partitionKeys[i]!, JSON.parse(readFileSync(ctx.path(l), "utf8")) as unknown] as const);
    return values.length === 1 ? values[0]![1] : Object.fromEntries(values);
  },
  remove(ctx, location) {
    rmSync(ctx.path(location), { force: true });
  },
});
