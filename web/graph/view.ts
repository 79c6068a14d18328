/**
 * Draws a laid-out graph: group boxes (open: a frame around their assets; closed: one box with
 * counts by status), edges in one SVG, and each asset as a link to its page with `data-asset-key`
 * and `data-status` (the stable hooks of DESIGN §13). Pan by dragging the background, zoom with the
 * wheel (around the pointer) or the buttons; "Fit" shows everything. A new layout is fitted to the
 * view, except after a group was opened: then that group is shown. Hovering a node lights up its
 * lineage (everything up- and downstream of it that is shown) and dims the rest. Pan and zoom change one CSS
 * transform, never the nodes, so a 1,000-node graph stays smooth.
 */
import { useEffect, useMemo, useRef } from "preact/hooks";
import { html } from "../html.ts";
import type { ApiAsset, AssetStatusName } from "../../core/ui-api.ts";
import { ASSET_STATUSES, CheckCounts, PartitionCounts } from "../components/status.ts";
import { NODE_H, NODE_W, type LayoutResult, type Point } from "./layout.ts";
import type { EdgeEnd, GraphModel } from "./model.ts";

const MIN_ZOOM = 0.03;
const MAX_ZOOM = 2.5;

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

function endRect(end: EdgeEnd, layout: LayoutResult): Rect | null {
  if (end.kind === "node") {
    const p = layout.nodes[end.id];
    return p ? { x: p.x, y: p.y, w: NODE_W, h: NODE_H } : null;
  }
  return layout.groups[end.id] ?? null;
}

function curve(a: Point, b: Point): string {
  const dx = Math.min(140, Math.max(30, Math.abs(b.x - a.x) / 2));
  return `M${a.x},${a.y} C${a.x + dx},${a.y} ${b.x - dx},${b.y} ${b.x},${b.y}`;
}

function polyline(points: Point[]): string {
  return points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
}

/** Everything upstream and downstream of `key` among the shown assets (the key included). */
export function lineage(key: string, up: ReadonlyMap<string, readonly string[]>, down: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set([key]);
  for (const edges of [up, down]) {
    const todo = [key];
    while (todo.length) {
      for (const next of edges.get(todo.pop()!) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          todo.push(next);
        }
      }
    }
  }
  return seen;
}

/** Counts of a list of assets by status. */
function statusCounts(list: readonly ApiAsset[]): Record<AssetStatusName, number> {
  const c: Record<AssetStatusName, number> = { fresh: 0, stale: 0, missing: 0, failed: 0, running: 0 };
  for (const a of list) c[a.status]++;
  return c;
}

function AssetNode({ asset, at }: { asset: ApiAsset; at: Point }) {
  const name = asset.key;
  return html`<a class=${`gnode status-${asset.status}`} href=${"/assets/" + name.split("/").map(encodeURIComponent).join("/")} data-asset-key=${name} data-status=${asset.status} style=${{ left: `${at.x}px`, top: `${at.y}px` }} title=${`${name} — ${asset.status}${asset.description ? "\n" + asset.description : ""}`}>
    <span class="gnode-name">${name}</span>
    <span class="gnode-sub">
      <span class="gnode-status">${asset.status}</span>
      ${asset.freshness && asset.freshness.state !== "fresh" ? html`<span class=${`fresh-${asset.freshness.state}`} data-freshness=${asset.freshness.state} title=${asset.freshness.reason}>${asset.freshness.state}</span>` : null}
      <${CheckCounts} checks=${asset.checks} />
      <${PartitionCounts} partitions=${asset.partitions} />
    </span>
  </a>`;
}

function GroupBox({ id, rect, members, open, tooLarge, onToggle }: { id: string; rect: Rect; members: readonly ApiAsset[]; open: boolean; tooLarge: boolean; onToggle: (g: string) => void }) {
  const style = { left: `${rect.x}px`, top: `${rect.y}px`, width: `${rect.w}px`, height: `${rect.h}px` };
  const counts = statusCounts(members);
  const toggle = html`<button type="button" class="ggroup-toggle" disabled=${tooLarge} title=${tooLarge ? "Too many assets to draw: filter with a selection" : open ? "Close the group" : "Open the group"} onClick=${() => onToggle(id)}>${open ? "▾" : "▸"}</button>`;
  if (open) {
    return html`<div class="ggroup open" data-group=${id} data-open="true" style=${style}><div class="ggroup-head">${toggle}<span class="ggroup-name">${id}</span><span class="ggroup-n">${members.length}</span></div></div>`;
  }
  return html`<div class="ggroup closed" data-group=${id} data-open="false" data-count=${members.length} style=${style} title=${tooLarge ? "Too many assets to draw: filter with a selection" : "Open the group"} onClick=${(e: MouseEvent) => !tooLarge && !(e.target as Element).closest("button") && onToggle(id)}>
    <div class="ggroup-head">${toggle}<span class="ggroup-name">${id}</span></div>
    <div class="ggroup-body">
      <span class="ggroup-n">${members.length} asset${members.length === 1 ? "" : "s"}</span>
      ${ASSET_STATUSES.filter((s) => counts[s] > 0).map((s) => html`<span class=${`gcount status-${s}`} data-status=${s} title=${s}>${counts[s]}</span>`)}
    </div>
    ${tooLarge ? html`<div class="ggroup-note">too large to draw — filter with a selection</div>` : null}
  </div>`;
}

/** The graph: `model` says what is shown, `layout` where; `assets` carries the live statuses. */
export function GraphCanvas({ model, layout, assets, onToggleGroup, engine, focus }: { model: GraphModel; layout: LayoutResult; assets: ReadonlyMap<string, ApiAsset>; onToggleGroup: (g: string) => void; engine: string; focus?: string | null }) {
  const viewport = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLDivElement>(null);
  const view = useRef({ x: 0, y: 0, k: 1 });
  const apply = () => {
    const { x, y, k } = view.current;
    if (canvas.current) canvas.current.style.transform = `translate(${x}px, ${y}px) scale(${k})`;
    viewport.current?.setAttribute("data-zoom", k.toFixed(3));
  };
  const fit = () => {
    const vp = viewport.current;
    if (!vp) return;
    const vw = vp.clientWidth || 800;
    const vh = vp.clientHeight || 600;
    const k = Math.max(MIN_ZOOM, Math.min(1, (vw - 40) / Math.max(1, layout.width), (vh - 40) / Math.max(1, layout.height)));
    view.current = { k, x: Math.max(20, (vw - layout.width * k) / 2), y: Math.max(20, (vh - layout.height * k) / 2) };
    apply();
  };
  const zoomAt = (factor: number, cx: number, cy: number) => {
    const { x, y, k } = view.current;
    const nk = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k * factor));
    view.current = { k: nk, x: cx - ((cx - x) * nk) / k, y: cy - ((cy - y) * nk) / k };
    apply();
  };
  /** Show `rect` (a group just opened) at a readable zoom, centred. */
  const show = (rect: Rect) => {
    const vp = viewport.current;
    if (!vp) return;
    const vw = vp.clientWidth || 800;
    const vh = vp.clientHeight || 600;
    const k = Math.max(0.25, Math.min(1, (vw - 40) / rect.w, (vh - 40) / rect.h));
    view.current = { k, x: vw / 2 - (rect.x + rect.w / 2) * k, y: vh / 2 - (rect.y + rect.h / 2) * k };
    apply();
  };
  useEffect(() => {
    const rect = focus ? layout.groups[focus] : undefined;
    if (rect?.open) show(rect);
    else fit();
  }, [layout]);
  // hover: light up the node's lineage (up- and downstream), dim the rest — straight on the DOM
  // (classes), so a hover never re-renders a large graph
  const links = useMemo(() => {
    const up = new Map<string, string[]>();
    const down = new Map<string, string[]>();
    const shown = new Set([...model.groups.values()].flat().map((a) => a.key));
    for (const a of [...model.groups.values()].flat()) {
      const deps = a.deps.filter((d) => shown.has(d));
      up.set(a.key, deps);
      for (const d of deps) down.set(d, [...(down.get(d) ?? []), a.key]);
    }
    return { up, down };
  }, [model]);
  const linksRef = useRef(links);
  linksRef.current = links;
  useEffect(() => {
    const vp = viewport.current;
    if (!vp) return;
    let hovered: string | null = null;
    const clear = () => {
      hovered = null;
      vp.classList.remove("hovering");
      for (const el of vp.querySelectorAll(".lit")) el.classList.remove("lit");
    };
    const over = (e: MouseEvent) => {
      const node = (e.target as Element).closest?.("[data-asset-key]");
      const key = node?.getAttribute("data-asset-key") ?? null;
      if (key === hovered) return;
      clear();
      if (!key) return;
      hovered = key;
      const lit = lineage(key, linksRef.current.up, linksRef.current.down);
      vp.classList.add("hovering");
      for (const el of vp.querySelectorAll("[data-asset-key]")) if (lit.has(el.getAttribute("data-asset-key")!)) el.classList.add("lit");
      for (const el of vp.querySelectorAll("path.edge[data-from]")) if (lit.has(el.getAttribute("data-from")!) && lit.has(el.getAttribute("data-to")!)) el.classList.add("lit");
    };
    vp.addEventListener("mouseover", over);
    vp.addEventListener("mouseleave", clear);
    return () => {
      vp.removeEventListener("mouseover", over);
      vp.removeEventListener("mouseleave", clear);
    };
  }, []);
  useEffect(() => {
    const vp = viewport.current;
    if (!vp) return;
    const wheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = vp.getBoundingClientRect();
      zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    };
    let drag: { x: number; y: number; vx: number; vy: number; moved: boolean } | null = null;
    let suppressClick = false;
    const down = (e: PointerEvent) => {
      if (e.button !== 0 || (e.target as Element).closest("button")) return;
      drag = { x: e.clientX, y: e.clientY, vx: view.current.x, vy: view.current.y, moved: false };
    };
    const move = (e: PointerEvent) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!drag.moved) vp.setPointerCapture(e.pointerId);
      drag.moved = true;
      view.current = { ...view.current, x: drag.vx + dx, y: drag.vy + dy };
      apply();
    };
    const up = () => {
      suppressClick = !!drag?.moved;
      drag = null;
    };
    const click = (e: MouseEvent) => {
      if (!suppressClick) return;
      suppressClick = false;
      e.preventDefault();
      e.stopPropagation();
    };
    vp.addEventListener("wheel", wheel, { passive: false });
    vp.addEventListener("pointerdown", down);
    vp.addEventListener("pointermove", move);
    vp.addEventListener("pointerup", up);
    vp.addEventListener("click", click, true);
    return () => {
      vp.removeEventListener("wheel", wheel);
      vp.removeEventListener("pointerdown", down);
      vp.removeEventListener("pointermove", move);
      vp.removeEventListener("pointerup", up);
      vp.removeEventListener("click", click, true);
    };
  }, []);

  const groups = [...model.groups].map(([id, members]) => {
    const rect = layout.groups[id];
    return rect ? { id, rect, members: members.map((m) => assets.get(m.key) ?? m), open: rect.open } : null;
  }).filter((g) => g !== null);
  const inner = model.innerEdges.map(([a, b]) => {
    const pts = layout.routes[`${a}→${b}`];
    return pts && pts.length > 1 ? html`<path key=${a + "→" + b} class="edge" data-from=${a} data-to=${b} d=${polyline(pts)} marker-end="url(#arrow)" />` : null;
  });
  const cross = model.crossEdges.map(([from, to]) => {
    const r1 = endRect(from, layout);
    const r2 = endRect(to, layout);
    if (!r1 || !r2) return null;
    return html`<path key=${`${from.kind}:${from.id}→${to.kind}:${to.id}`} class="edge cross" data-from=${from.kind === "node" ? from.id : undefined} data-to=${to.kind === "node" ? to.id : undefined} d=${curve({ x: r1.x + r1.w, y: r1.y + r1.h / 2 }, { x: r2.x, y: r2.y + r2.h / 2 })} marker-end="url(#arrow)" />`;
  });
  const nodes = [...model.groups.values()].flat().map((a) => {
    const at = layout.nodes[a.key];
    return at ? html`<${AssetNode} key=${a.key} asset=${assets.get(a.key) ?? a} at=${at} />` : null;
  });
  return html`<div class="graph-viewport" ref=${viewport} data-layout-engine=${engine} data-nodes=${Object.keys(layout.nodes).length}>
    <div class="graph-canvas" ref=${canvas} style=${{ width: `${layout.width}px`, height: `${layout.height}px` }}>
      ${groups.filter((g) => g.open).map((g) => html`<${GroupBox} key=${g.id} id=${g.id} rect=${g.rect} members=${g.members} open=${true} tooLarge=${false} onToggle=${onToggleGroup} />`)}
      <svg class="graph-edges" width=${layout.width} height=${layout.height}>
        <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead" /></marker></defs>
        ${inner}${cross}
      </svg>
      ${groups.filter((g) => !g.open).map((g) => html`<${GroupBox} key=${g.id} id=${g.id} rect=${g.rect} members=${g.members} open=${false} tooLarge=${model.tooLarge.has(g.id)} onToggle=${onToggleGroup} />`)}
      ${nodes}
    </div>
    <div class="graph-tools">
      <button type="button" title="Zoom in" onClick=${() => zoomAt(1.25, (viewport.current?.clientWidth ?? 0) / 2, (viewport.current?.clientHeight ?? 0) / 2)}>+</button>
      <button type="button" title="Zoom out" onClick=${() => zoomAt(0.8, (viewport.current?.clientWidth ?? 0) / 2, (viewport.current?.clientHeight ?? 0) / 2)}>−</button>
      <button type="button" title="Show everything" onClick=${fit}>Fit</button>
    </div>
  </div>`;
}
