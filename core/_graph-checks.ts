/** Checks of raw asset definitions that core/graph.ts runs while resolving keys (each throws a DefinitionError naming the asset). */
import type { AssetOptions } from "./asset.ts";
import { isConfigSchema } from "./run-config.ts";
import { DefinitionError } from "./errors.ts";
import { type IOManager, ioOptionProblem, parquetWriterProblem } from "./io-manager.ts";
import { isPartitionsDef } from "./partitions/index.ts";
import { didYouMean } from "./suggest.ts";

/** The types and values of an asset's options. */
export function validateOptions(key: string, where: string, o: AssetOptions, ioManagers: Readonly<Record<string, IOManager>> = {}, pools: Readonly<Record<string, number>> = {}): void {
  const bad = (what: string) => new DefinitionError("DEFINITION_INVALID", `Invalid option of asset "${key}" at ${where}: ${what}`, where);
  const isRecord = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (o.ins !== undefined && !isRecord(o.ins)) throw bad("ins must be an object of upstream assets, like ins: { orders }");
  if (o.deps !== undefined && !Array.isArray(o.deps)) throw bad('deps must be an array of assets or key strings, like deps: [orders] or deps: ["orders"]');
  if (o.mappings !== undefined && !isRecord(o.mappings)) throw bad("mappings must be an object of partition mappings by input name, like mappings: { orders: allPartitions() }");
  if (o.partitions !== undefined && !isPartitionsDef(o.partitions)) throw bad("partitions must be made by hourly(), daily(), weekly(), monthly(), staticPartitions(), dynamicPartitions() or multiPartitions()");
  if (o.backfill !== undefined && o.backfill !== "per-partition" && o.backfill !== "single-run") throw bad(`backfill must be "per-partition" or "single-run" (got ${JSON.stringify(o.backfill)})`);
  if (o.backfill === "single-run" && o.partitions === undefined) throw bad('backfill: "single-run" needs partitions');
  if (o.group !== undefined && (typeof o.group !== "string" || !/^[A-Za-z0-9_-]+$/.test(o.group))) throw bad(`group must be letters, digits, "_" or "-" (got ${JSON.stringify(o.group)})`);
  if (o.pool !== undefined) {
    const known = Object.keys(pools);
    const list = known.length ? `the pools are ${known.map((p) => `"${p}"`).join(", ")}` : "dagx.config.ts declares no pools";
    if (typeof o.pool !== "string") throw bad(`pool must be the name of a pool declared in dagx.config.ts (pools: { warehouse: 2 }) (got ${JSON.stringify(o.pool)})`);
    if (!Object.hasOwn(pools, o.pool)) throw bad(`pool "${o.pool}" is not declared${didYouMean(o.pool, known)}: ${list}; declare it in dagx.config.ts, like pools: { ${/^[A-Za-z_$][\w$]*$/.test(o.pool) ? o.pool : JSON.stringify(o.pool)}: 2 }`);
  }
  const io = ioOptionProblem(o.io, ioManagers);
  if (io) throw bad(io);
  const writer = parquetWriterProblem(o.parquetWriter);
  if (writer) throw bad(writer);
  if (o.parquetWriter !== undefined && o.io !== undefined && o.io !== "parquet") {
    const name = typeof o.io === "string" ? `"${o.io}"` : `an IO manager object${o.io.name ? ` ("${o.io.name}")` : ""}`;
    throw bad(`parquetWriter applies to Parquet outputs only, and this asset is stored with io: ${name}: remove parquetWriter`);
  }
  if (o.owners !== undefined && !(Array.isArray(o.owners) && o.owners.every((x) => typeof x === "string"))) throw bad("owners must be an array of strings");
  if (o.kinds !== undefined && !(Array.isArray(o.kinds) && o.kinds.every((x) => typeof x === "string"))) throw bad("kinds must be an array of strings");
  if (o.tags !== undefined && (!isRecord(o.tags) || !Object.values(o.tags as object).every((x) => typeof x === "string"))) throw bad("tags must be an object of strings");
  if (o.config !== undefined && !isConfigSchema(o.config)) throw bad('config must be a Standard Schema, like config: v.object({ limit: v.optional(v.number(), 100) }) with v from "dagx" (zod ≥ 3.24 and arktype schemas work too)');
  const r = o.retry;
  if (r !== undefined && !isRecord(r)) throw bad("retry must be an object, like retry: { maxRetries: 3 }");
  if (r !== undefined && r.maxRetries !== undefined && !(Number.isInteger(r.maxRetries) && r.maxRetries >= 0)) throw bad("retry.maxRetries must be a whole number ≥ 0");
}

/**
 * Remembers every folder a key spells (`Sales`, `Sales/a`) and refuses a key that spells one of
 * them in another case: on a case-insensitive file system both would share one folder under
 * .dagx/data, and SQL names (`dagx query … from orders`) ignore case too.
 */
export function createCaseGuard(): (key: string, where: string) => void {
  const seen = new Map<string, { spelling: string; key: string; where: string }>();
  return (key, where) => {
    const segs = key.split("/");
    for (let i = 1; i <= segs.length; i++) {
      const spelling = segs.slice(0, i).join("/");
      const other = seen.get(spelling.toLowerCase());
      if (other === undefined) {
        seen.set(spelling.toLowerCase(), { spelling, key, where });
        continue;
      }
      if (other.spelling === spelling) continue;
      const whole = other.spelling === other.key && spelling === key;
      const detail = whole ? "" : ` in folder "${other.spelling}" / "${spelling}"`;
      throw new DefinitionError(
        "DEFINITION_DUPLICATE",
        `Asset keys "${other.key}" and "${key}" differ only in case${detail}: defined at ${other.where} and at ${where}: they would share one folder on a case-insensitive file system, and SQL names ignore case: rename one export or set a different \`key\``,
        where,
      );
    }
  };
}
