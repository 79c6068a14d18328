/**
 * The partition health bar of one asset (GET /api/assets/<key>/partitions?buckets=N). The server cuts
 * the partition space into at most N consecutive buckets with their counts, so the bar has one element
 * per bucket, never one per partition (an asset may have a million). Each bucket is shaded by the
 * proportion of its partitions that are fresh, stale, failed and missing (a vertical gradient); its
 * title names the bucket's first..last partition and its counts (one partition when buckets are single).
 */
import { html } from "../html.ts";
import { useApi } from "../api.ts";
import type { ApiPartitionHealth } from "../../core/ui-api.ts";
import { assetApi, fmtCount } from "../detail/format.ts";
import { ErrorBox } from "../detail/ui.ts";

type Bucket = ApiPartitionHealth["buckets"][number];

const COLORS = { fresh: "var(--fresh)", stale: "var(--stale)", failed: "var(--failed)", missing: "var(--line)" } as const;

/**
 * The parts of a bucket, in drawing order, adding up to its size. The counts may overlap (a
 * partition that failed after an earlier success counts as materialized and failed), so they are
 * taken by priority: failed, then missing, then stale, and the rest is fresh.
 */
export function bucketParts(b: Bucket): [keyof typeof COLORS, number][] {
  let rest = b.size;
  const failed = Math.min(b.failed, rest);
  rest -= failed;
  const missing = Math.min(b.missing, rest);
  rest -= missing;
  const stale = Math.min(b.stale, rest);
  rest -= stale;
  return [
    ["fresh", Math.min(rest, Math.max(0, b.materialized))],
    ["stale", stale],
    ["failed", failed],
    ["missing", missing],
  ];
}

/** A vertical CSS gradient with one hard-edged band per `[color, count]` part, sized by its share (a plain color when one part). */
export function shareGradient(parts: [string, number][]): string {
  const sum = parts.reduce((a, [, n]) => a + Math.max(0, n), 0) || 1;
  let at = 0;
  const stops: string[] = [];
  let only = "";
  for (const [color, n] of parts) {
    if (n <= 0) continue;
    const end = at + (100 * n) / sum;
    stops.push(`${color} ${at.toFixed(2)}% ${end.toFixed(2)}%`);
    only = color;
    at = end;
  }
  return stops.length === 1 ? only : stops.length ? `linear-gradient(to top, ${stops.join(", ")})` : "var(--line)";
}

/** The bucket's gradient: fresh, stale, failed, missing. */
export function bucketGradient(b: Bucket): string {
  return shareGradient(bucketParts(b).map(([name, n]) => [COLORS[name], n]));
}

/** The hover text of a bucket: its range and counts. */
export function bucketTitle(b: Bucket): string {
  const range = b.first === b.last ? b.first : `${b.first} .. ${b.last} (${fmtCount(b.size)} partitions)`;
  return b.size === 1
    ? `${range}: ${b.failed ? "failed" : b.materialized ? (b.stale ? "stale" : "materialized") : "missing"}`
    : `${range}\nmaterialized ${fmtCount(b.materialized)} (stale ${fmtCount(b.stale)}), failed ${fmtCount(b.failed)}, missing ${fmtCount(b.missing)}`;
}

/**
 * The bar for `assetKey`, live (refetches on asset and run changes). `onPick(first, last)` is called
 * when a bucket is clicked (the asset page fills its partition input with it).
 */
export function HealthBar({ assetKey, buckets = 200, onPick }: { assetKey: string; buckets?: number; onPick?: (first: string, last: string) => void }) {
  const { data, error } = useApi<ApiPartitionHealth>(assetApi(assetKey, `/partitions?buckets=${buckets}`), ["assets", "runs", "backfills"]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!data) return html`<div class="health-bar loading"></div>`;
  const c = data.counts;
  return html`<div class="health">
    <div class="health-bar" data-total=${data.total} data-buckets=${data.buckets.length}>
      ${data.buckets.map(
        (b) => html`<span
          class="hb-bucket"
          data-first=${b.first}
          data-last=${b.last}
          data-size=${b.size}
          title=${bucketTitle(b)}
          style=${{ flexGrow: String(b.size), background: bucketGradient(b) }}
          onClick=${() => onPick?.(b.first, b.last)}
        ></span>`,
      )}
    </div>
    <div class="health-legend">
      <span>${data.definition}</span>
      <span>${fmtCount(data.total)} partitions</span>
      <span class="lg lg-fresh">materialized ${fmtCount(c.materialized)}</span>
      <span class="lg lg-stale">stale ${fmtCount(c.stale)}</span>
      <span class="lg lg-failed">failed ${fmtCount(c.failed)}</span>
      <span class="lg lg-missing">missing ${fmtCount(c.missing)}</span>
    </div>
  </div>`;
}
