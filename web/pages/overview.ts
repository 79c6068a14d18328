/**
 * / — the overview (GET /api/overview): assets by status (each count links to the catalog filtered
 * on it), failed runs, running work, failing checks, overdue freshness and undelivered alerts, each
 * linking to its page; asset files that failed to load (GET /api/meta). Live on every topic it shows.
 */
import { html } from "../html.ts";
import { useApi } from "../api.ts";
import type { PageProps } from "../routes.ts";
import type { ApiMeta, ApiOverview, ApiRun, ChangeTopic } from "../../core/ui-api.ts";
import { ErrorBox } from "../components/error-box.ts";
import { ASSET_STATUSES, StatusBadge } from "../components/status.ts";
import { ago, when } from "../components/format.ts";
import { assetHref } from "./assets.ts";

const TOPICS: readonly ChangeTopic[] = ["runs", "assets", "definitions", "alerts", "backfills"];
const META_TOPICS: readonly ChangeTopic[] = ["definitions"];

/** Asset files that failed to load (the rest of the project still serves). */
function LoadErrors({ meta }: { meta: ApiMeta | null }) {
  if (!meta?.loadErrors.length) return null;
  return html`<div class="error-box load-errors" role="alert" data-load-errors=${meta.loadErrors.length}>
    <div class="error-message">${meta.loadErrors.length === 1 ? "An asset file failed to load" : `${meta.loadErrors.length} asset files failed to load`}: its assets are missing from every page</div>
    <ul>${meta.loadErrors.map((e) => html`<li><code>${e.file}${e.line ? `:${e.line}` : ""}</code> ${e.message}</li>`)}</ul>
  </div>`;
}

const runHref = (id: string) => `/runs/${encodeURIComponent(id)}`;
/** The last 8 characters of a run id, as `dagx status` prints them (run ids are UUIDv7: their first characters are a timestamp, the same for runs started close together). */
const shortId = (id: string) => id.slice(-8);

function Panel({ title, n, id, children }: { title: string; n: number; id: string; children: unknown }) {
  return html`<div class="panel" data-panel=${id} data-count=${n}>
    <h2>${title} <span class="n">${n}</span></h2>
    ${children}
  </div>`;
}

function RunList({ runs, none }: { runs: ApiRun[]; none: string }) {
  if (!runs.length) return html`<div class="none">${none}</div>`;
  return html`<ul>${runs.map(
    (r) => html`<li data-run-id=${r.runId}>
      <${StatusBadge} status=${r.status} />
      <a class="mono" href=${runHref(r.runId)}>${shortId(r.runId)}</a>
      <span class="grow" title=${r.selection}>${r.selection}</span>
      <span class="muted">${r.trigger}</span>
      <span class="muted" title=${when(r.endedAt ?? r.startedAt)}>${ago(r.endedAt ?? r.startedAt)}</span>
    </li>`,
  )}</ul>`;
}

export function OverviewPage(_props: PageProps) {
  const { data, error } = useApi<ApiOverview>("/api/overview", TOPICS);
  const meta = useApi<ApiMeta>("/api/meta", META_TOPICS).data;
  if (!data) return html`<section class="overview-page"><${ErrorBox} error=${error} />${error ? null : html`<p class="muted">Loading…</p>`}</section>`;
  const total = ASSET_STATUSES.reduce((n, s) => n + data.assets[s], 0);
  return html`<section class="overview-page" data-ready="true">
    <${ErrorBox} error=${error} />
    <${LoadErrors} meta=${meta} />
    <div class="cards">
      <a class="card" href="/assets" data-status="all"><span class="n">${total}</span><span class="label">assets</span></a>
      ${ASSET_STATUSES.map(
        (s) => html`<a class=${`card status-${s}`} href=${`/assets?status=${s}`} data-status=${s}><span class="n">${data.assets[s]}</span><span class="label">${s}</span></a>`,
      )}
    </div>
    <div class="panels">
      <${Panel} title="Failed runs" n=${data.failedRuns.length} id="failed-runs"><${RunList} runs=${data.failedRuns} none="No failed run" /></${Panel}>
      <${Panel} title="Running" n=${data.runningRuns.length} id="running"><${RunList} runs=${data.runningRuns} none="Nothing running" /></${Panel}>
      <${Panel} title="Failing checks" n=${data.failingChecks.length} id="failing-checks">
        ${data.failingChecks.length
          ? html`<ul>${data.failingChecks.map(
              (c) => html`<li data-check=${`${c.key}:${c.check}`}>
                <span class=${c.severity === "warn" ? "chk-warned" : "chk-failed"}>${c.severity === "warn" ? "!" : "✗"}</span>
                <a href=${assetHref(c.key)}>${c.key}</a>
                <span class="grow" title=${c.error ?? ""}>${c.check}${c.partition ? ` [${c.partition}]` : ""}${c.error ? ` — ${c.error}` : ""}</span>
                <span class="muted" title=${when(c.at)}>${ago(c.at)}</span>
              </li>`,
            )}</ul>`
          : html`<div class="none">No failing check</div>`}
      </${Panel}>
      <${Panel} title="Overdue freshness" n=${data.overdue.length} id="overdue">
        ${data.overdue.length
          ? html`<ul>${data.overdue.map((o) => html`<li data-asset=${o.key}><a href=${assetHref(o.key)}>${o.key}</a><span class="grow muted" title=${o.reason}>${o.reason}</span></li>`)}</ul>`
          : html`<div class="none">Nothing overdue</div>`}
      </${Panel}>
      ${data.alertFailures.length
        ? html`<${Panel} title="Undelivered alerts" n=${data.alertFailures.length} id="alert-failures">
            <ul>${data.alertFailures.map((a) => html`<li><span class="muted">${a.kind}</span><span class="grow" title=${a.message}>${a.message}</span><span class="muted" title=${when(a.at)}>${ago(a.at)}</span></li>`)}</ul>
          </${Panel}>`
        : null}
    </div>
  </section>`;
}
