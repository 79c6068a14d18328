/**
 * One alert to one target, with retries: attempts with backoff (core/alerts `alertRetryDelay`), each
 * bounded by the alert's timeout. Never throws: the outcome is a delivery record. Secrets (the
 * webhook URL, header values) are resolved here, registered with the redactor, and never put in a
 * message.
 */
import { alertEnvironment, alertRetryDelay, type AlertDeliveryRecord, type AlertPayload, type NormalizedAlert } from "../../core/alerts/index.ts";
import { type EnvLookup, resolveEnvRefs } from "../../core/env.ts";
import { thrownMessage } from "../../core/user-code.ts";
import { redact, redactor } from "../secrets/index.ts";
import { runAlertCommand } from "./command.ts";
import { AlertAttemptError, postWebhook } from "./webhook.ts";

export interface DeliveryDeps {
  root: string;
  env: EnvLookup;
  now(): number;
  /** Wait between attempts (tests pass a quicker one). @default setTimeout */
  sleep?(ms: number): Promise<void>;
  userAgent: string;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Send `payload` through `alert`'s target, retrying; the record says how it went (its error redacted). */
export async function deliverAlert(alert: NormalizedAlert, payload: AlertPayload, deps: DeliveryDeps): Promise<AlertDeliveryRecord> {
  const base = { incidentId: payload.incidentId, alert: alert.name, target: alert.target.kind, event: payload.event } as const;
  let attempt: () => Promise<void>;
  try {
    attempt = prepare(alert, payload, deps);
  } catch (e) {
    // a missing env() variable: no attempt can succeed
    return { ...base, status: "failed", attempts: 0, error: redact(thrownMessage(e)), at: deps.now() };
  }
  let error = "";
  for (let n = 1; n <= alert.attempts; n++) {
    if (n > 1) await (deps.sleep ?? wait)(alertRetryDelay(n));
    try {
      await attempt();
      return { ...base, status: "sent", attempts: n, error: null, at: deps.now() };
    } catch (e) {
      error = redact(e instanceof AlertAttemptError ? e.message : thrownMessage(e));
      if (e instanceof AlertAttemptError && !e.retryable) return { ...base, status: "failed", attempts: n, error, at: deps.now() };
    }
  }
  return { ...base, status: "failed", attempts: alert.attempts, error, at: deps.now() };
}

/** One attempt of the alert's target, its secrets resolved once (and known to the redactor before anything can print them). */
function prepare(alert: NormalizedAlert, payload: AlertPayload, deps: DeliveryDeps): () => Promise<void> {
  const t = alert.target;
  if (t.kind === "command") {
    const stdin = JSON.stringify(payload);
    const env = alertEnvironment(payload);
    return () => runAlertCommand(t.argv, deps.root, stdin, env, alert.timeoutMs);
  }
  const { url, headers } = resolveEnvRefs({ url: t.url, headers: t.headers }, deps.env, `alert "${alert.name}"`);
  for (const secret of [url, ...Object.values(headers)]) redactor.add(secret);
  return () => postWebhook(url, headers, payload, alert.timeoutMs, deps.userAgent);
}
