/** Print any error the way a user should see it and return the exit code. */
import { DagxError, DefinitionError, SelectionError } from "../core/errors.ts";
import type { LoadError } from "../core/definitions.ts";
import { PartitionRangeError } from "../core/partitions/errors.ts";
import { loadErrorsBefore } from "../core/load-errors.ts";
import type { Output } from "./output.ts";

export function reportError(out: Output, e: unknown): number {
  const { c } = out;
  if (e instanceof DagxError) {
    // a file that failed to load is often the cause: its own error comes first
    reportLoadErrors(out, loadErrorsBefore(e));
    out.say(`${c.red("error")} ${e.message}`);
    if (e instanceof SelectionError || e instanceof PartitionRangeError) out.say(c.dim(e.pointer));
    if (out.verbose && e.stack) out.say(c.dim(e.stack));
    if (out.verbose && e.cause instanceof Error && e.cause.stack) out.say(c.dim(`cause: ${e.cause.stack}`));
    if (out.json) out.data({ error: { code: e.code, message: e.message } });
    return e.exitCode;
  }
  const err = e as { code?: string; message?: string; stack?: string };
  if ((e as Error)?.name === "CLIError" || (typeof err?.code === "string" && err.code.startsWith("E_"))) {
    // citty usage errors: unknown command, missing argument
    out.say(`${c.red("error")} ${err.message}`);
    out.say(c.dim("Run `dagx --help` for the list of commands"));
    return 2;
  }
  out.say(`${c.red("internal error")} ${err?.message ?? String(e)}`);
  out.say(c.dim(err?.stack ?? ""));
  out.say(c.dim("This is a bug in dagx; please report it with the output above"));
  return 1;
}

/** Print files that failed to load (their assets are missing from the graph), then what is left out because of them. */
export function reportLoadErrors(out: Output, errors: readonly LoadError[]): void {
  const files = errors.filter((le) => !le.consequence);
  const consequences = errors.filter((le) => le.consequence);
  for (const le of files) {
    out.say(`${out.c.red("error")} ${le.message}`);
    if (le.frame) out.say(out.c.dim(le.frame));
    if (out.verbose && le.stack) out.say(out.c.dim(le.stack));
  }
  for (const le of consequences) out.say(`${out.c.yellow("note")} ${le.message}`);
  if (files.length) {
    const also = consequences.length ? `, and ${consequences.length} definition(s) that need them,` : "";
    out.say(out.c.dim(`${files.length} asset file(s) failed to load: their assets${also} are left out until fixed`));
  }
}

export { DefinitionError };
