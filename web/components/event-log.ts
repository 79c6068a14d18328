/**
 * A run's event log with two filters: the lowest log level shown (log events carry
 * `payload.level`: debug, info, warn, error) and the event type. Every value is text; payloads that
 * are not a log line show as compact JSON.
 */
import { useState } from "preact/hooks";
import { html } from "../html.ts";
import type { ApiEvent } from "../../core/ui-api.ts";
import { fmtBytes, fmtCount, fmtDuration, fmtTime, fmtValue } from "../detail/format.ts";

/** Rows rendered at most (the newest); a long run's log stays responsive. */
const MAX_SHOWN = 2000;

export const LEVELS = ["debug", "info", "warn", "error"] as const;

/** The level of an event: a log event's own, `error` for failures, `warn` for retries and cancels, else `info`. */
export function eventLevel(e: ApiEvent): string {
  if (e.type === "log") {
    const l = String(e.payload.level ?? "info").toLowerCase();
    return l === "warning" ? "warn" : (LEVELS as readonly string[]).includes(l) ? l : "info";
  }
  if (e.type === "step_failed" || (e.type === "run_finished" && e.payload.status === "failed")) return "error";
  if (e.type === "check_evaluation" && e.payload.passed === false) return e.payload.severity === "warn" ? "warn" : "error";
  if (e.type === "step_retry" || e.type === "step_canceled" || e.type === "schema_change") return "warn";
  return "info";
}

/** The one-line text of an event: a log's message, a failure's error, a short summary of the known events, else its payload as JSON. */
export function eventText(e: ApiEvent): string {
  const p = e.payload;
  const n = (v: unknown) => (typeof v === "number" ? v : null);
  switch (e.type) {
    case "log":
      return fmtValue(p.message);
    case "run_started":
      return [p.selection !== undefined ? `selection ${fmtValue(p.selection)}` : "", n(p.steps) !== null ? `${p.steps} steps` : "", p.trigger ? `trigger ${fmtValue(p.trigger)}` : ""].filter(Boolean).join(", ");
    case "run_finished":
      return [fmtValue(p.status), n(p.durationMs) !== null ? `in ${fmtDuration(n(p.durationMs))}` : ""].filter(Boolean).join(" ");
    case "step_success":
      return [n(p.rows) !== null ? `${fmtCount(n(p.rows))} rows` : "", n(p.durationMs) !== null ? `in ${fmtDuration(n(p.durationMs))}` : "", n(p.attempts) !== null && n(p.attempts)! > 1 ? `after ${p.attempts} attempts` : ""].filter(Boolean).join(" ");
    case "materialization": {
      const meta = Object.entries((p.metadata as Record<string, unknown> | null) ?? {}).filter(([k]) => !k.startsWith("dagx/"));
      return [n(p.rows) !== null ? `${fmtCount(n(p.rows))} rows` : "", n(p.bytes) !== null ? fmtBytes(n(p.bytes)) : "", p.path ? `→ ${fmtValue(p.path)}` : "", meta.length ? `(${meta.map(([k, v]) => `${k}: ${fmtValue(v)}`).join(", ")})` : ""].filter(Boolean).join(" ");
    }
  }
  if (typeof p.error === "string") return p.error;
  if (typeof p.reason === "string") return p.reason;
  return Object.keys(p).length ? fmtValue(p) : "";
}

/** The log table; `events` in seq order. */
export function EventLog({ events }: { events: ApiEvent[] }) {
  const [level, setLevel] = useState("debug");
  const [type, setType] = useState("");
  const types = [...new Set(events.map((e) => e.type))].sort();
  const min = LEVELS.indexOf(level as (typeof LEVELS)[number]);
  const shown = events.filter((e) => (!type || e.type === type) && LEVELS.indexOf(eventLevel(e) as (typeof LEVELS)[number]) >= min);
  return html`<div class="event-log">
    <div class="filters">
      <label>Level <select name="level" value=${level} onChange=${(e: Event) => setLevel((e.target as HTMLSelectElement).value)}>
        ${LEVELS.map((l) => html`<option value=${l}>${l === "debug" ? "all levels" : `${l} and above`}</option>`)}
      </select></label>
      <label>Type <select name="type" value=${type} onChange=${(e: Event) => setType((e.target as HTMLSelectElement).value)}>
        <option value="">all types</option>
        ${types.map((t) => html`<option value=${t}>${t}</option>`)}
      </select></label>
      <span class="muted">${shown.length} of ${events.length} events${shown.length > MAX_SHOWN ? `, the last ${MAX_SHOWN} shown` : ""}</span>
    </div>
    <table class="data events">
      <thead><tr><th>#</th><th>time</th><th>level</th><th>type</th><th>asset</th><th>message</th></tr></thead>
      <tbody>
        ${shown.slice(-MAX_SHOWN).map(
          (e) => html`<tr class=${`ev lvl-${eventLevel(e)}`} data-seq=${e.seq} data-type=${e.type}>
            <td>${e.seq}</td>
            <td class="nowrap">${fmtTime(e.at)}</td>
            <td>${eventLevel(e)}</td>
            <td>${e.type}</td>
            <td>${e.assetKey ?? ""}${e.partitionKey ? ` [${e.partitionKey}]` : ""}</td>
            <td class="msg" title=${Object.keys(e.payload).length ? fmtValue(e.payload) : ""}>${eventText(e)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
