/**
 * `createPartitionSpace`: a definition evaluated at `now` with the current dynamic keys, behind
 * one interface (`size`, `keyAt`, `indexOf`, `window`, `dimensions`).
 */
import { partitionsId, partitionsLabel } from "./describe.ts";
import { createTimeSpace } from "./time-space.ts";
import type {
  DynamicPartitionsDef,
  KeyListSpace,
  MultiPartitionsDef,
  MultiSpace,
  PartitionsDef,
  PartitionSpace,
  SingleSpace,
  StaticPartitionsDef,
  TimeSpace,
} from "./types.ts";

/** What a space is evaluated against. */
export interface SpaceContext {
  /** The current time, epoch ms: time windows end with the last complete one (see `endOffset`). */
  now: number;
  /** Keys of a dynamic partitions definition, in the order they were added. @default none */
  dynamicKeys?: (name: string) => readonly string[];
}

/** The partitions of `def` as of `ctx.now`. */
export function createPartitionSpace(def: PartitionsDef, ctx: SpaceContext): PartitionSpace {
  switch (def.kind) {
    case "time":
      return createTimeSpace(def, ctx.now);
    case "static":
    case "dynamic":
      return createKeyListSpace(def, def.kind === "static" ? def.keys : (ctx.dynamicKeys?.(def.name) ?? []));
    case "multi":
      return createMultiSpace(def, def.names.map((n) => createPartitionSpace(def.dimensions[n]!, ctx) as SingleSpace));
  }
}

function createKeyListSpace(def: StaticPartitionsDef | DynamicPartitionsDef, keys: readonly string[]): KeyListSpace {
  let index: Map<string, number> | null = null;
  const space: KeyListSpace = {
    kind: def.kind,
    def,
    id: partitionsId(def),
    label: partitionsLabel(def),
    size: keys.length,
    keyAt: (i) => {
      const key = keys[i];
      if (key === undefined) throw new RangeError(`Partition index ${i} is outside 0…${keys.length - 1} of ${partitionsLabel(def)}`);
      return key;
    },
    indexOf: (key) => {
      index ??= new Map(keys.map((k, i) => [k, i] as const).reverse());
      return index.get(key) ?? -1;
    },
    window: () => null,
    dimensions: [],
  };
  (space as { dimensions: KeyListSpace["dimensions"] }).dimensions = [{ name: "partition", space }];
  return space;
}

function createMultiSpace(def: MultiPartitionsDef, spaces: SingleSpace[]): MultiSpace {
  const radices = spaces.map((s) => s.size);
  const size = radices.reduce((a, b) => a * b, 1);
  const times = spaces.filter((s): s is TimeSpace => s.kind === "time");
  const timeDim = times.length === 1 ? spaces.indexOf(times[0]!) : -1;
  const split = (index: number): number[] => {
    const out = new Array<number>(radices.length);
    for (let k = radices.length - 1; k >= 0; k--) {
      out[k] = index % radices[k]!;
      index = Math.floor(index / radices[k]!);
    }
    return out;
  };
  const join = (coords: readonly number[]): number => coords.reduce((acc, c, k) => acc * radices[k]! + c, 0);
  const check = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`Partition index ${i} is outside 0…${size - 1} of ${partitionsLabel(def)}`);
  };
  return {
    kind: "multi",
    def,
    id: partitionsId(def),
    label: partitionsLabel(def),
    size,
    radices,
    split,
    join,
    keyAt: (i) => {
      check(i);
      return split(i).map((c, k) => spaces[k]!.keyAt(c)).join("|");
    },
    indexOf: (key) => {
      const parts = key.split("|");
      if (parts.length !== spaces.length) return -1;
      const coords = parts.map((p, k) => spaces[k]!.indexOf(p));
      return coords.includes(-1) ? -1 : join(coords);
    },
    window: (i) => {
      check(i);
      return timeDim < 0 ? null : spaces[timeDim]!.window(split(i)[timeDim]!);
    },
    dimensions: def.names.map((name, k) => ({ name, space: spaces[k]! })),
  };
}
