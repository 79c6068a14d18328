/** `.dagx` (state and outputs) can be written: a probe file is created and removed there (or in the root, before `.dagx` exists). */
import fs from "node:fs";
import path from "node:path";
import type { DoctorCheck, DoctorResult } from "./types.ts";

/** Why `dir` cannot take a new file (EACCES, EROFS, ENOSPC…), or null when it can. */
function writeProblem(dir: string): string | null {
  const probe = path.join(dir, `.doctor-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    fs.writeFileSync(probe, "", { flag: "wx", mode: 0o600 });
    fs.rmSync(probe, { force: true });
    return null;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return e.code === "EROFS" ? "read-only file system" : e.code === "EACCES" || e.code === "EPERM" ? "permission denied" : e.code === "ENOSPC" ? "no space left" : e.message;
  }
}

export const dagxDirCheck: DoctorCheck = {
  name: ".dagx",
  run(ctx): DoctorResult {
    if (ctx.project.root === null) return { status: "skip", detail: "no project root" };
    const { dagxDir, root } = ctx.project.storage;
    if (!fs.existsSync(dagxDir)) {
      const problem = writeProblem(root);
      if (problem) return { status: "warn", detail: `${dagxDir} does not exist and cannot be created: ${root}: ${problem}`, fix: `chmod u+w "${root}" (as its owner), or run dagx in a folder you can write` };
      return { status: "ok", detail: `${dagxDir} does not exist yet (the first command that writes creates it; ${root} is writable)` };
    }
    if (!fs.statSync(dagxDir).isDirectory()) return { status: "fail", detail: `${dagxDir} is not a folder`, fix: `move it aside: mv "${dagxDir}" "${dagxDir}.old"` };
    const problem = writeProblem(dagxDir);
    if (problem) {
      return {
        status: "warn",
        detail: `${dagxDir} is not writable (${problem}): status, query, runs and logs work read-only; materialize, backfill, wipe, gc, dev and daemon fail`,
        fix: `chmod -R u+w "${dagxDir}" (as its owner)`,
      };
    }
    return { status: "ok", detail: `${dagxDir} is writable` };
  },
};
