/** The run a command's RUN argument names: the full id, a unique prefix or suffix of it, or `latest` (as `dagx logs` takes it). */
import { DagxError } from "../core/errors.ts";
import type { RunStore } from "../core/state-store.ts";
import { didYouMean } from "../core/suggest.ts";
import type { RunRecord } from "../core/types.ts";

/** The one run `want` names; an unknown or ambiguous id is a `NOT_FOUND` error (exit 2) that says how to list runs. */
export async function findRun(store: RunStore, want: string): Promise<RunRecord> {
  const exact = want === "latest" ? null : await store.getRun(want);
  if (exact) return exact;
  const runs = await store.listRuns({ limit: 10_000 });
  const matches = want === "latest" ? runs.slice(0, 1) : runs.filter((r) => r.runId.startsWith(want) || r.runId.endsWith(want));
  if (matches.length !== 1) {
    const why = matches.length === 0 ? `No run "${want}"${didYouMean(want, runs.slice(0, 50).map((r) => r.runId))}` : `Run id "${want}" is ambiguous (${matches.length} runs match)`;
    throw new DagxError("NOT_FOUND", `${why}: list runs with \`dagx runs\``);
  }
  return matches[0]!;
}
