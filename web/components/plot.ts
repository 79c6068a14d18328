/**
 * A small line chart (uPlot, canvas): one numeric series over time, or over partitions when `labels`
 * is given (x is then the partition's index and the axis shows its key). uPlot sizes its elements
 * through `element.style` from script, which a strict CSP allows (only inline style attributes in
 * markup are blocked); its stylesheet is bundled, not injected.
 *
 * uPlot is imported on first use: at import it builds `Intl.NumberFormat(navigator.language)`,
 * which throws on a POSIX locale tag (`en-US@posix`, Chromium started with `LANG=C.UTF-8`); such a
 * tag is replaced by "en-US" first, and a failure shows a message instead of taking the app down.
 */
let loading: Promise<typeof uPlot> | null = null;
function loadUPlot(): Promise<typeof uPlot> {
  if (!loading) {
    try {
      new Intl.NumberFormat(navigator.language);
    } catch {
      Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
    }
    loading = import("uplot").then((m) => m.default);
  }
  return loading;
}
import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { html } from "../html.ts";

export interface PlotProps {
  title: string;
  /** x values: Unix seconds when `labels` is absent, else 0..n-1. */
  xs: number[];
  ys: (number | null)[];
  /** Partition keys for x = 0..n-1 (a per-partition plot). */
  labels?: string[];
  /** Formats y values on the axis and in the legend. */
  format?: (v: number) => string;
  height?: number;
}

/** One chart; rebuilt when its data changes, resized with its container. */
export function Plot({ title, xs, ys, labels, format, height = 160 }: PlotProps) {
  const box = useRef<HTMLDivElement>(null);
  const [UPlot, setUPlot] = useState<typeof uPlot | null>(null);
  const [failed, setFailed] = useState("");
  useEffect(() => {
    loadUPlot().then((u) => setUPlot(() => u), (e) => setFailed(String(e)));
  }, []);
  useEffect(() => {
    const el = box.current;
    if (!el || !UPlot) return;
    const fmt = format ?? ((v: number) => String(Math.round(v * 1000) / 1000));
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth || 360),
      height,
      scales: { x: { time: !labels } },
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      series: [
        labels ? { label: "partition", value: (_u, v) => (v === null ? "—" : (labels[v] ?? "")) } : { label: "time" },
        { label: title, stroke: "#3b7bd1", width: 1.5, fill: "rgba(59,123,209,0.08)", points: { show: xs.length < 60 }, value: (_u, v) => (v === null ? "—" : fmt(v)) },
      ],
      axes: [
        // partition keys are long: integer ticks only, far enough apart not to overlap
        labels ? { space: 90, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000], values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (labels[i] ?? "") : "")) } : {},
        { values: (_u, splits) => splits.map(fmt), size: 60 },
      ],
    };
    const chart = new UPlot(opts, [xs, ys], el);
    const ro = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      chart.destroy();
    };
  }, [UPlot, title, xs.join(","), ys.join(","), labels?.join(",")]);
  return html`<figure class="plot" data-metric=${title}>
    <figcaption>${title}</figcaption>
    ${failed ? html`<p class="muted">Plot unavailable: ${failed}</p>` : html`<div class="plot-canvas" ref=${box}></div>`}
  </figure>`;
}
