/**
 * The schedules and sensors pages (one component, two kinds): each instigator with its status,
 * next tick (schedules), last tick, cursor (sensors), targets and Start/Stop; a click on a name
 * opens its tick history (GET /api/ticks?name=, `?name=` in the page URL). Live.
 */
import { useState } from "preact/hooks";
import { Cron } from "croner";
import { html } from "../html.ts";
import { post, useApi, ApiRequestError } from "../api.ts";
import { navigate } from "../main.ts";
import type { ApiInstigators, ApiTicks } from "../../core/ui-api.ts";
import { Badge, ErrorBox, Section } from "./ui.ts";
import { assetHref, fmtDuration, fmtTime, fmtValue } from "./format.ts";

interface Tick {
  tickAt: string;
  evaluatedAt: string;
  status: string;
  reason: string | null;
  requestIds: string[];
}

/** A row of `dagx schedules list --json` or `dagx sensors list --json`. */
export interface InstigatorDoc {
  name: string;
  status: "running" | "stopped";
  assets: string[];
  lastTick: Tick | null;
  location: string;
  cron?: string;
  timezone?: string;
  partitions?: string;
  overlap?: string;
  catchUp?: string;
  nextTick?: string | null;
  intervalMs?: number;
  timeoutMs?: number;
  cursor?: string | null;
}

/** The next `n` ticks of a cron, computed here by croner with the daemon's options (paused: times only). */
export function nextTicks(cron: string, timezone: string | undefined, n: number, from = new Date()): Date[] {
  try {
    return new Cron(cron, { ...(timezone ? { timezone } : {}), paused: true }).nextRuns(n, from);
  } catch {
    return [];
  }
}

function TickHistory({ name }: { name: string }) {
  const { data, error } = useApi<ApiTicks>(`/api/ticks?name=${encodeURIComponent(name)}&limit=100`, ["instigators", "runs"]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!data) return html`<p class="muted">Loading ticks…</p>`;
  if (!data.ticks.length) return html`<p class="muted">No ticks yet.</p>`;
  return html`<table class="data ticks">
    <thead><tr><th>tick</th><th>evaluated</th><th>status</th><th>reason</th><th>requests</th></tr></thead>
    <tbody>
      ${data.ticks.map(
        (t) => html`<tr class="tick-row" data-status=${t.status}>
          <td class="nowrap">${fmtTime(t.tickAt)}</td>
          <td class="nowrap">${fmtTime(t.evaluatedAt)}</td>
          <td><${Badge} status=${t.status} /></td>
          <td>${t.reason ?? ""}</td>
          <td><code>${t.requestIds.join(", ")}</code></td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

export function InstigatorsPage({ kind, selected }: { kind: "schedules" | "sensors"; selected: string | null }) {
  const { data, error, reload } = useApi<ApiInstigators>(`/api/${kind}`, ["instigators"]);
  const [action, setAction] = useState<{ busy: string; error: Error | null }>({ busy: "", error: null });
  const list = ((kind === "schedules" ? data?.schedules : data?.sensors) ?? []) as InstigatorDoc[];
  const title = kind === "schedules" ? "Schedules" : "Sensors";
  const current = list.find((s) => s.name === selected);

  async function toggle(name: string, verb: "start" | "stop") {
    setAction({ busy: name, error: null });
    try {
      await post(`/api/${kind}/${encodeURIComponent(name)}/${verb}`);
      setAction({ busy: "", error: null });
      reload();
    } catch (e) {
      setAction({ busy: "", error: e instanceof Error ? e : new ApiRequestError(0, "NETWORK", String(e)) });
    }
  }

  return html`<div class=${`${kind}-page`}>
    <h1>${title}</h1>
    <${ErrorBox} error=${action.error ?? error} />
    ${!data
      ? error ? null : html`<p class="muted">Loading…</p>`
      : !list.length
        ? html`<p class="muted">No ${kind} defined in this project.</p>`
        : html`<table class="data instigators">
            <thead><tr><th>name</th><th>status</th>${kind === "schedules" ? html`<th>cron</th><th>next tick</th>` : html`<th>interval</th><th>cursor</th>`}<th>last tick</th><th>targets</th><th></th></tr></thead>
            <tbody>
              ${list.map(
                (s) => html`<tr class="instigator-row" data-name=${s.name} data-status=${s.status}>
                  <td><a href=${`/${kind}?name=${encodeURIComponent(s.name)}`}>${s.name}</a><div class="muted small">${s.location}</div></td>
                  <td><${Badge} status=${s.status} /></td>
                  ${kind === "schedules"
                    ? html`<td><code>${s.cron}</code>${s.timezone ? html` <span class="muted">${s.timezone}</span>` : null}</td><td class="nowrap">${s.status === "running" ? fmtTime(s.nextTick ?? null) : html`<span class="muted">stopped (${fmtTime(s.nextTick ?? null)})</span>`}</td>`
                    : html`<td>${fmtDuration(s.intervalMs ?? null)}</td><td><code class="wrap">${s.cursor === null || s.cursor === undefined ? "—" : fmtValue(s.cursor)}</code></td>`}
                  <td>${s.lastTick ? html`${fmtTime(s.lastTick.tickAt)} <${Badge} status=${s.lastTick.status} />${s.lastTick.reason ? html`<div class="muted small">${s.lastTick.reason}</div>` : null}` : "—"}</td>
                  <td>${s.assets.map((k, i) => html`${i ? ", " : ""}<a href=${assetHref(k)}>${k}</a>`)}${s.partitions ? html` <span class="muted">(${s.partitions})</span>` : null}</td>
                  <td>${s.status === "running"
                    ? html`<button type="button" class="secondary" data-action="stop" disabled=${action.busy === s.name} onClick=${() => toggle(s.name, "stop")}>Stop</button>`
                    : html`<button type="button" data-action="start" disabled=${action.busy === s.name} onClick=${() => toggle(s.name, "start")}>Start</button>`}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
    ${selected
      ? html`<${Section} title=${`Ticks of ${selected}`} id="ticks">
          <p><a href=${`/${kind}`} onClick=${(e: Event) => (e.preventDefault(), navigate(`/${kind}`))}>close</a></p>
          ${kind === "schedules" && current?.cron
            ? html`<p class="next-ticks">Next ticks: ${nextTicks(current.cron, current.timezone, 5).map((d, i) => html`${i ? ", " : ""}<span class="nowrap">${fmtTime(d.toISOString())}</span>`)}</p>`
            : null}
          <${TickHistory} name=${selected} />
        <//>`
      : null}
  </div>`;
}
