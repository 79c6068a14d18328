/**
 * /assets/<key>: everything about one asset, live. Its definition (description, file:line, code
 * version, group, owners, kinds, tags, up- and downstream), Materialize / Backfill… (plan first),
 * the partition health bar, plots of its numeric metadata, its materialization history, schema and
 * schema changes, checks, what computes it (the Code section: a SQL query, a dbt model with its
 * tests, a Pipes command and script), and a preview of its data.
 */
import "../detail/styles.ts";
import { useState } from "preact/hooks";
import { html } from "../html.ts";
import { useApi } from "../api.ts";
import type { PageProps } from "../routes.ts";
import type { ApiAssetDetail } from "../../core/ui-api.ts";
import { Badge, ErrorBox, Facts, Section } from "../detail/ui.ts";
import { assetApi, assetHref, fmtTags, fmtTime, shortId } from "../detail/format.ts";
import { HealthBar } from "../components/health-bar.ts";
import { AssetActions } from "../detail/asset-actions.ts";
import { AssetMetrics } from "../detail/asset-metrics.ts";
import { History, Schema } from "../detail/asset-history.ts";
import { Checks } from "../detail/asset-checks.ts";
import { Preview } from "../detail/asset-preview.ts";
import { AssetCode } from "../detail/asset-code.ts";

const TOPICS = ["assets", "runs", "definitions"] as const;

function links(keys: string[]) {
  return keys.length ? keys.map((k, i) => html`${i ? ", " : ""}<a href=${assetHref(k)}>${k}</a>`) : "—";
}

/** Keyed by the asset, so its state (the partition box) starts fresh on another asset. */
export function AssetPage(props: PageProps) {
  return html`<${AssetDetail} key=${props.param} ...${props} />`;
}

function AssetDetail({ param }: PageProps) {
  const { data, error } = useApi<ApiAssetDetail>(param ? assetApi(param) : null, TOPICS);
  const [partitions, setPartitions] = useState("");
  if (!data) return error ? html`<h1>${param}</h1><${ErrorBox} error=${error} />` : html`<p class="muted">Loading ${param}…</p>`;
  const a = data.asset;
  const partitioned = a.partitionsDefinition !== null;
  return html`<div class="asset-page" data-key=${a.key} data-status=${a.status}>
    <div class="page-head">
      <h1>${a.key}</h1>
      <${Badge} status=${a.status} />
      ${a.runningRuns.map((id) => html`<a class="muted" href=${`/runs/${encodeURIComponent(id)}`}>running: ${shortId(id)}</a>`)}
    </div>
    ${a.description ? html`<p class="description">${a.description}</p>` : null}
    ${a.causes.length ? html`<ul class="causes">${a.causes.map((c) => html`<li>${c}</li>`)}</ul>` : null}
    <${ErrorBox} error=${error} />
    <${AssetActions} asset=${a} partitions=${partitions} setPartitions=${setPartitions} />
    <${Facts}
      rows=${[
        ["location", html`<code>${a.location}</code>`],
        ["code version", html`<code>${a.codeVersion}</code>`],
        ...(a.step
          ? [["step", html`one step with ${links(a.step.outs.filter((k) => k !== a.key))}${a.step.canSubset ? " (runs only the selected ones)" : " (always runs them all)"}`]]
          : []),
        ["group", a.group ?? "—"],
        ["owners", a.owners.join(", ") || "—"],
        ["kinds", a.kinds.join(", ") || "—"],
        ["tags", fmtTags(a.tags) || "—"],
        ["upstream", links(a.deps)],
        ["downstream", links(a.downstream)],
        ["partitions", a.partitionsDefinition ?? "—"],
        ["freshness", a.freshness ? `${a.freshness.state}: ${a.freshness.reason}` : "—"],
        ["last materialized", a.lastMaterialization ? html`${fmtTime(a.lastMaterialization.at)} (<a href=${`/runs/${encodeURIComponent(a.lastMaterialization.runId)}`}>run</a>)` : "never"],
        ["last failure", a.lastFailure ? html`${fmtTime(a.lastFailure.at)}: ${a.lastFailure.error} (<a href=${`/runs/${encodeURIComponent(a.lastFailure.runId)}`}>run</a>)` : "—"],
      ]}
    />
    ${partitioned
      ? html`<${Section} title="Partitions" id="partitions">
          <${HealthBar} assetKey=${a.key} onPick=${(first: string, last: string) => setPartitions(first === last ? first : `${first}..${last}`)} />
        <//>`
      : null}
    <${Section} title="Code" id="code"><${AssetCode} assetKey=${a.key} partition=${partitions} materializedAt=${a.lastMaterialization?.at ?? null} latest=${data.checks.latest} /><//>
    <${Section} title="Metrics" id="metrics"><${AssetMetrics} history=${data.history} partitioned=${partitioned} /><//>
    <${Section} title="Materializations" id="history"><${History} history=${data.history} partitioned=${partitioned} /><//>
    <${Section} title="Schema" id="schema"><${Schema} history=${data.history} /><//>
    <${Section} title="Checks" id="checks"><${Checks} checks=${data.checks} /><//>
    <${Section} title="Data preview" id="preview"><${Preview} assetKey=${a.key} materializedAt=${a.lastMaterialization?.at ?? data.history[0]?.at ?? null} /><//>
  </div>`;
}
