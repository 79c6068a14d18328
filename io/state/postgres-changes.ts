/**
 * What the web UI's change feed reads from a Postgres state (io/ui/change-feed.ts): the change marks
 * (the same fingerprints per topic as the DuckDB file's, ui-reads.ts) and a push when another process
 * commits a change — the statement triggers of migration 2 NOTIFY `dagx_changes` with the schema's
 * name, so the feed reads the marks only when something changed, with no file to stat.
 */
import type { ChangeMarks, CrossCuttingStore } from "../../core/state-store.ts";
import { changeMarksSql, toChangeMarks } from "./_change-marks.ts";
import type { PgOps } from "./_pg-client.ts";
import { CHANGE_CHANNEL } from "./_pg-schema.ts";

const MARKS = changeMarksSql("hashtext(run_id || ':' || status || ':' || coalesce(ended_at::text, ''))");

const RUNNING_EVENTS = `SELECT e.run_id, max(e.seq) AS seq FROM events e
  WHERE e.run_id IN (SELECT run_id FROM runs WHERE status = 'running') GROUP BY e.run_id`;

/** The change part of a Postgres store. */
export function postgresChanges(ops: PgOps): Pick<CrossCuttingStore, "changeMarks" | "onChange"> {
  return {
    changeMarks: () =>
      ops.op("read change marks", async (q): Promise<ChangeMarks> => {
        const [m] = await q.unsafe(MARKS);
        const running = await q.unsafe(RUNNING_EVENTS);
        return toChangeMarks(m!, running);
      }),
    onChange: (listener) =>
      // a reconnect may have missed notifications: it nudges too
      ops.listen("listen for state changes", CHANGE_CHANNEL, (schema) => schema === ops.target.schema && listener(), listener),
  };
}
