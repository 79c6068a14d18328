/** The Postgres state store against the StateStore contract (every part's suite), on a real Postgres started once for this file. */
import { createPostgresStateStore } from "../../../io/state/index.ts";
import { postgresPerFile } from "./fresh-stores.ts";
import { testStateStore } from "./store.contract.ts";

const pg = postgresPerFile();

testStateStore("createPostgresStateStore()", () => createPostgresStateStore(pg.url()));
