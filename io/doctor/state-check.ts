/**
 * The state reads (nothing is written or migrated), and its schema version is one this dagx knows:
 * the project's Postgres state when it has one (DAGX_STATE_URL or the config's `state`), else its file.
 */
import { stateUrlAt } from "../project/index.ts";
import { inspectPostgresState, inspectStateFile } from "../state/index.ts";
import { formatSize } from "./context.ts";
import type { DoctorCheck, DoctorResult } from "./types.ts";

export const stateCheck: DoctorCheck = {
  name: "state",
  async run(ctx): Promise<DoctorResult> {
    if (ctx.project.root === null) return { status: "skip", detail: "no project root" };
    let url: string | null;
    try {
      url = await stateUrlAt(ctx.project.root);
    } catch (error) {
      return { status: "fail", detail: error instanceof Error ? error.message : String(error) };
    }
    if (url !== null) return postgresCheck(url);
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

async function postgresCheck(url: string): Promise<DoctorResult> {
  let info;
  try {
    info = await inspectPostgresState(url);
  } catch (error) {
    return { status: "fail", detail: error instanceof Error ? error.message : String(error), fix: "check that the server is up and reachable, and the user and password of DAGX_STATE_URL (or the config's state)" };
  }
  const where = `Postgres state ${info.shown}`;
  if (info.schemaVersion === 0) return { status: "ok", detail: `${where}: no dagx tables yet (the first command that uses the state creates them)` };
  const facts = `${where}, schema ${info.schemaVersion}, ${info.runs} run${info.runs === 1 ? "" : "s"}`;
  if (info.schemaVersion > info.knownVersion) {
    return { status: "fail", detail: `${facts}: written by a newer dagx (this one knows schema ${info.knownVersion})`, fix: "upgrade dagx: npm i -g dagx@latest, or download the newest binary" };
  }
  if (info.schemaVersion < info.knownVersion) return { status: "ok", detail: `${facts}: upgraded to schema ${info.knownVersion} by the next command that uses it (older dagx versions cannot use it then)` };
  return { status: "ok", detail: facts };
}
