/** The project root dagx would use here, and how it was found (`-C`, upward search, or none). */
import { relative } from "node:path";
import type { DoctorCheck } from "./types.ts";

export const projectCheck: DoctorCheck = {
  name: "project",
  run(ctx) {
    const p = ctx.project;
    if (p.root === null) return { status: "fail", detail: p.error };
    if (p.how === "flag") return { status: "ok", detail: `${p.root} (given with -C)` };
    if (p.how === "found") {
      const up = relative(p.root, ctx.cwd);
      return { status: "ok", detail: `${p.root} (${up === "" ? "the current folder" : `found upward from ${ctx.cwd}`})` };
    }
    return {
      status: "warn",
      detail: `no dagx project in ${ctx.cwd} or above (no dagx.config.ts or .dagx/)`,
      fix: "create one with `dagx init NAME`, or name it with -C DIR",
    };
  },
};
