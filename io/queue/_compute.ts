/**
 * The in-memory DuckDB a worker's steps use for `ctx.sql` and Parquet writes (io/run
 * compute-instance.ts): one per worker, shared by its concurrent steps (each has its own
 * connection, as in a local run), instead of one per step (~25 ms to create). After `recycleAfter`
 * steps a new one is made; the old one closes when its last step ends. Every few steps the JS heap
 * is collected, which frees the native memory of DuckDB results held by collected objects (the run
 * engine does it per run; a worker's engines each run one step).
 */
import { createComputeInstance, type ComputeInstance } from "../run/index.ts";
import { releaseDuckDBMemory } from "../platform/index.ts";

const GC_EVERY_STEPS = 8;
const FULL_GC_EVERY_STEPS = 256;

export interface SharedCompute {
  /** The instance for one step, and the call that says the step is done with it. */
  acquire(): { compute: ComputeInstance; release(): void };
  close(): Promise<void>;
}

export function sharedCompute(recycleAfter = 2_000): SharedCompute {
  let current = { instance: createComputeInstance(), users: 0, uses: 0, retired: false };
  let steps = 0;
  const closing: Promise<void>[] = [];
  return {
    acquire() {
      if (current.uses >= recycleAfter) {
        current.retired = true;
        if (current.users === 0) closing.push(current.instance.close());
        current = { instance: createComputeInstance(), users: 0, uses: 0, retired: false };
      }
      const gen = current;
      gen.users++;
      gen.uses++;
      // the engine closes what it is given: this one stays open for the worker's other steps
      const compute: ComputeInstance = { warm: () => gen.instance.warm(), get: () => gen.instance.get(), close: async () => {} };
      let released = false;
      return {
        compute,
        release() {
          if (released) return;
          released = true;
          gen.users--;
          if (gen.retired && gen.users === 0) closing.push(gen.instance.close());
          if (++steps % GC_EVERY_STEPS === 0) {
            Bun.gc(steps % FULL_GC_EVERY_STEPS === 0);
            releaseDuckDBMemory();
          }
        },
      };
    },
    async close() {
      await Promise.allSettled(closing);
      await current.instance.close();
    },
  };
}
