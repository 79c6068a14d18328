/**
 * Adoption of code versions across a change of code-version scheme (StateStore.adoptCodeVersions).
 * A latest materialization whose stored version is what the old scheme computes for today's code
 * was made by today's code: it takes today's version and stays fresh. Any other stored version is
 * left alone, so a real code change still shows. History rows (`materializations`) keep the
 * versions they were recorded with; `code_version_adoptions` says what was adopted, when.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { CodeVersionAdoption } from "../../core/state-store.ts";
import { rows, transaction } from "./_sql.ts";

/** The scheme the recorded code versions were computed with (1 when none is recorded). */
export async function selectCodeVersionScheme(conn: DuckDBConnection): Promise<number> {
  const [r] = await rows(conn, "SELECT coalesce(max(scheme), 1) AS scheme FROM code_version_scheme");
  return Number(r?.scheme ?? 1);
}

export async function adoptCodeVersions(conn: DuckDBConnection, scheme: number, candidates: () => readonly CodeVersionAdoption[], now: number): Promise<number | null> {
  if ((await selectCodeVersionScheme(conn)) >= scheme) return null;
  const list = candidates();
  return transaction(conn, async () => {
    if ((await selectCodeVersionScheme(conn)) >= scheme) return null;
    let adopted = 0;
    for (const c of list) {
      for (const from of new Set(c.legacy)) {
        if (from === c.codeVersion) continue;
        const n = Number((await conn.run("UPDATE latest_materializations SET code_version = ? WHERE asset_key = ? AND code_version = ?", [c.codeVersion, c.assetKey, from])).rowsChanged);
        if (n === 0) continue;
        adopted += n;
        await conn.run("INSERT INTO code_version_adoptions VALUES (?, ?, ?, ?, ?)", [c.assetKey, from, c.codeVersion, n, now]);
      }
    }
    await conn.run("INSERT INTO code_version_scheme VALUES (?, ?)", [scheme, now]);
    return adopted;
  });
}
