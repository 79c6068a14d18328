/** Actions (POST): filled in by the actions commit. */
import { DagxError } from "../../../core/errors.ts";
import type { ApiContext } from "./context.ts";

export type ActionName = "plan" | "materialize" | "backfill" | "cancel-run" | "cancel-backfill" | "resume-backfill" | "schedule-start" | "schedule-stop" | "sensor-start" | "sensor-stop";

export async function postAction(_ctx: ApiContext, action: ActionName, _params: string[], _body: unknown): Promise<unknown> {
  throw new DagxError("USAGE", `Action "${action}" is not available yet`);
}
