/**
 * /assets — the catalog: every asset with its group, owners, kinds, tags, status, last
 * materialization, freshness, checks and partitions; sortable columns; a text filter (live, over
 * key, group, owners, kinds, tags and description), a selection box (`?q=`, the CLI's grammar, via
 * GET /api/selection) and a status filter (`?status=`). 10,000 rows stay fast (web/components/table.ts
 * renders only the rows in view). Live on the assets, runs and definitions topics.
 */
import { useMemo, useState } from "preact/hooks";
import { html } from "../html.ts";
import { useApi } from "../api.ts";
import { navigate } from "../navigate.ts";
import type { PageProps } from "../routes.ts";
import type { ApiAsset, ApiAssets, ApiSelection, AssetStatusName, ChangeTopic } from "../../core/ui-api.ts";
import { DataTable, type Column } from "../components/table.ts";
import { ErrorBox } from "../components/error-box.ts";
import { SelectionInput } from "../components/selection-input.ts";
import { ASSET_STATUSES, CheckCounts, PartitionCounts, StatusBadge } from "../components/status.ts";
import { ago, duration, when } from "../components/format.ts";

const TOPICS: readonly ChangeTopic[] = ["assets", "runs", "definitions"];
const SELECTION_TOPICS: readonly ChangeTopic[] = ["definitions"];

/** The href of an asset's page (`/` inside keys kept). */
export const assetHref = (key: string): string => "/assets/" + key.split("/").map(encodeURIComponent).join("/");

const STATUS_ORDER: Record<AssetStatusName, number> = { failed: 0, running: 1, stale: 2, missing: 3, fresh: 4 };
const FRESHNESS_ORDER = { overdue: 0, late: 1, fresh: 2 } as const;

const chips = (items: readonly string[]) => items.map((t) => html`<span class="chip">${t}</span>`);

const COLUMNS: Column<ApiAsset>[] = [
  { id: "key", label: "Asset", sort: (a) => a.key, cell: (a) => html`<a href=${assetHref(a.key)} title=${a.description ?? a.key}>${a.key}</a>` },
  { id: "group", label: "Group", sort: (a) => a.group, cell: (a) => a.group ?? html`<span class="muted">—</span>` },
  { id: "status", label: "Status", sort: (a) => STATUS_ORDER[a.status], cell: (a) => html`<${StatusBadge} status=${a.status} />` },
  {
    id: "last",
    label: "Last materialization",
    sort: (a) => (a.lastMaterialization ? -Date.parse(a.lastMaterialization.at) : null),
    cell: (a) => (a.lastMaterialization ? html`<span title=${when(a.lastMaterialization.at)}>${ago(a.lastMaterialization.at)}</span> <span class="muted">${duration(a.lastMaterialization.durationMs)}</span>` : html`<span class="muted">never</span>`),
  },
  {
    id: "freshness",
    label: "Freshness",
    sort: (a) => (a.freshness ? FRESHNESS_ORDER[a.freshness.state] : null),
    cell: (a) => (a.freshness ? html`<span class=${`fresh-${a.freshness.state}`} title=${a.freshness.reason}>${a.freshness.state}</span>` : html`<span class="muted">—</span>`),
  },
  { id: "checks", label: "Checks", sort: (a) => (a.checks ? -(a.checks.failed * 1000 + a.checks.warned) : null), cell: (a) => (a.checks ? html`<${CheckCounts} checks=${a.checks} />` : html`<span class="muted">—</span>`) },
  { id: "partitions", label: "Partitions", sort: (a) => (a.partitions ? a.partitions.materialized / Math.max(1, a.partitions.total) : null), cell: (a) => html`<${PartitionCounts} partitions=${a.partitions} />` },
  { id: "owners", label: "Owners", sort: (a) => a.owners.join(",") || null, cell: (a) => chips(a.owners) },
  { id: "kinds", label: "Kinds", sort: (a) => a.kinds.join(",") || null, cell: (a) => chips(a.kinds) },
  { id: "tags", label: "Tags", sort: (a) => Object.keys(a.tags).length ? Object.entries(a.tags).map(([k, v]) => `${k}=${v}`).join(",") : null, cell: (a) => chips(Object.entries(a.tags).map(([k, v]) => (v ? `${k}=${v}` : k))) },
];

/** What the text filter searches in. */
function haystack(a: ApiAsset): string {
  return [a.key, a.group ?? "", a.description ?? "", ...a.owners, ...a.kinds, ...Object.entries(a.tags).map(([k, v]) => `${k}=${v}`)].join("\n").toLowerCase();
}

export function AssetsPage({ query }: PageProps) {
  const q = query.get("q") ?? "";
  const status = (query.get("status") ?? "") as AssetStatusName | "";
  const [text, setText] = useState("");
  const { data, error } = useApi<ApiAssets>("/api/assets", TOPICS);
  const sel = useApi<ApiSelection>(q ? `/api/selection?q=${encodeURIComponent(q)}` : null, SELECTION_TOPICS);
  const picked = q && !sel.error && sel.data?.selection === q ? new Set(sel.data.keys) : null;
  const haystacks = useMemo(() => new Map((data?.assets ?? []).map((a) => [a.key, haystack(a)])), [data]);
  const rows = useMemo(() => {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    return (data?.assets ?? []).filter(
      (a) => (!picked || picked.has(a.key)) && (!status || a.status === status) && words.every((w) => haystacks.get(a.key)?.includes(w)),
    );
  }, [data, picked && sel.data, status, text]);
  const go = (next: { q?: string; status?: string }) => {
    const p = new URLSearchParams();
    const nq = next.q ?? q;
    const ns = next.status ?? status;
    if (nq) p.set("q", nq);
    if (ns) p.set("status", ns);
    const s = p.toString();
    navigate(s ? `/assets?${s}` : "/assets");
  };
  const waiting = !data || (q && !sel.error && sel.data?.selection !== q);
  return html`<section class="catalog-page">
    <div class="toolbar">
      <input type="search" class="catalog-text" placeholder="Filter: key, group, owner, kind, tag" value=${text} onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} aria-label="Filter text" />
      <${SelectionInput} value=${q} onApply=${(s: string) => go({ q: s })} />
      <select aria-label="Status" value=${status} onChange=${(e: Event) => go({ status: (e.target as HTMLSelectElement).value })}>
        <option value="">any status</option>
        ${ASSET_STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
      <span class="catalog-count" data-count=${waiting ? "" : rows.length}>${waiting ? "loading…" : `${rows.length} of ${data?.assets.length ?? 0} assets`}</span>
    </div>
    <${ErrorBox} error=${error ?? sel.error} />
    ${waiting ? null : html`<${DataTable} rows=${rows} columns=${COLUMNS} rowKey=${(a: ApiAsset) => a.key} initialSort=${{ id: "key", dir: 1 }} empty="No asset matches the filters" />`}
  </section>`;
}
