/**
 * The first use of a state file by a dagx with a newer code-version scheme: latest materializations
 * recorded under the old scheme for the code as it is now take today's versions (so an upgrade of
 * dagx leaves assets fresh), and any other recorded version stays (a real code change still shows).
 * See io/project/code-version.ts for both schemes and docs/releasing.md for the policy.
 */
import { existsSync } from "node:fs";
import type { StateStore } from "../../core/state-store.ts";
import { CODE_VERSION_SCHEME } from "../../core/state-store.ts";
import type { Project } from "./project.ts";

/**
 * Adopt where the state is behind this build's scheme; returns how many latest materializations
 * were adopted, or null when there was nothing to do. Skipped (tried again next time) while a file
 * fails to load — its assets' versions are unknown — and when there is no state file yet (a
 * Postgres state is always asked: it says itself whether it is behind).
 */
export async function adoptCodeVersions(project: Project, store: StateStore, now: number): Promise<number | null> {
  if (project.graph.errors.length > 0) return null;
  // no file yet: nothing recorded to adopt (and reading would create it); a database is always asked
  if (store.backend === "duckdb" && !existsSync(project.storage.statePath)) return null;
  return store.adoptCodeVersions(CODE_VERSION_SCHEME, project.codeVersionCandidates, now);
}

/**
 * `store`, adopting code versions before its first call (a command that never reads state, such
 * as `list`, never opens the file). Calls made while adoption runs wait for it; later ones go
 * straight through, so calls batched within one tick (partition summaries) stay batched.
 */
export function adoptingStore(project: Project, store: StateStore, now: number, onAdopted: (count: number) => void): StateStore {
  let ready: Promise<void> | null = null;
  let done = false;
  const adopt = (): Promise<void> =>
    (ready ??= adoptCodeVersions(project, store, now).then((n) => {
      done = true;
      if (n) onAdopted(n);
    }));
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || prop === "close" || done) return value;
      return (...args: unknown[]) => adopt().then(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}
