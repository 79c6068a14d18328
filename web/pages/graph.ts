/**
 * /graph — the asset graph, left to right, live. `?q=SELECTION` keeps only what the selection grammar
 * picks (asked of GET /api/selection; a bad selection shows the server's caret); `?expand=all` opens
 * every group. A project of more than 300 assets opens with its groups closed (web/graph/model.ts).
 * The layout runs in a worker (web/graph/layout-worker.ts) and only when the shape changes: a status
 * change repaints the nodes in place.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { html } from "../html.ts";
import { useApi } from "../api.ts";
import { navigate } from "../navigate.ts";
import type { PageProps } from "../routes.ts";
import type { ApiAssets, ApiSelection, ChangeTopic } from "../../core/ui-api.ts";
import { ErrorBox } from "../components/error-box.ts";
import { SelectionInput } from "../components/selection-input.ts";
import { ASSET_STATUSES } from "../components/status.ts";
import { buildGraphModel, defaultOpenGroups, groupOf, type GraphModel } from "../graph/model.ts";
import type { LayoutResult } from "../graph/layout.ts";
import { layoutEngine, requestLayout } from "../graph/layout-worker.ts";
import { GraphCanvas } from "../graph/view.ts";

const TOPICS: readonly ChangeTopic[] = ["assets", "runs", "definitions"];
const SELECTION_TOPICS: readonly ChangeTopic[] = ["definitions"];

export function GraphPage({ query }: PageProps) {
  const q = query.get("q") ?? "";
  const expandAll = query.get("expand") === "all";
  const { data, error } = useApi<ApiAssets>("/api/assets", TOPICS);
  const sel = useApi<ApiSelection>(q ? `/api/selection?q=${encodeURIComponent(q)}` : null, SELECTION_TOPICS);
  const assets = data?.assets ?? null;
  const selectionReady = !q || (sel.data?.selection === q && !sel.error) || !!sel.error;
  const shownKeys = q && !sel.error && sel.data?.selection === q ? sel.data.keys : null;
  const shown = useMemo(() => (shownKeys ? new Set(shownKeys) : null), [shownKeys?.join("\n")]);
  const [overrides, setOverrides] = useState<ReadonlyMap<string, boolean>>(new Map());
  /** The group opened last: the view shows it once it is laid out. */
  const [focus, setFocus] = useState<string | null>(null);
  useEffect(() => {
    setOverrides(new Map());
    setFocus(null);
  }, [q, expandAll]);
  const byKey = useMemo(() => new Map((assets ?? []).map((a) => [a.key, a])), [assets]);
  const shape = useMemo(() => (assets ?? []).map((a) => `${a.key}|${groupOf(a)}|${a.deps.join(",")}`).join("\n"), [assets]);
  const open = useMemo(() => {
    if (!assets) return new Set<string>();
    const o = expandAll ? new Set((shown ? assets.filter((a) => shown.has(a.key)) : assets).map(groupOf)) : defaultOpenGroups(assets, shown);
    for (const [g, isOpen] of overrides) isOpen ? o.add(g) : o.delete(g);
    return o;
  }, [shape, shown, expandAll, overrides]);
  const model = useMemo(() => (assets && selectionReady ? buildGraphModel(assets, shown, open) : null), [shape, shown, open, selectionReady]);
  const [drawn, setDrawn] = useState<{ model: GraphModel; layout: LayoutResult; engine: string } | null>(null);
  const [layoutError, setLayoutError] = useState<Error | null>(null);
  useEffect(() => {
    if (!model) return;
    let live = true;
    requestLayout(model.request).then(
      (layout) => live && (setDrawn({ model, layout, engine: layoutEngine }), setLayoutError(null)),
      (e) => live && setLayoutError(e instanceof Error ? e : new Error(String(e))),
    );
    return () => {
      live = false;
    };
  }, [model?.signature]);

  const toggle = (g: string) => {
    setFocus(open.has(g) ? null : g);
    setOverrides((m) => new Map(m).set(g, !open.has(g)));
  };
  const setAll = (isOpen: boolean) => {
    setFocus(null);
    setOverrides(new Map([...(model?.groups.keys() ?? [])].map((g) => [g, isOpen])));
  };
  const apply = (s: string) => navigate(s ? `/graph?q=${encodeURIComponent(s)}${expandAll ? "&expand=all" : ""}` : "/graph");
  const laidOut = !!drawn && !!model && drawn.model.signature === model.signature;
  const counts = useMemo(() => {
    const c = { fresh: 0, stale: 0, missing: 0, failed: 0, running: 0 };
    for (const a of assets ?? []) if (!shown || shown.has(a.key)) c[a.status]++;
    return c;
  }, [assets, shown]);

  return html`<section class="graph-page" data-ready=${laidOut ? "true" : "false"}>
    <div class="toolbar">
      <${SelectionInput} value=${q} onApply=${apply} />
      ${model && model.groups.size > 1
        ? html`<span class="group-buttons"><button type="button" class="secondary" onClick=${() => setAll(true)}>Open all groups</button><button type="button" class="secondary" onClick=${() => setAll(false)}>Close all groups</button></span>`
        : null}
      <span class="legend">
        ${model ? html`<span class="muted" data-shown=${model.shown}>${model.shown} asset${model.shown === 1 ? "" : "s"}</span>` : null}
        ${ASSET_STATUSES.map((s) => html`<span class="legend-item" title=${s}><span class=${`dot status-${s}`}></span>${s} ${counts[s]}</span>`)}
      </span>
    </div>
    <${ErrorBox} error=${error ?? sel.error ?? layoutError} />
    ${!assets || !drawn ? html`<p class="muted loading">Loading the graph…</p>` : null}
    ${model && model.shown === 0 && q && !sel.error ? html`<p class="muted empty">No asset matches <code>${q}</code>.</p>` : null}
    ${drawn ? html`<${GraphCanvas} model=${drawn.model} layout=${drawn.layout} assets=${byKey} onToggleGroup=${toggle} engine=${drawn.engine} focus=${focus} />` : null}
    ${drawn && !laidOut ? html`<p class="muted relayout">Laying out…</p>` : null}
  </section>`;
}
