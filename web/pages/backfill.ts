/** /backfills/<id>: one backfill's progress (overall and per asset, per partition), with Cancel and Resume; live. */
import "../detail/styles.ts";
import { useState } from "preact/hooks";
import { html } from "../html.ts";
import { post, useApi, ApiRequestError } from "../api.ts";
import { navigate } from "../main.ts";
import type { PageProps } from "../routes.ts";
import { Badge, ErrorBox, Facts, ProportionBar, Section } from "../detail/ui.ts";
import { fmtTime, shortId } from "../detail/format.ts";
import { countParts, PerAsset, type BackfillDoc } from "../detail/backfill-progress.ts";

export function BackfillPage({ param }: PageProps) {
  const path = `/api/backfills/${encodeURIComponent(param)}`;
  const { data, error, reload } = useApi<BackfillDoc>(param ? path : null, ["backfills", "runs"]);
  const [action, setAction] = useState<{ busy: string; error: Error | null }>({ busy: "", error: null });
  if (!data) return error ? html`<h1>Backfill ${param}</h1><${ErrorBox} error=${error} />` : html`<p class="muted">Loading backfill…</p>`;

  async function act(verb: "cancel" | "resume") {
    setAction({ busy: verb, error: null });
    try {
      const r = await post<{ backfillId: string; status: string }>(`${path}/${verb}`);
      setAction({ busy: "", error: null });
      if (r.backfillId && r.backfillId !== param) navigate(`/backfills/${encodeURIComponent(r.backfillId)}`);
      else reload();
    } catch (e) {
      setAction({ busy: "", error: e instanceof Error ? e : new ApiRequestError(0, "NETWORK", String(e)) });
    }
  }

  const c = data.counts;
  const runs = [...new Set((data.steps ?? []).map((s) => s.runId).filter((id): id is string => !!id))];
  const done = c.success + c.failed + c.skipped + c.canceled;
  const resumable = data.status === "failed" || data.status === "canceled" || data.status === "abandoned";
  return html`<div class="backfill-page" data-backfill-id=${data.backfillId} data-status=${data.status}>
    <div class="page-head">
      <h1>Backfill <code>${data.backfillId}</code></h1>
      <${Badge} status=${data.status} />
      ${data.status === "running" ? html`<button type="button" class="danger" data-action="cancel" disabled=${!!action.busy} onClick=${() => act("cancel")}>Cancel</button>` : null}
      ${resumable ? html`<button type="button" class="secondary" data-action="resume" disabled=${!!action.busy} onClick=${() => act("resume")}>Resume</button>` : null}
    </div>
    <${ErrorBox} error=${action.error ?? error} />
    <${Facts}
      rows=${[
        ["selection", html`<code>${data.selection}</code>`],
        ["partitions", html`<code>${data.partitions}</code>`],
        ["created", fmtTime(data.createdAt)],
        ["updated", fmtTime(data.updatedAt)],
        ["progress", `${done} of ${c.total} done: ${c.success} success, ${c.failed} failed, ${c.skipped} skipped, ${c.canceled} canceled, ${c.pending} pending`],
      ]}
    />
    <${ProportionBar} parts=${countParts(c)} total=${c.total} />
    <${Section} title="Per asset" id="per-asset">
      ${data.steps?.length ? html`<${PerAsset} steps=${data.steps} />` : html`<p class="muted">No steps recorded yet.</p>`}
    <//>
    ${runs.length
      ? html`<p class="runs-of">Runs: ${runs.slice(0, 20).map((id, i) => html`${i ? ", " : ""}<a href=${`/runs/${encodeURIComponent(id)}`}><code>${shortId(id)}</code></a>`)}${runs.length > 20 ? ` … ${runs.length - 20} more` : ""}</p>`
      : null}
  </div>`;
}
