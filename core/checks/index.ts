/** Asset checks: definitions, built-ins, their SQL, load-time resolution, outcomes. */
export { check, checkTimeoutMs, DEFAULT_CHECK_TIMEOUT_MS, isCheckDef } from "./define.ts";
export { acceptedValues, expr, isBuiltinCheck, notNull, rowCount, unique } from "./builtins.ts";
export { builtinCheckSql, quoteIdent, SAMPLE_SIZE, type BuiltinCheckSql, type CheckQuery } from "./sql.ts";
export { checkSpec, isCheckSpec, reportedCheckResults, rerunOf, UNDECLARED_CHECK, withRerun, type ReportTarget } from "./reported.ts";
export { attachCheckExports, builtinChecksOf } from "./resolve.ts";
export { blockedReason, countResults, isErrorFailure } from "./outcome.ts";
export * from "./types.ts";
