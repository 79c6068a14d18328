/**
 * What a Pipes process reported, folded message by message: the pure half of the runner
 * (io/pipes tails the file and feeds each line here). Every message also gives the log lines the
 * run shows for it.
 */
import { pipesMetadataToDagx } from "./metadata.ts";
import { parsePipesLine } from "./messages.ts";
import type { PipesException } from "./protocol.ts";

/** A reported materialization, in dagx's terms. */
export interface PipesMaterialization {
  assetKey: string;
  dataVersion: string | null;
  metadata: Record<string, unknown>;
}

/** A check result the script reported (recorded as data; see docs/pipes.md for what is recorded today). */
export interface PipesCheckReport {
  assetKey: string;
  checkName: string;
  passed: boolean;
  severity: "error" | "warn";
  metadata: Record<string, unknown>;
}

/** Everything the process said. */
export interface PipesReport {
  opened: boolean;
  /** Null until `closed` arrives; then the exception it carried, or null for a clean close. */
  closed: { exception: PipesException | null } | null;
  materialization: PipesMaterialization | null;
  checks: PipesCheckReport[];
  customMessages: unknown[];
  /** Lines that were not valid messages, and messages dagx could not accept. */
  problems: string[];
}

export interface PipesLogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
}

export function emptyPipesReport(): PipesReport {
  return { opened: false, closed: null, materialization: null, checks: [], customMessages: [], problems: [] };
}

const LEVELS: Readonly<Record<string, PipesLogLine["level"]>> = {
  DEBUG: "debug",
  INFO: "info",
  WARN: "warn",
  WARNING: "warn",
  ERROR: "error",
  CRITICAL: "error",
  FATAL: "error",
};

/**
 * Apply one line of the messages file to `report` (mutated) for the step of `assetKey`; returns
 * the log lines to show.
 */
export function applyPipesLine(report: PipesReport, assetKey: string, line: string): PipesLogLine[] {
  const parsed = parsePipesLine(line);
  if (parsed === null) return [];
  const problem = (p: string): PipesLogLine[] => {
    report.problems.push(p);
    return [{ level: "warn", message: `Pipes: ignored a message: ${p}` }];
  };
  if (!parsed.ok) return problem(parsed.problem);
  const m = parsed.message;
  const otherKey = (k: string | null) => k !== null && k !== assetKey;
  switch (m.method) {
    case "opened":
      report.opened = true;
      return [];
    case "closed":
      report.closed = { exception: m.exception };
      if (!m.exception) return [];
      // SystemExit is how a Python script ends early; its exit code says whether it failed
      return [{ level: m.exception.name === "SystemExit" ? "info" : "error", message: `Pipes: closed with ${describePipesException(m.exception)}` }];
    case "log":
      return [{ level: LEVELS[m.level.toUpperCase()] ?? "info", message: m.message }];
    case "log_external_stream":
      return m.text === "" ? [] : m.text.replace(/\n$/, "").split("\n").map((message) => ({ level: m.stream === "stderr" ? "warn" : "info", message }));
    case "report_custom_message":
      report.customMessages.push(m.payload);
      return [{ level: "debug", message: `Pipes: custom message ${clip(JSON.stringify(m.payload) ?? "null")}` }];
    case "report_asset_materialization": {
      if (otherKey(m.assetKey)) return problem(`report_asset_materialization for "${m.assetKey}", but this step materializes "${assetKey}"`);
      if (report.materialization) return problem(`a second report_asset_materialization for "${assetKey}" (the first one counts)`);
      const { metadata, problems } = pipesMetadataToDagx(m.metadata);
      report.materialization = { assetKey, dataVersion: m.dataVersion, metadata };
      const lines: PipesLogLine[] = problems.map((p) => ({ level: "warn", message: `Pipes: ${p}` }));
      lines.push({ level: "info", message: `Pipes: reported a materialization${m.dataVersion ? ` (data version ${m.dataVersion})` : ""}${Object.keys(metadata).length ? ` with ${Object.keys(metadata).join(", ")}` : ""}` });
      return lines;
    }
    case "report_asset_check": {
      if (otherKey(m.assetKey)) return problem(`report_asset_check "${m.checkName}" for "${m.assetKey}", but this step materializes "${assetKey}"`);
      const { metadata } = pipesMetadataToDagx(m.metadata);
      const severity = m.severity === "WARN" ? "warn" : "error";
      report.checks.push({ assetKey, checkName: m.checkName, passed: m.passed, severity, metadata });
      return [{ level: m.passed ? "info" : severity, message: `Pipes: check "${m.checkName}" ${m.passed ? "passed" : "failed"}${m.passed ? "" : ` (severity ${severity})`}` }];
    }
  }
}

/**
 * `Name: message` of a reported exception. Python's client sends the message already formatted
 * that way (`format_exception_only`): the name is then not repeated.
 */
export function describePipesException(e: PipesException): string {
  const message = e.message.trim();
  if (!e.name) return message;
  if (message === "") return e.name;
  return message === e.name || message.startsWith(`${e.name}:`) ? message : `${e.name}: ${message}`;
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}
