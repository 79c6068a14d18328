/**
 * The asset page's action bar: **Materialize** (a partitioned asset takes a partition key or range
 * in the grammar of `--partitions`: `2024-01-05`, `2024-01..2024-03`, `latest`, `missing`, `*`) and
 * **Backfill…** (partitioned assets only). Both open the plan-first launch dialog.
 */
import { useState } from "preact/hooks";
import { html } from "../html.ts";
import type { ApiAsset, ApiLaunchRequest } from "../../core/ui-api.ts";
import { LaunchDialog } from "../components/launch-dialog.ts";

export function AssetActions({ asset, partitions, setPartitions }: { asset: ApiAsset; partitions: string; setPartitions: (v: string) => void }) {
  const [open, setOpen] = useState<{ kind: "materialize" | "backfill"; request: ApiLaunchRequest } | null>(null);
  const partitioned = asset.partitionsDefinition !== null;
  const range = partitions.trim();
  const request: ApiLaunchRequest = partitioned ? { selection: asset.key, partitions: range || "latest" } : { selection: asset.key };
  return html`<div class="actions">
    ${partitioned
      ? html`<label>Partitions <input name="partitions" class="mono" placeholder="latest, missing, 2024-01..2024-03, *" value=${partitions} onInput=${(e: Event) => setPartitions((e.target as HTMLInputElement).value)} /></label>`
      : null}
    <button type="button" data-action="materialize" onClick=${() => setOpen({ kind: "materialize", request })}>Materialize</button>
    ${partitioned
      ? html`<button type="button" class="secondary" data-action="backfill" onClick=${() => setOpen({ kind: "backfill", request: { selection: asset.key, partitions: range || "missing" } })}>Backfill…</button>`
      : null}
    ${open ? html`<${LaunchDialog} kind=${open.kind} request=${open.request} onClose=${() => setOpen(null)} />` : null}
  </div>`;
}
