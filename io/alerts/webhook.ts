/** A webhook target: one JSON POST per attempt. The URL and header values are secrets: no message here quotes them. */

/** Why an attempt failed, and whether another attempt could help. */
export class AlertAttemptError extends Error {
  constructor(
    message: string,
    /** False when the target refused the alert itself or moved (HTTP 3xx, 4xx other than 408/429): the same request would get the same answer. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "AlertAttemptError";
  }
}

/** Most characters of a response body quoted in an error. */
const BODY_QUOTE = 200;

/** POST `body` as JSON; resolves on a 2xx answer, else throws AlertAttemptError. Redirects are not followed (a moved hook is a config to fix). */
export async function postWebhook(url: string, headers: Readonly<Record<string, string>>, body: unknown, timeoutMs: number, userAgent: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": userAgent, ...headers },
      body: JSON.stringify(body),
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const name = (e as Error)?.name;
    const why = name === "TimeoutError" || name === "AbortError" ? `no answer within ${timeoutMs} ms` : `cannot reach it (${(e as { code?: string })?.code ?? (e as Error)?.message ?? String(e)})`;
    throw new AlertAttemptError(`webhook: ${why}`, true);
  }
  if (response.ok) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  const text = (await response.text().catch(() => "")).trim().replace(/\s+/g, " ");
  const quote = text ? `: ${text.length > BODY_QUOTE ? `${text.slice(0, BODY_QUOTE)}…` : text}` : "";
  // a redirect (not followed) or a refusal would be answered the same again: only a busy or failing server is retried
  const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
  throw new AlertAttemptError(`webhook: HTTP ${response.status}${quote}`, retryable);
}
