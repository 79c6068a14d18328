/** The state file reads (nothing is written or migrated), and its schema version is one this dagx knows. */
import { inspectStateFile } from "../state/index.ts";
import { formatSize } from "./context.ts";
import type { DoctorCheck, DoctorResult } from "./types.ts";

export const stateCheck: DoctorCheck = {
  name: "state",
  async run(ctx): Promise<DoctorResult> {
    if (ctx.project.root === null) return { status: "skip", detail: "no project root" };
    const file = ctx.project.storage.statePath;
    let info;
    try {
      info = await inspectStateFile(file);
    } catch (error) {
      return { status: "fail", detail: error instanceof Error ? error.message : String(error) };
    }
    if (!info.exists) return { status: "ok", detail: `no state file yet (${file} is created by the first materialize)` };
    const facts = `${file}, ${formatSize(info.bytes)}, schema ${info.schemaVersion}${info.runs === null ? "" : `, ${info.runs} run${info.runs === 1 ? "" : "s"}`}`;
    if (info.schemaVersion! > info.knownVersion) {
      return {
        status: "fail",
        detail: `${facts}: written by a newer dagx (this one knows schema ${info.knownVersion})`,
        fix: "upgrade dagx: npm i -g dagx@latest, or download the newest binary",
      };
    }
    if (info.schemaVersion! < info.knownVersion) return { status: "ok", detail: `${facts}: upgraded to schema ${info.knownVersion} by the next command that writes (older dagx versions cannot read it then)` };
    return { status: "ok", detail: facts };
  },
};
