/**
 * How the UI server's child processes (io/ui/launch.ts) tell `dagx materialize` and `dagx backfill`
 * who launched them, through the environment (internal; not in --help, documented in docs/ui.md):
 * `DAGX_TRIGGER=ui` records the run's trigger as `ui`; `DAGX_RUN_ID` / `DAGX_BACKFILL_ID` are the
 * ids the server chose, so it answers with them before the child has started.
 */
import { DagxError } from "../core/errors.ts";

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The trigger and ids a launcher set (trigger `cli` and no ids for a command typed by a person). */
export function uiLaunch(env: Readonly<Record<string, string | undefined>>): { trigger: string; runId?: string; backfillId?: string } {
  if (env.DAGX_TRIGGER !== "ui") return { trigger: "cli" };
  const id = (name: "DAGX_RUN_ID" | "DAGX_BACKFILL_ID") => {
    const v = env[name];
    if (v === undefined || v === "") return undefined;
    if (!ID.test(v)) throw new DagxError("USAGE", `Invalid ${name} "${v}": expected a UUID (set by \`dagx ui\` for the runs it launches)`);
    return v;
  };
  return { trigger: "ui", runId: id("DAGX_RUN_ID"), backfillId: id("DAGX_BACKFILL_ID") };
}
