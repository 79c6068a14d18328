/** Free space where outputs and state are written (`.dagx`, or the root before it exists): a warning under 1 GiB. */
import fs from "node:fs";
import { formatSize } from "./context.ts";
import type { DoctorCheck, DoctorResult } from "./types.ts";

/** Below this much free space at `.dagx`, doctor warns. */
export const LOW_DISK_BYTES = 1024 ** 3;

export const diskCheck: DoctorCheck = {
  name: "disk",
  run(ctx): DoctorResult {
    const at = ctx.project.root === null ? ctx.cwd : fs.existsSync(ctx.project.storage.dagxDir) ? ctx.project.storage.dagxDir : ctx.project.root;
    const st = fs.statfsSync(at);
    const free = st.bavail * st.bsize;
    const total = st.blocks * st.bsize;
    const detail = `${formatSize(free)} free of ${formatSize(total)} at ${at}`;
    if (free < LOW_DISK_BYTES) return { status: "warn", detail, fix: "free some space: `dagx gc` removes old runs and orphan outputs; `dagx wipe SEL --data` removes outputs" };
    return { status: "ok", detail };
  },
};
