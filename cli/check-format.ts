/** How check results print: one line per failed check (plus a sample line), and the §8 JSON shape. */
import type { CheckResult } from "../core/types.ts";
import { type Colors, groupDigits } from "./output.ts";

/** `unique(id) of orders [2024-01-01]` */
export function checkLabel(r: CheckResult): string {
  return `${r.checkName} of ${r.assetKey}${r.partitionKey ? ` [${r.partitionKey}]` : ""}`;
}

/** What failed, in words: the error, or the counts of a built-in, or the metadata of a check function. */
export function checkDetail(r: CheckResult): string {
  if (r.error) return r.error;
  const m = r.metadata;
  const n = (v: unknown) => groupDigits(Number(v));
  if (typeof m.duplicateRows === "number") return `${n(m.failing)} duplicated value(s) in ${n(m.duplicateRows)} of ${n(m.rows)} rows`;
  if (typeof m.failing === "number" && typeof m.rows === "number") return `${n(m.failing)} of ${n(m.rows)} rows fail`;
  if (typeof m.rows === "number" && ("min" in m || "max" in m)) {
    return `${n(m.rows)} rows, expected ${[m.min !== undefined ? `at least ${n(m.min)}` : "", m.max !== undefined ? `at most ${n(m.max)}` : ""].filter(Boolean).join(" and ")}`;
  }
  const keys = Object.keys(m);
  return keys.length ? clip(JSON.stringify(m), 160) : "returned false";
}

/** Lines for a failed check (none when it passed): `✗ check unique(id) of orders failed: …` and its sample. */
export function checkFailureLines(r: CheckResult, c: Colors, indent = ""): string[] {
  if (r.passed) return [];
  const warn = r.severity === "warn";
  const mark = warn ? c.yellow("!") : c.red("✗");
  const verb = warn ? c.yellow("warned") : c.red("failed");
  const blocks = r.blocking && !warn ? c.dim(" (blocking)") : "";
  const lines = [`${indent}${mark} check ${c.bold(r.checkName)} of ${r.assetKey}${r.partitionKey ? ` [${r.partitionKey}]` : ""} ${verb}${blocks}: ${checkDetail(r)}`];
  if (r.sample?.length) lines.push(`${indent}  ${c.dim(`sample: ${clip(r.sample.map((row) => JSON.stringify(row)).join(", "), 200)}`)}`);
  return lines;
}


function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
