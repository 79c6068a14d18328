/**
 * The app's client for the JSON API (core/ui-api.ts): every request carries the token from the
 * `dagx_token` cookie in the `X-Dagx-Token` header; errors become `ApiRequestError` with the server's
 * code, message and (selection errors) caret pointer.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { UI_TOKEN_COOKIE, UI_TOKEN_HEADER, type ApiError, type ChangeEvent, type ChangeTopic } from "../core/ui-api.ts";

export class ApiRequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly pointer?: string) {
    super(message);
  }
}

function token(): string {
  const m = document.cookie.split("; ").find((c) => c.startsWith(`${UI_TOKEN_COOKIE}=`));
  return m ? decodeURIComponent(m.slice(UI_TOKEN_COOKIE.length + 1)) : "";
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { [UI_TOKEN_HEADER]: token() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const e = (data as ApiError | null)?.error;
    throw new ApiRequestError(res.status, e?.code ?? "HTTP_" + res.status, e?.message ?? res.statusText, e?.pointer);
  }
  return data as T;
}

/** GET a JSON document of the API. */
export const get = <T>(path: string): Promise<T> => request<T>("GET", path);
/** POST an action with a JSON body. */
export const post = <T>(path: string, body: unknown = {}): Promise<T> => request<T>("POST", path, body);

type Listener = (e: ChangeEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;

/** Subscribe to the server's change events (one EventSource for the page, opened on first use). */
export function onChange(listener: Listener): () => void {
  listeners.add(listener);
  if (!source) {
    source = new EventSource("/api/events");
    source.addEventListener("change", (m) => {
      const e = JSON.parse((m as MessageEvent<string>).data) as ChangeEvent;
      for (const l of listeners) l(e);
    });
  }
  return () => listeners.delete(listener);
}

/**
 * Fetch `path` and refetch it whenever one of `topics` changes (the Dagster pattern: events say
 * what changed, the page asks again). `data` keeps the last good answer while a refetch runs.
 * At most one request per hook is in flight: changes that arrive meanwhile are coalesced into one
 * refetch when it ends, so a burst of events (a long run) never discards answers or floods the server.
 */
export function useApi<T>(path: string | null, topics: readonly ChangeTopic[]): { data: T | null; error: ApiRequestError | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiRequestError | null>(null);
  const loader = useRef<() => void>(() => {});
  useEffect(() => {
    if (!path) return;
    let live = true;
    let inFlight = false;
    let again = false;
    const load = () => {
      if (!live) return;
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      get<T>(path)
        .then(
          (d) => live && (setData(d), setError(null)),
          (e) => live && setError(e instanceof ApiRequestError ? e : new ApiRequestError(0, "NETWORK", String(e))),
        )
        .finally(() => {
          inFlight = false;
          if (again) {
            again = false;
            load();
          }
        });
    };
    loader.current = load;
    load();
    const off = onChange((e) => e.topics.some((t) => topics.includes(t)) && load());
    return () => {
      live = false;
      off();
    };
  }, [path, topics.join(",")]);
  return { data, error, reload: () => loader.current() };
}
