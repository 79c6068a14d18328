/**
 * Error classes. Every error a user can cause is a `DagxError` with a stable `code`;
 * the CLI prints its message without a stack (unless --verbose) and exits with `exitCode`.
 */

export type DagxErrorCode =
  | "SELECTION_SYNTAX"
  | "SELECTION_UNKNOWN"
  | "DEFINITION_INVALID"
  | "DEFINITION_CYCLE"
  | "DEFINITION_DUPLICATE"
  | "DEFINITION_UNKNOWN_DEP"
  | "DEFINITION_LOAD"
  | "CONFIG_INVALID"
  | "RUN_CONFIG"
  | "PROJECT_UNTRUSTED"
  | "USER_CODE"
  | "UNSUPPORTED_OUTPUT"
  | "MISSING_UPSTREAM"
  | "PATH_ESCAPE"
  | "STATE_STORE"
  | "USAGE"
  | "NOT_FOUND"
  | "OUTPUT_WRITE"
  | "SQL"
  | "PLATFORM"
  | "RESOURCE";

export class DagxError extends Error {
  readonly code: DagxErrorCode;
  /** 2 for usage/definition errors, 1 for run failures. */
  readonly exitCode: number;
  constructor(code: DagxErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DagxError";
    this.code = code;
    this.exitCode = options?.exitCode ?? 2;
  }
}

/** A selection string that does not parse or names unknown assets. */
export class SelectionError extends DagxError {
  constructor(
    message: string,
    readonly selection: string,
    readonly position: number,
    readonly length: number = 1,
    code: "SELECTION_SYNTAX" | "SELECTION_UNKNOWN" = "SELECTION_SYNTAX",
  ) {
    super(code, message);
    this.name = "SelectionError";
  }
  /** The selection with a caret line under the offending token. */
  get pointer(): string {
    return caretLines(this.selection, this.position, this.length);
  }
}

const CARET_CONTEXT = 40;

/**
 * `text` with a caret line under `[position, position + length)`; a long text is cut to a window
 * around the caret (`…` marks the cuts), so a 20 KB selection still gets a two-line pointer.
 */
export function caretLines(text: string, position: number, length = 1): string {
  const from = position > CARET_CONTEXT * 2 ? position - CARET_CONTEXT : 0;
  const to = Math.min(text.length, position + Math.min(Math.max(1, length), CARET_CONTEXT) + CARET_CONTEXT);
  const shown = `${from > 0 ? "…" : ""}${text.slice(from, to)}${to < text.length ? "…" : ""}`;
  const width = Math.max(1, Math.min(length, to - position));
  return `  ${shown}\n  ${" ".repeat(position - from + (from > 0 ? 1 : 0))}${"^".repeat(width)}`;
}

/** Definitions that cannot form a valid graph (cycle, duplicate key, unknown dep, bad option). */
export class DefinitionError extends DagxError {
  constructor(
    code: "DEFINITION_INVALID" | "DEFINITION_CYCLE" | "DEFINITION_DUPLICATE" | "DEFINITION_UNKNOWN_DEP" | "DEFINITION_LOAD",
    message: string,
    readonly location?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = "DefinitionError";
  }
}

/**
 * User code threw: an asset, a check, a sensor, an IO manager, the config (core/user-code.ts makes
 * it). `message` is the user's message with their file:line; the original error is `cause`, its
 * stack kept for --verbose. `detail` (the compiled SQL of a failed ctx.sql) is shown with --verbose.
 */
export class UserCodeError extends DagxError {
  constructor(
    message: string,
    readonly assetKey: string | null,
    readonly partitionKey: string | null,
    readonly runId: string | null,
    /** "file:line:col" relative to the project root, when a frame of the user's was found. */
    readonly location: string | null,
    cause: unknown,
    readonly detail: string | null = null,
  ) {
    super("USER_CODE", message, { cause, exitCode: 1 });
    this.name = "UserCodeError";
  }
}

/** An asset returned a value its IO manager cannot store. */
export class UnsupportedOutputError extends DagxError {
  constructor(message: string) {
    super("UNSUPPORTED_OUTPUT", message, { exitCode: 1 });
    this.name = "UnsupportedOutputError";
  }
}

/**
 * A `ctx.sql` query that failed: DuckDB's error, a parameter that cannot be bound, or a value where
 * SQL needs a name. `site` is an Error captured where the query was written (its stack holds the
 * user's file:line); `detail` is the compiled SQL with its parameters, shown with --verbose.
 */
export class SqlError extends DagxError {
  constructor(
    readonly reason: string,
    readonly site: Error | null = null,
    readonly detail: string | null = null,
    options?: { cause?: unknown },
  ) {
    super("SQL", `ctx.sql failed: ${reason}`, { cause: options?.cause, exitCode: 1 });
    this.name = "SqlError";
  }
}

export class StateStoreError extends DagxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STATE_STORE", message, { ...options, exitCode: 1 });
    this.name = "StateStoreError";
  }
}

/**
 * A daemon's tick was refused because it no longer leads the deployment (another daemon was
 * elected since: its term is newer), or its leadership lapsed before the commit. The daemon
 * stops ticking at once and stands by; nothing of the refused tick was written.
 */
export class NotLeaderError extends StateStoreError {
  constructor(message: string) {
    super(message);
    this.name = "NotLeaderError";
  }
}

export function isDagxError(e: unknown): e is DagxError {
  return e instanceof DagxError;
}
