/** The store fixture of every contract suite (runs, materializations, backfills, instigators, store). */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { SQL } from "bun";
import { CODE_VERSION_SCHEME } from "../../../core/state-store.ts";
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
 * of an empty state in it: a schema of its own, emptied after each test and handed out again
 * (migrating a new schema costs ~140 ms, emptying one a few).
 */
export function postgresPerFile(): { url: () => string; server: () => PostgresServer } {
  let pg: PostgresServer | undefined;
  let admin: SQL | undefined;
  let n = 0;
  const free: string[] = [];
  const used: string[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
    admin = new SQL(pg.url, { max: 1 });
  });
  afterEach(async () => {
    for (const schema of used.splice(0)) {
      const tables = (await admin!.unsafe("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> 'schema_version'", [schema])) as { table_name: string }[];
      if (tables.length > 0) {
        await admin!.unsafe(`${tables.map((t) => `DELETE FROM ${schema}.${t.table_name}`).join(";\n")};\nINSERT INTO ${schema}.code_version_scheme VALUES (${CODE_VERSION_SCHEME}, 0)`);
      }
      free.push(schema);
    }
  });
  afterAll(async () => {
    await admin?.close();
    await pg?.stop();
  });
  return {
    url: () => {
      const schema = free.pop() ?? `s${++n}`;
      used.push(schema);
      return `${pg!.url}?schema=${schema}`;
    },
    server: () => pg!,
  };
}
