/**
 * `dagx doctor`'s look at a Postgres state: it connects, reads the schema version and counts the
 * runs — nothing is created or migrated (a new database stays empty), and what it reports names
 * `user@host:port/db`, never the password.
 */
import { SQL } from "bun";
import { parsePgUrl, scrubPg } from "./_pg-client.ts";
import { PG_SCHEMA_VERSION, versionOf } from "./_pg-schema.ts";

export interface PostgresStateInfo {
  /** `user@host:port/database` (and the schema when it is not `dagx`). */
  shown: string;
  /** The schema version found (0: no dagx tables yet). */
  schemaVersion: number;
  /** The Postgres schema version this dagx writes. */
  knownVersion: number;
  /** Recorded runs; null when there are no tables yet. */
  runs: number | null;
}

/** Inspect the Postgres state at `url`; throws an Error whose message holds no secret. */
export async function inspectPostgresState(url: string, options: { timeoutSeconds?: number } = {}): Promise<PostgresStateInfo> {
  const target = parsePgUrl(url);
  const sql = new SQL(target.url, { max: 1, connectionTimeout: options.timeoutSeconds ?? 5, connection: { application_name: "dagx doctor" } });
  try {
    const schemaVersion = await versionOf(sql, target.schema);
    let runs: number | null = null;
    if (schemaVersion > 0) {
      const [r] = (await sql.unsafe(`SELECT count(*) AS n FROM ${target.schema}.runs`)) as { n: unknown }[];
      runs = Number(r?.n ?? 0);
    }
    return { shown: target.shown, schemaVersion, knownVersion: PG_SCHEMA_VERSION, runs };
  } catch (error) {
    throw new Error(`Cannot read the Postgres state ${target.shown}: ${scrubPg(target, error instanceof Error ? error.message : String(error))}`);
  } finally {
    await sql.close({ timeout: 1 }).catch(() => {});
  }
}
