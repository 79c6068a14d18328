/** The public contracts of alerts: what a config may say, what a target receives (re-exported by core/public.ts). */
import type { EnvRef } from "../env.ts";

/** What an alert is about (Dagster's names, lower case: run failure, asset check failure, freshness, instigator tick failure). */
export type AlertKind = "run_failure" | "check_failure" | "freshness_overdue" | "sensor_failure" | "schedule_failure";

/** A webhook target: a JSON POST to `url`. */
export interface AlertWebhook {
  /** Where to POST (http or https). Treated as a secret: never printed (a Slack webhook URL is a credential). `env("SLACK_WEBHOOK_URL")` keeps it out of the code. */
  url: string | EnvRef;
  /** Extra request headers; values are secrets (redacted everywhere), typically `env("ALERT_TOKEN")`. */
  headers?: Record<string, string | EnvRef>;
}

interface AlertCommon {
  /** Shown in logs, `dagx alerts` and the payload. @default "webhook N" / "command N" (N: its place in the list, from 1) */
  name?: string;
  /** What the alert fires on: one kind or several. */
  on: AlertKind | readonly AlertKind[];
  /** Only incidents about assets in this selection (the selection grammar of `dagx materialize`); sensor and schedule failures always match. @default every asset */
  select?: string;
  /** Also notify when the incident ends (the asset materializes again, the check passes, the data is fresh, the tick succeeds). @default false */
  resolved?: boolean;
  /** Further attempts after a failed one (with backoff: 0.5 s, then 2 s, then 5 s). @default 2 */
  retries?: number;
  /** How long one attempt may take: "10s", or milliseconds. @default "5s" */
  timeout?: string | number;
}

/**
 * One alert of `alerts` in `dagx.config.ts`: what it fires on, and where it goes — a webhook (JSON POST
 * with a Slack-compatible `text`) or a command (argv; the alert JSON on stdin and in DAGX_ALERT_* variables).
 * @example
 * alerts: [
 *   { name: "slack", on: ["run_failure", "check_failure"], webhook: env("SLACK_WEBHOOK_URL"), resolved: true },
 *   { on: "freshness_overdue", select: "group:finance", command: ["./scripts/page.sh"] },
 * ]
 */
export type AlertConfig = AlertCommon & ({ webhook: string | EnvRef | AlertWebhook; command?: never } | { command: readonly string[]; webhook?: never });

/** What a target receives: the JSON body of a webhook, a command's stdin. */
export interface AlertPayload {
  /** One line for people (Slack's `text`). */
  text: string;
  /** "test": sent by `dagx alerts --test`, about no incident (its ids are empty). */
  event: "opened" | "resolved" | "test";
  kind: AlertKind;
  alert: string;
  project: string;
  incidentId: string;
  asset: string | null;
  partition: string | null;
  check: string | null;
  instigator: string | null;
  runId: string | null;
  message: string;
  openedAt: string;
  resolvedAt: string | null;
}
