/**
 * The plan-first launch dialog of Materialize and Backfill…: it asks the server for the plan
 * (POST /api/plan, the CLI's `materialize --dry-run --json`), shows its steps and their reasons, and
 * only on "Launch" posts the action (POST /api/materialize or /api/backfill) and goes to the new
 * run or backfill page.
 */
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.ts";
import { get, onChange, post, ApiRequestError } from "../api.ts";
import { navigate } from "../main.ts";
import type { ApiBackfills, ApiLaunchRequest, ApiRuns } from "../../core/ui-api.ts";
import { ErrorBox } from "../detail/ui.ts";

/** `materialize --dry-run --json`'s document (README "JSON shapes"). */
export interface PlanDoc {
  runId: null;
  status: "planned" | "nothing";
  steps: { key: string; partition: string | null; status: string; reason?: string; blocked?: string }[];
  fresh?: string[];
}

/** Steps listed in the dialog; a bigger plan shows its count and the first ones. */
const SHOWN_STEPS = 200;

/** How long the dialog waits for the child process to record the run or backfill before going to its page anyway. */
const RECORD_WAIT_MS = 15_000;

/**
 * Resolve once the run or backfill `id` is recorded. The server answers the id as soon as it has
 * started the child `dagx` process, before that process wrote the record; opening the page at once
 * would show "no such run" (a 404) for a moment. The lists (200 either way) are asked on every
 * change event and every 500 ms.
 */
export function waitForRecord(kind: "run" | "backfill", id: string, timeoutMs = RECORD_WAIT_MS): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    let asking = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(limit);
      off();
      resolve();
    };
    const ask = () => {
      if (done || asking) return;
      asking = true;
      const found = kind === "run" ? get<ApiRuns>("/api/runs?limit=50").then((d) => d.runs.some((r) => r.runId === id)) : get<ApiBackfills>("/api/backfills").then((d) => d.backfills.some((b) => (b as { backfillId?: string }).backfillId === id));
      found.then((yes) => yes && finish(), () => {}).finally(() => (asking = false));
    };
    const timer = setInterval(ask, 500);
    const limit = setTimeout(finish, timeoutMs);
    const off = onChange(ask);
    ask();
  });
}

export interface LaunchDialogProps {
  kind: "materialize" | "backfill";
  request: ApiLaunchRequest;
  onClose: () => void;
}

/** A modal with the plan of `request` and a Launch button. */
export function LaunchDialog({ kind, request, onClose }: LaunchDialogProps) {
  const [plan, setPlan] = useState<PlanDoc | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const body = kind === "backfill" ? { selection: request.selection, partitions: request.partitions } : request;
    post<PlanDoc>("/api/plan", body).then(setPlan, setError);
  }, [kind, JSON.stringify(request)]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [onClose]);

  async function launch() {
    setBusy(true);
    setError(null);
    try {
      if (kind === "backfill") {
        const r = await post<{ backfillId: string }>("/api/backfill", { selection: request.selection, partitions: request.partitions });
        await waitForRecord("backfill", r.backfillId);
        navigate(`/backfills/${encodeURIComponent(r.backfillId)}`);
      } else {
        const r = await post<{ runId: string }>("/api/materialize", request);
        await waitForRecord("run", r.runId);
        navigate(`/runs/${encodeURIComponent(r.runId)}`);
      }
      onClose();
    } catch (e) {
      setError(e instanceof Error ? e : new ApiRequestError(0, "NETWORK", String(e)));
      setBusy(false);
    }
  }

  const what = [request.selection, request.partition ? `partition ${request.partition}` : "", request.partitions ? `partitions ${request.partitions}` : "", request.stale ? "stale only" : ""].filter(Boolean).join(" · ");
  const steps = plan?.steps ?? [];
  return html`<div class="modal-backdrop" onClick=${(e: MouseEvent) => e.target === e.currentTarget && onClose()}>
    <div class="modal launch-dialog" role="dialog" aria-modal="true" aria-label=${kind === "backfill" ? "Backfill plan" : "Materialize plan"}>
      <h2>${kind === "backfill" ? "Backfill" : "Materialize"}: plan</h2>
      <p class="muted">${what}</p>
      <${ErrorBox} error=${error} />
      ${!plan && !error ? html`<p class="muted">Planning…</p>` : null}
      ${plan
        ? html`<p class="plan-summary" data-plan-status=${plan.status}>
              ${plan.status === "nothing" || steps.length === 0 ? "Nothing to do: everything selected is fresh." : `${steps.length} step${steps.length === 1 ? "" : "s"} planned.`}
              ${plan.fresh?.length ? ` Fresh (skipped): ${plan.fresh.join(", ")}.` : ""}
            </p>
            ${steps.length
              ? html`<div class="plan-steps"><table class="data">
                  <thead><tr><th>asset</th><th>partition</th><th>reason</th></tr></thead>
                  <tbody>
                    ${steps.slice(0, SHOWN_STEPS).map(
                      (s) => html`<tr class="plan-step" data-step-key=${s.key}>
                        <td>${s.key}</td><td>${s.partition ?? "—"}</td>
                        <td>${s.reason ?? ""}${s.blocked ? html`<div class="warn">${s.blocked}</div>` : null}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>
                ${steps.length > SHOWN_STEPS ? html`<p class="muted">… and ${steps.length - SHOWN_STEPS} more steps</p>` : null}</div>`
              : null}`
        : null}
      <div class="modal-actions">
        <button type="button" class="secondary" onClick=${onClose}>Close</button>
        <button type="button" data-action="launch" disabled=${!plan || busy || plan.status === "nothing" || plan.steps.length === 0} onClick=${launch}>
          ${busy ? "Starting…" : kind === "backfill" ? "Launch backfill" : "Launch run"}
        </button>
      </div>
    </div>
  </div>`;
}
