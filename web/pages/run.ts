/**
 * /runs/<id>: the run's header (status, trigger, selection, times, tags, config), the Gantt of its
 * steps, and its event log with a level filter, all live (the tail fetches only new events), with
 * Cancel while it runs.
 */
import "../detail/styles.ts";
import { useState } from "preact/hooks";
import { html } from "../html.ts";
import { post, ApiRequestError } from "../api.ts";
import type { PageProps } from "../routes.ts";
import { useNow, useRunTail } from "../detail/run-tail.ts";
import { Badge, ErrorBox, Facts, Section } from "../detail/ui.ts";
import { assetHref, fmtDuration, fmtTags, fmtTime, fmtValue, spanMs } from "../detail/format.ts";
import { Gantt } from "../components/gantt.ts";
import { EventLog } from "../components/event-log.ts";

/** Keyed by the run id, so a cancel in progress never carries over to another run. */
export function RunPage(props: PageProps) {
  return html`<${RunDetail} key=${props.param} ...${props} />`;
}

function RunDetail({ param }: PageProps) {
  const { run, events, error, refresh } = useRunTail(param);
  const now = useNow(run?.status === "running");
  const [cancelState, setCancelState] = useState<{ busy: boolean; error: Error | null }>({ busy: false, error: null });
  if (!run) return error ? html`<h1>Run ${param}</h1><${ErrorBox} error=${error} />` : html`<p class="muted">Loading run…</p>`;

  async function cancel() {
    setCancelState({ busy: true, error: null });
    try {
      await post(`/api/runs/${encodeURIComponent(param)}/cancel`);
      setCancelState({ busy: false, error: null });
      refresh();
    } catch (e) {
      setCancelState({ busy: false, error: e instanceof Error ? e : new ApiRequestError(0, "NETWORK", String(e)) });
    }
  }

  const failures = events.filter((e) => e.type === "step_failed");
  return html`<div class="run-page" data-run-id=${run.runId} data-status=${run.status}>
    <div class="page-head">
      <h1>Run <code>${run.runId}</code></h1>
      <${Badge} status=${run.status} />
      ${run.status === "running"
        ? html`<button type="button" class="danger" data-action="cancel" disabled=${cancelState.busy} onClick=${cancel}>${cancelState.busy ? "Canceling…" : "Cancel"}</button>`
        : null}
    </div>
    <${ErrorBox} error=${cancelState.error ?? error} />
    <${Facts}
      rows=${[
        ["trigger", run.trigger],
        ["selection", html`<code>${run.selection}</code>`],
        ["started", fmtTime(run.startedAt)],
        ["ended", fmtTime(run.endedAt)],
        ["duration", fmtDuration(spanMs(run.startedAt, run.endedAt, now))],
        ["assets", run.assets?.length ? run.assets.map((k, i) => html`${i ? ", " : ""}<a href=${assetHref(k)}>${k}</a>`) : "—"],
        ["tags", fmtTags(run.tags) || "—"],
        ["process", run.pid !== null ? `pid ${run.pid}${run.host ? ` on ${run.host}` : ""}` : "—"],
        ["config", run.config ? html`<code class="wrap">${fmtValue(run.config)}</code>` : "—"],
      ]}
    />
    ${failures.length
      ? html`<div class="error-box run-failures">${failures.slice(0, 10).map((e) => html`<div data-step-key=${e.assetKey}><strong>${e.assetKey}${e.partitionKey ? ` [${e.partitionKey}]` : ""}</strong>: ${typeof e.payload.error === "string" ? e.payload.error : "failed"}</div>`)}${failures.length > 10 ? html`<div>… ${failures.length - 10} more failed steps</div>` : null}</div>`
      : null}
    <${Section} title="Steps" id="gantt">
      <${Gantt} events=${events} now=${now} runStart=${run.startedAt} runEnd=${run.endedAt} />
    <//>
    <${Section} title="Events" id="events">
      <${EventLog} events=${events} />
    <//>
  </div>`;
}
