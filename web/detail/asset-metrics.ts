/** The asset page's plots: every numeric metric over time, and per partition for partitioned assets. */
import { useState } from "preact/hooks";
import { html } from "../html.ts";
import type { ApiMaterialization } from "../../core/ui-api.ts";
import { Plot } from "../components/plot.ts";
import { seriesOverTime, seriesPerPartition, type Series } from "./metrics.ts";
import { fmtBytes, fmtCount, fmtDuration } from "./format.ts";

const FORMAT: Record<Series["unit"], (v: number) => string> = {
  count: (v) => fmtCount(Math.round(v)),
  bytes: fmtBytes,
  ms: fmtDuration,
  number: (v) => String(Math.round(v * 1000) / 1000),
};

export function AssetMetrics({ history, partitioned }: { history: ApiMaterialization[]; partitioned: boolean }) {
  // a partitioned asset's materializations are mostly many partitions at once: per partition reads better first
  const [view, setView] = useState<"time" | "partition">(partitioned ? "partition" : "time");
  const series = view === "partition" && partitioned ? seriesPerPartition(history) : seriesOverTime(history);
  if (!history.length) return html`<p class="muted">No materializations yet.</p>`;
  return html`<div class="metrics">
    ${partitioned
      ? html`<div class="tabs">
          <button type="button" class=${view === "time" ? "" : "secondary"} onClick=${() => setView("time")}>over time</button>
          <button type="button" class=${view === "partition" ? "" : "secondary"} onClick=${() => setView("partition")}>per partition</button>
        </div>`
      : null}
    ${series.length
      ? html`<div class="plots">${series.map((s) => html`<${Plot} key=${view + s.name} title=${s.name} xs=${s.xs} ys=${s.ys} labels=${s.labels} format=${FORMAT[s.unit]} />`)}</div>`
      : html`<p class="muted">No numeric metadata recorded.</p>`}
  </div>`;
}
