/** Load-time check of `alerts` in dagx.config.ts: every field's type, the kinds, the selection's syntax, unique names. */
import { describeValue } from "../describe.ts";
import { parseDuration } from "../duration.ts";
import { type EnvRef, isEnvRef } from "../env.ts";
import { SelectionError } from "../errors.ts";
import { parseSelection, resolveSelection } from "../selection/index.ts";
import type { GraphView } from "../types.ts";
import { didYouMean } from "../suggest.ts";
import { ALERT_KINDS, type NormalizedAlert } from "./records.ts";
import type { AlertKind } from "./types.ts";

const ALERT_KEYS = ["name", "on", "select", "resolved", "retries", "timeout", "webhook", "command"] as const;
const WEBHOOK_KEYS = ["url", "headers"] as const;
/** Most further attempts an alert may ask for: a target that fails ten times is down, and the run's process waits. */
const MAX_RETRIES = 10;
/** Longest attempt: the process that observed the incident waits for it before it exits. */
const MAX_TIMEOUT_MS = 120_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The alerts with defaults filled in, or the first problem (a sentence naming the alert). */
export function parseAlerts(value: unknown): { alerts: NormalizedAlert[] } | { problem: string } {
  if (value === undefined) return { alerts: [] };
  if (!Array.isArray(value)) return { problem: `alerts must be a list, like alerts: [{ on: "run_failure", webhook: env("SLACK_WEBHOOK_URL") }] (got ${describeValue(value)})` };
  const alerts: NormalizedAlert[] = [];
  for (const [i, raw] of value.entries()) {
    const parsed = parseAlert(raw, i);
    if ("problem" in parsed) return parsed;
    if (alerts.some((a) => a.name === parsed.alert.name)) return { problem: `alerts have the name "${parsed.alert.name}" twice: give each a name of its own` };
    alerts.push(parsed.alert);
  }
  return { alerts };
}

function parseAlert(raw: unknown, i: number): { alert: NormalizedAlert } | { problem: string } {
  const at = `alert ${i + 1}`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { problem: `${at} must be an object like { on: "run_failure", webhook: "https://…" } (got ${describeValue(raw)})` };
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(ALERT_KEYS as readonly string[]).includes(key)) return { problem: `${at} has an unknown key "${key}"${didYouMean(key, ALERT_KEYS) || ` — known keys: ${ALERT_KEYS.join(", ")}`}` };
  }
  const hasWebhook = o.webhook !== undefined;
  const hasCommand = o.command !== undefined;
  if (hasWebhook === hasCommand) return { problem: `${at} needs exactly one target: webhook: "https://…" (a JSON POST) or command: ["./notify.sh"]` };
  const kind = hasWebhook ? "webhook" : "command";
  if (o.name !== undefined && (typeof o.name !== "string" || o.name.trim() === "")) return { problem: `${at}: name must be a non-empty string (got ${describeValue(o.name)})` };
  const name = (o.name as string | undefined) ?? `${kind} ${i + 1}`;
  const bad = (problem: string) => ({ problem: `alert "${name}": ${problem}` });
  const on = parseKinds(o.on);
  if (typeof on === "string") return bad(on);
  if (o.select !== undefined) {
    if (typeof o.select !== "string") return bad(`select must be a selection string like "group:finance" (got ${describeValue(o.select)})`);
    try {
      parseSelection(o.select);
    } catch (e) {
      return bad(`select ${(e as Error).message}`);
    }
  }
  if (o.resolved !== undefined && typeof o.resolved !== "boolean") return bad(`resolved must be true or false (got ${describeValue(o.resolved)})`);
  const retries = o.retries ?? 2;
  if (typeof retries !== "number" || !Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) return bad(`retries must be a whole number from 0 to ${MAX_RETRIES} (got ${describeValue(o.retries)})`);
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (o.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(o.timeout as string | number, "timeout");
    } catch (e) {
      return bad((e as Error).message);
    }
    if (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) return bad(`timeout must be between 1ms and 2m (got ${describeValue(o.timeout)})`);
  }
  const target = hasWebhook ? parseWebhook(o.webhook) : parseCommand(o.command);
  if (typeof target === "string") return bad(target);
  return { alert: { name, on, select: (o.select as string | undefined) ?? null, resolved: o.resolved === true, attempts: retries + 1, timeoutMs, target } };
}

function parseKinds(value: unknown): Set<AlertKind> | string {
  const list = typeof value === "string" ? [value] : value;
  const expected = `on must be one of ${ALERT_KINDS.map((k) => `"${k}"`).join(", ")}, or a list of them`;
  if (!Array.isArray(list) || list.length === 0) return `${expected} (got ${describeValue(value)})`;
  for (const k of list) {
    if (typeof k !== "string" || !(ALERT_KINDS as readonly string[]).includes(k)) return `unknown kind ${describeValue(k)} in on${typeof k === "string" ? didYouMean(k, ALERT_KINDS) : ""} — ${expected}`;
  }
  return new Set(list as AlertKind[]);
}

function parseWebhook(value: unknown): NormalizedAlert["target"] | string {
  const o = typeof value === "string" || isEnvRef(value) ? { url: value } : value;
  if (typeof o !== "object" || o === null || Array.isArray(o)) return `webhook must be a URL, env("NAME"), or { url, headers? } (got ${describeValue(value)})`;
  const w = o as Record<string, unknown>;
  for (const key of Object.keys(w)) {
    if (!(WEBHOOK_KEYS as readonly string[]).includes(key)) return `webhook has an unknown key "${key}"${didYouMean(key, WEBHOOK_KEYS) || " — known keys: url, headers"}`;
  }
  if (!isEnvRef(w.url)) {
    if (typeof w.url !== "string") return `webhook url must be a string or env("NAME") (got ${describeValue(w.url)})`;
    // the URL is a secret: the message never quotes it
    if (!/^https?:\/\/[^\s]+$/.test(w.url)) return `webhook url must start with http:// or https:// (the value is not shown: it may be a secret)`;
  }
  const headers = w.headers ?? {};
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) return `webhook headers must be an object like { Authorization: env("ALERT_TOKEN") } (got ${describeValue(headers)})`;
  for (const [h, v] of Object.entries(headers)) {
    if (!HEADER_NAME.test(h)) return `webhook header name ${JSON.stringify(h)} is not a valid HTTP header name`;
    if (typeof v !== "string" && !isEnvRef(v)) return `webhook header "${h}" must be a string or env("NAME") (got ${describeValue(v)})`;
  }
  return { kind: "webhook", url: w.url as string | EnvRef, headers: headers as Record<string, string | EnvRef> };
}

function parseCommand(value: unknown): NormalizedAlert["target"] | string {
  if (!Array.isArray(value) || value.length === 0 || value.some((a) => typeof a !== "string") || value[0] === "") {
    return `command must be a non-empty list of strings, the program and its arguments, like ["./notify.sh", "--channel", "data"] (got ${describeValue(value)})`;
  }
  return { kind: "command", argv: [...(value as string[])] };
}

/**
 * The first alert whose `select` resolves to nothing in `graph` (an unknown asset, group, tag…),
 * as a problem naming it; null when all resolve. Only meaningful when every asset file loaded.
 */
export function alertSelectionProblem(alerts: readonly NormalizedAlert[], graph: GraphView): string | null {
  for (const a of alerts) {
    if (a.select === null) continue;
    try {
      resolveSelection(a.select, graph);
    } catch (e) {
      if (!(e instanceof SelectionError)) throw e;
      return `alert "${a.name}": select ${JSON.stringify(a.select)}: ${e.message.split("\n")[0]}`;
    }
  }
  return null;
}
