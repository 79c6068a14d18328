/** JSON answers of the API and how errors become them (core/ui-api.ts `ApiError`). */
import { DagxError, SelectionError } from "../../../core/errors.ts";
import type { ApiError } from "../../../core/ui-api.ts";
import { redact } from "../../secrets/index.ts";

/** A JSON answer (secrets the process knows are redacted from the text). */
export function json(data: unknown, status = 200): Response {
  return new Response(redact(JSON.stringify(data)), { status, headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" } });
}

/** An error answer: `{ error: { code, message, pointer? } }`. */
export function apiError(status: number, code: string, message: string, pointer?: string): Response {
  const body: ApiError = { error: { code, message, ...(pointer === undefined ? {} : { pointer }) } };
  return json(body, status);
}

const STATUS_OF: Partial<Record<string, number>> = {
  NOT_FOUND: 404,
  USAGE: 400,
  RUN_CONFIG: 400,
  SELECTION_SYNTAX: 400,
  SELECTION_UNKNOWN: 400,
  STATE_STORE: 503,
  NOT_IMPLEMENTED: 501,
};

/** An exception as an answer: a DagxError keeps its code and message (a selection error its caret pointer); anything else is a 500 without its stack. */
export function errorResponse(e: unknown): Response {
  if (e instanceof SelectionError) return apiError(400, e.code, e.message, e.pointer);
  if (e instanceof DagxError) {
    // the project or the state is not in a state to do it (definitions, a missing upstream): 409;
    // another usage-class error (exit 2 in the CLI): 400; a failure (exit 1): 500
    const conflict = e.code.startsWith("DEFINITION") || e.code === "CONFIG_INVALID" || e.code === "MISSING_UPSTREAM";
    return apiError(STATUS_OF[e.code] ?? (conflict ? 409 : e.exitCode === 2 ? 400 : 500), e.code, e.message);
  }
  return apiError(500, "INTERNAL", `Internal error: ${e instanceof Error ? e.message : String(e)}`);
}

/** A query parameter as a whole number within [min, max], else `fallback`. */
export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new DagxError("USAGE", `Invalid ${name} "${raw}": expected a whole number ${min}…${max}`);
  return n;
}
