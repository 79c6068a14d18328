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
  /** The first materialization reported (of the step's only asset, or of any asset of a multi-asset step). */
  materialization: PipesMaterialization | null;
  /** Every reported materialization, by asset key (one per key: a Pipes multi-asset reports one per out). */
  materializations: Record<string, PipesMaterialization>;
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
  return { opened: false, closed: null, materialization: null, materializations: {}, checks: [], customMessages: [], problems: [] };
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
 * Apply one line of the messages file to `report` (mutated) for the step of `assetKey` (or of the
 * keys of a multi-asset step, whose reports must name their `asset_key`); returns the log lines to show.
 */
export function applyPipesLine(report: PipesReport, assetKey: string | readonly string[], line: string): PipesLogLine[] {
  const keys: readonly string[] = typeof assetKey === "string" ? [assetKey] : assetKey;
  const shown = keys.map((k) => `"${k}"`).join(", ");
  const parsed = parsePipesLine(line);
  if (parsed === null) return [];
  const problem = (p: string): PipesLogLine[] => {
    report.problems.push(p);
    return [{ level: "warn", message: `Pipes: ignored a message: ${p}` }];
  };
  if (!parsed.ok) return problem(parsed.problem);
  const m = parsed.message;
  const otherKey = (k: string | null) => k !== null && !keys.includes(k);
  // a report without asset_key is for the step's only asset
  const keyOf = (k: string | null): string | null => k ?? (keys.length === 1 ? keys[0]! : null);
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
      if (otherKey(m.assetKey)) return problem(`report_asset_materialization for "${m.assetKey}", but this step materializes ${shown}`);
      const key = keyOf(m.assetKey);
      if (key === null) return problem(`report_asset_materialization without asset_key in a step of several assets (${shown}): pass asset_key=`);
      if (report.materializations[key]) return problem(`a second report_asset_materialization for "${key}" (the first one counts)`);
      const { metadata, problems } = pipesMetadataToDagx(m.metadata);
      report.materializations[key] = { assetKey: key, dataVersion: m.dataVersion, metadata };
      report.materialization ??= report.materializations[key]!;
      const lines: PipesLogLine[] = problems.map((p) => ({ level: "warn", message: `Pipes: ${p}` }));
      lines.push({ level: "info", message: `Pipes: reported a materialization${keys.length > 1 ? ` of "${key}"` : ""}${m.dataVersion ? ` (data version ${m.dataVersion})` : ""}${Object.keys(metadata).length ? ` with ${Object.keys(metadata).join(", ")}` : ""}` });
      return lines;
    }
    case "report_asset_check": {
      if (otherKey(m.assetKey)) return problem(`report_asset_check "${m.checkName}" for "${m.assetKey}", but this step materializes ${shown}`);
      const key = keyOf(m.assetKey);
      if (key === null) return problem(`report_asset_check "${m.checkName}" without asset_key in a step of several assets (${shown}): pass asset_key=`);
      const { metadata } = pipesMetadataToDagx(m.metadata);
      const severity = m.severity === "WARN" ? "warn" : "error";
      report.checks.push({ assetKey: key, checkName: m.checkName, passed: m.passed, severity, metadata });
      return [{ level: m.passed ? "info" : severity, message: `Pipes: check "${m.checkName}"${keys.length > 1 ? ` of "${key}"` : ""} ${m.passed ? "passed" : "failed"}${m.passed ? "" : ` (severity ${severity})`}` }];
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
