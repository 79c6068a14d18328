/**
 * `staticPartitions`, `dynamicPartitions` and `multiPartitions`, validated at definition time:
 * keys become folder names and `--partitions` values, so they are strict.
 */
import { DefinitionError } from "../errors.ts";
import {
  type DynamicPartitionsDef,
  type MultiPartitionsDef,
  PARTITIONS_DEF,
  type PartitionsDef,
  type SinglePartitionsDef,
  type StaticPartitionsDef,
} from "./types.ts";
import { partitionKeyProblem } from "./segments.ts";

const DIMENSION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DYNAMIC_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

/**
 * A fixed, ordered set of partition keys.
 * @example export const by_region = asset({ partitions: staticPartitions(["eu", "us", "apac"]) }, (ctx) => ctx.partition.key)
 */
export function staticPartitions<const K extends string>(keys: readonly K[]): StaticPartitionsDef<K> {
  const fail = (problem: string): never => {
    throw new DefinitionError("DEFINITION_INVALID", `Invalid staticPartitions(): ${problem}`);
  };
  if (!Array.isArray(keys)) fail('pass an array of keys, like staticPartitions(["eu", "us"])');
  if (keys.length === 0) fail("it needs at least one key");
  const seen = new Set<string>();
  for (const key of keys) {
    if (typeof key !== "string") fail(`keys must be strings, got ${JSON.stringify(key) ?? String(key)}`);
    const problem = partitionKeyProblemFor(key, false);
    if (problem) fail(`key ${JSON.stringify(key)} is invalid: ${problem}`);
    if (seen.has(key)) fail(`key "${key}" is listed twice`);
    seen.add(key);
  }
  return Object.freeze({ [PARTITIONS_DEF]: true as const, kind: "static" as const, keys: Object.freeze([...keys]) });
}

/**
 * Partitions whose keys are added at run time (by sensors or `dagx partitions add NAME KEY`) and kept in the state store.
 * @example export const per_customer = asset({ partitions: dynamicPartitions("customers") }, (ctx) => ctx.partition.key)
 */
export function dynamicPartitions(name: string): DynamicPartitionsDef {
  if (typeof name !== "string" || !DYNAMIC_NAME.test(name)) {
    throw new DefinitionError(
      "DEFINITION_INVALID",
      `Invalid dynamicPartitions() name ${JSON.stringify(name) ?? String(name)}: use 1–255 letters, digits, "_", "-" and ".", not starting with "." or "-"`,
    );
  }
  return Object.freeze({ [PARTITIONS_DEF]: true as const, kind: "dynamic" as const, name });
}

/**
 * The cartesian product of any number of named dimensions; a key joins the dimension keys with "|" in declaration order.
 * @example export const sales = asset({ partitions: multiPartitions({ date: daily({ start: "2024-01-01" }), region: staticPartitions(["eu", "us"]) }) },
 *   (ctx) => ctx.partition.dimensions) // { date: "2024-01-01", region: "eu" } for key "2024-01-01|eu"
 */
export function multiPartitions<const D extends Record<string, SinglePartitionsDef>>(dimensions: D): MultiPartitionsDef<D> {
  const fail = (problem: string): never => {
    throw new DefinitionError("DEFINITION_INVALID", `Invalid multiPartitions(): ${problem}`);
  };
  const names = dimensions !== null && typeof dimensions === "object" ? Object.keys(dimensions) : [];
  if (names.length === 0) fail("it needs at least one dimension, like multiPartitions({ date: daily({ start: \"2024-01-01\" }), region: staticPartitions([\"eu\", \"us\"]) })");
  for (const name of names) {
    if (!DIMENSION_NAME.test(name)) fail(`dimension name "${name}" must start with a letter or "_" and hold only letters, digits and "_"`);
    const def: unknown = dimensions[name];
    if (!isPartitionsDef(def)) fail(`dimension "${name}" is not a partitions definition (use daily(), staticPartitions(), dynamicPartitions() …)`);
    const d = def as PartitionsDef;
    if (d.kind === "multi") fail(`dimension "${name}" is itself a multiPartitions() — list its dimensions directly`);
    if (d.kind === "static") {
      const bad = d.keys.find((k) => k.includes("|"));
      if (bad !== undefined) fail(`key "${bad}" of dimension "${name}" contains "|", which joins the dimension keys`);
      // the folder of a dimension is named after the dimension, not "partition"
      for (const key of d.keys) {
        const problem = partitionKeyProblem(key, name);
        if (problem) fail(`key ${JSON.stringify(key)} of dimension "${name}" is invalid: ${problem}`);
      }
    }
  }
  return Object.freeze({ [PARTITIONS_DEF]: true as const, kind: "multi" as const, dimensions, names: Object.freeze(names) as never });
}

/** True when `value` is a partitions definition made by `daily()`, `staticPartitions()` & co. */
export function isPartitionsDef(value: unknown): value is PartitionsDef {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[PARTITIONS_DEF] === true;
}

/**
 * Why `key` cannot be a partition key (of a multi-partition dimension when `multi`), or null.
 * `dimension` names the key's folder (`partition=…` alone, `region=…` as a dimension), whose
 * length in bytes is limited.
 */
export function partitionKeyProblemFor(key: string, multi: boolean, dimension = "partition"): string | null {
  const problem = partitionKeyProblem(key, dimension);
  if (problem) return problem;
  if (multi && key.includes("|")) return 'it contains "|", which joins the keys of a multi-partition';
  return null;
}

/**
 * Why `key` cannot be added to dynamic partitions, or null. "|" is refused too, because a
 * dynamic definition may be a dimension of a multi-partition. `dimensions` are the folder names
 * the key will be stored under (`partition` when used alone, the dimension name in a
 * multi-partition; see {@link dynamicDimensionNames}): the key must fit every one of them.
 */
export function dynamicKeyProblem(key: string, dimensions: readonly string[] = ["partition"]): string | null {
  for (const dimension of dimensions.length > 0 ? dimensions : ["partition"]) {
    const problem = partitionKeyProblemFor(key, true, dimension);
    if (problem) return problem;
  }
  return null;
}

/**
 * The folder names under which keys of `dynamicPartitions(name)` are stored, over the given
 * partitions definitions: "partition" where it is used alone, the dimension name where it is
 * a dimension of a multi-partition.
 */
export function dynamicDimensionNames(name: string, defs: Iterable<unknown>): string[] {
  const found = new Set<string>();
  for (const def of defs) {
    if (!isPartitionsDef(def)) continue;
    if (def.kind === "dynamic" && def.name === name) found.add("partition");
    if (def.kind !== "multi") continue;
    for (const [dimension, d] of Object.entries(def.dimensions)) if (d.kind === "dynamic" && d.name === name) found.add(dimension);
  }
  return [...found];
}
