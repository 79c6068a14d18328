/** Internal records of alerts: an alert as checked, an incident, a delivery. */
import type { EnvRef } from "../env.ts";
import type { AlertKind } from "./types.ts";

/** Every kind, in the order the docs list them. */
export const ALERT_KINDS: readonly AlertKind[] = ["run_failure", "check_failure", "freshness_overdue", "sensor_failure", "schedule_failure"];

/** An alert as checked at load: defaults filled in. */
export interface NormalizedAlert {
  name: string;
  on: ReadonlySet<AlertKind>;
  select: string | null;
  resolved: boolean;
  /** Attempts in all (1 + retries). */
  attempts: number;
  timeoutMs: number;
  target: { kind: "webhook"; url: string | EnvRef; headers: Record<string, string | EnvRef> } | { kind: "command"; argv: readonly string[] };
}

/**
 * A failing state that started at one moment and ends when its subject recovers: one per
 * `key` open at a time, across every process (the state store decides atomically).
 */
export interface IncidentRecord {
  incidentId: string;
  /** What makes two observations the same incident: kind and subject (`incidentKey`). */
  key: string;
  kind: AlertKind;
  assetKey: string | null;
  /** The failing partition(s) when it opened ("" unpartitioned; "a, b (+3 more)"), for people. */
  partitionKey: string | null;
  checkName: string | null;
  /** The sensor or schedule. */
  instigator: string | null;
  /** The run that observed it (run and check failures). */
  runId: string | null;
  message: string;
  openedAt: number;
  resolvedAt: number | null;
  /** What ended it: "run <id>", "tick", "fresh". */
  resolvedBy: string | null;
}

/** One alert sent (or not) about one incident. */
export interface AlertDeliveryRecord {
  incidentId: string;
  /** The alert's name. */
  alert: string;
  target: "webhook" | "command";
  /** "test" only in what `dagx alerts --test` reports: test sends are not recorded. */
  event: "opened" | "resolved" | "test";
  status: "sent" | "failed";
  attempts: number;
  /** Why the last attempt failed (redacted), null when sent. */
  error: string | null;
  at: number;
}
