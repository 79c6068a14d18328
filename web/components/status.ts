/**
 * Status bits every page shows the same way: the asset status badge (fresh|stale|missing|failed|
 * running), run status badges, and the small partition-health indicator (counts; the full bar
 * is on the asset page). Colours come from the `--fresh`… variables of web/style.css.
 */
import { html } from "../html.ts";
import type { ApiAsset, AssetStatusName } from "../../core/ui-api.ts";

/** Every asset status, in the order the UI lists them. */
export const ASSET_STATUSES: readonly AssetStatusName[] = ["failed", "running", "stale", "missing", "fresh"];

/** A coloured badge with the status's name; `class="badge status-<name>"`, `data-status`. */
export function StatusBadge({ status }: { status: string }) {
  return html`<span class=${`badge status-${status}`} data-status=${status}>${status}</span>`;
}

/** A coloured dot for a status (the name as its tooltip). */
export function StatusDot({ status }: { status: string }) {
  return html`<span class=${`dot status-${status}`} title=${status}></span>`;
}

/**
 * Partition health in a few pixels: a bar of materialized / stale / failed / missing shares and
 * "materialized/total". Nothing for an unpartitioned asset.
 */
export function PartitionCounts({ partitions }: { partitions: ApiAsset["partitions"] }) {
  if (!partitions || partitions.total === 0) return null;
  const { total, materialized, failed, stale, missing } = partitions;
  const title = `${materialized} of ${total} partitions materialized` + (stale ? `, ${stale} stale` : "") + (failed ? `, ${failed} failed` : "") + (missing ? `, ${missing} missing` : "");
  const part = (n: number, cls: string) => (n > 0 ? html`<span class=${cls} style=${{ flexGrow: n }}></span>` : null);
  return html`<span class="pcounts" title=${title} data-partitions=${`${materialized}/${total}`}>
    <span class="pbar">${part(materialized - Math.min(stale, materialized), "p-fresh")}${part(stale, "p-stale")}${part(failed, "p-failed")}${part(missing, "p-missing")}</span>
    <span class="pnum">${materialized}/${total}</span>
  </span>`;
}

/** Checks summary: "✓ 3" / "✗ 1" / "! 1", or nothing when the asset has no checks. */
export function CheckCounts({ checks }: { checks: ApiAsset["checks"] }) {
  if (!checks) return null;
  const { passed, failed, warned } = checks;
  return html`<span class="checks" title=${`${passed} passed, ${failed} failed, ${warned} warned`}>
    ${failed ? html`<span class="chk-failed">✗ ${failed}</span>` : null}
    ${warned ? html`<span class="chk-warned">! ${warned}</span>` : null}
    ${passed ? html`<span class="chk-passed">✓ ${passed}</span>` : null}
  </span>`;
}
