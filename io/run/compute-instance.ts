/**
 * The run's own in-memory DuckDB (`ctx.sql`, Parquet outputs and inputs, checks), never the state
 * file's. Created on first use, so runs of JSON-only assets never pay for it; or started ahead of
 * use with `warm()` while the run reads its state, when the selection looks like it will need it
 * (mayUseDuckDB): DuckDB creates an instance on a worker thread (~10 ms on 2 vCPUs), so the first
 * SQL step does not wait for it.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import type { ProjectGraph } from "../../core/graph.ts";
import { duckDBWorkEnds, duckDBWorkStarts } from "../platform/index.ts";

export interface ComputeInstance {
  /** Start creating the instance now, in the background; a failure stays silent until `get()`. */
  warm(): void;
  /**
   * The instance, created now unless `warm()` already started it. A warm-up that failed is tried
   * once more here, so the error a step reports is that of the attempt made when it was needed.
   */
  get(): Promise<DuckDBInstance>;
  /** Close the instance if one was created (used or only warmed); later calls do nothing. */
  close(): Promise<void>;
}

/** `create` is for tests (a failing or counted creation). */
export function createComputeInstance(create: () => Promise<DuckDBInstance> = () => DuckDBInstance.create(":memory:")): ComputeInstance {
  let pending: Promise<DuckDBInstance> | null = null;
  let taken: Promise<DuckDBInstance> | null = null;
  let closed = false;
  let started = false; // duckDBWorkStarts was called: close ends it
  return {
    warm() {
      if (pending || closed) return;
      pending = create();
      pending.catch(() => {}); // reported by get(), if the run ever needs the instance
    },
    get() {
      if (closed) return Promise.reject(new Error("internal: the run's DuckDB instance was used after the run closed it"));
      // its heavy work keeps freed pages for reuse (io/platform/allocator.ts)
      taken ??= (pending ? pending.catch(() => create()) : create()).then((instance) => {
        duckDBWorkStarts();
        started = true;
        return instance;
      });
      pending = taken;
      return taken;
    },
    async close() {
      if (closed) return;
      closed = true;
      const instance = await pending?.catch(() => null);
      instance?.closeSync();
      if (started) duckDBWorkEnds();
    },
  };
}

/** `sql` as a word in an asset function's source: `ctx.sql`, a destructured `sql`. */
const SQL_WORD = /\bsql\b/;

/**
 * Whether the run of `keys` will likely use DuckDB: an asset stored as Parquet, or whose function
 * mentions `sql`. A guess that only decides whether to warm the instance up: a wrong "yes" costs
 * an instance created and closed unused, a wrong "no" the creation at first use, as without it.
 */
export function mayUseDuckDB(graph: ProjectGraph, keys: Iterable<string>): boolean {
  for (const key of keys) {
    const asset = graph.assets.get(key);
    if (!asset) continue;
    if (asset.io === "parquet" || SQL_WORD.test(String(asset.def.fn))) return true;
  }
  return false;
}
