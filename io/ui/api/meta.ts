/** `/api/meta`: the project, the dagx build, and the load errors of asset files. */
import { basename } from "node:path";
import type { ApiMeta } from "../../../core/ui-api.ts";
import { runtimeInfo } from "../../platform/index.ts";
import type { ApiContext } from "./context.ts";

/** `/api/meta`. */
export function getMeta(ctx: ApiContext): ApiMeta {
  const { duckdb, compiled } = runtimeInfo();
  return { project: { name: basename(ctx.root), root: ctx.root }, dagx: { version: ctx.version, duckdb, compiled }, loadErrors: ctx.holder.loadErrors(), now: new Date(ctx.now()).toISOString() };
}
