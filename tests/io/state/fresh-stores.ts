/** The store fixture of every contract suite (runs, materializations, backfills, instigators, store). */
import { afterEach } from "bun:test";
import type { MaybePromise } from "../../../core/types.ts";

/**
 * Call inside a `describe`: returns `fresh()`, a new empty store from `create`; every store it
 * returned is closed after each test.
 */
export function freshStores<S extends { close(): Promise<void> }>(create: () => MaybePromise<S>): () => Promise<S> {
  let open: S[] = [];
  afterEach(async () => {
    await Promise.all(open.map((s) => s.close()));
    open = [];
  });
  return async () => {
    const store = await create();
    open.push(store);
    return store;
  };
}
