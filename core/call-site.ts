/**
 * Where a definition call starts in the user's file, kept on the definition under a symbol (not
 * part of the public `"dagx"` module): code versions cut the call's text from there
 * (io/project/code-version.ts).
 */
import { callerFrame, type StackFrame } from "./location.ts";

const CALL_SITE = Symbol.for("dagx.asset.callSite");

/** Record on `def` the frame of the user code that is calling the definition constructor now. */
export function recordCallSite(def: object, site: StackFrame | null = callerFrame()): void {
  Object.defineProperty(def, CALL_SITE, { value: site });
}

/** File, line and column of the callee of the call that made `def`, when known. */
export function callSiteOf(def: object): StackFrame | null {
  return (def as Record<symbol, StackFrame | null | undefined>)[CALL_SITE] ?? null;
}
