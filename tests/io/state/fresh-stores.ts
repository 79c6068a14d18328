/** The store fixture of every contract suite (runs, materializations, backfills, instigators, store). */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { type PostgresServer, startPostgres } from "../../support/postgres.ts";
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

/**
 * For a test file that runs contract suites against the Postgres store: one real Postgres for the
 * file (tests/support/postgres.ts, started in beforeAll, stopped in afterAll) and `url()`, the URL
 * of a new empty state in it (a schema of its own per call: no CREATE DATABASE per test).
 */
export function postgresPerFile(): { url: () => string; server: () => PostgresServer } {
  let pg: PostgresServer | undefined;
  let n = 0;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(() => pg?.stop());
  return {
    url: () => `${pg!.url}?schema=s${++n}`,
    server: () => pg!,
  };
}
