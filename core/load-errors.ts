/**
 * Files that failed to load before an error stopped the project load: the CLI and `dagx dev`
 * report them first, since the cause is often there (a schedule selecting the broken file's assets).
 * Kept beside the error rather than on it, so DagxError stays a small public type.
 */
import type { LoadError } from "./definitions.ts";

const BEFORE = new WeakMap<object, readonly LoadError[]>();

/** Remember `errors` as the load errors that came before `e` (the first call wins). */
export function attachLoadErrors(e: object, errors: readonly LoadError[]): void {
  if (errors.length && !BEFORE.has(e)) BEFORE.set(e, errors);
}

/** The load errors that came before `e`, or none. */
export function loadErrorsBefore(e: unknown): readonly LoadError[] {
  return (typeof e === "object" && e !== null && BEFORE.get(e)) || [];
}
