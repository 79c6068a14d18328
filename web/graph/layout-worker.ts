/**
 * The graph layout runs in a Web Worker so that a large graph never blocks the page.
 *
 * Bun's HTML bundler does not turn `new Worker(new URL("./x.ts", import.meta.url))` into a separate
 * bundle, and the CSP (`default-src 'self'`) forbids `blob:` and `data:` workers. So the worker is
 * the app's own bundle, started again as a module worker from `import.meta.url` (same origin, no
 * extra file): in a worker there is no `document`, web/main.ts renders nothing, and this module
 * answers layout requests instead. Should a worker not start, the layout runs on the page.
 */
import { computeLayout, type LayoutRequest, type LayoutResult } from "./layout.ts";

interface LayoutMessage {
  id: number;
  request: LayoutRequest;
}
type LayoutReply = { id: number; result: LayoutResult } | { id: number; error: string };

/** True inside a dedicated worker (no `document`). */
export function isWorkerScope(): boolean {
  return typeof document === "undefined" && typeof self !== "undefined" && typeof (self as unknown as { postMessage?: unknown }).postMessage === "function";
}

/** Worker side: answer each `{ id, request }` with `{ id, result }` or `{ id, error }`. */
export function serveLayoutRequests(): void {
  const scope = self as unknown as { onmessage: ((e: MessageEvent<LayoutMessage>) => void) | null; postMessage(m: LayoutReply): void };
  scope.onmessage = (e) => {
    const { id, request } = e.data;
    try {
      scope.postMessage({ id, result: computeLayout(request) });
    } catch (err) {
      scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
    }
  };
}

if (isWorkerScope()) serveLayoutRequests();

let worker: Worker | null = null;
let workerFailed = false;
let nextId = 1;
const pending = new Map<number, { resolve(r: LayoutResult): void; reject(e: Error): void; request: LayoutRequest }>();

/** Where the last layout ran: "worker" or "page" (shown on the graph element for tests). */
export let layoutEngine: "worker" | "page" = "worker";

function onPage(request: LayoutRequest): Promise<LayoutResult> {
  layoutEngine = "page";
  return new Promise((resolve, reject) =>
    setTimeout(() => {
      try {
        resolve(computeLayout(request));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    }, 0),
  );
}

function startWorker(): Worker | null {
  if (worker || workerFailed) return worker;
  try {
    worker = new Worker(import.meta.url, { type: "module", name: "dagx-layout" });
  } catch (e) {
    console.warn(`dagx: the layout worker did not start (${String(e)}); laying out on the page`);
    workerFailed = true;
    return null;
  }
  worker.onmessage = (e: MessageEvent<LayoutReply>) => {
    const p = pending.get(e.data.id);
    if (!p) return;
    pending.delete(e.data.id);
    if ("result" in e.data) p.resolve(e.data.result);
    else p.reject(new Error(e.data.error));
  };
  worker.onerror = (e) => {
    console.warn(`dagx: the layout worker failed (${e.message}); laying out on the page`);
    e.preventDefault();
    workerFailed = true;
    worker?.terminate();
    worker = null;
    const waiting = [...pending.values()];
    pending.clear();
    for (const p of waiting) onPage(p.request).then(p.resolve, p.reject);
  };
  return worker;
}

/** Lay out `request` in the worker (on the page when no worker can run). */
export function requestLayout(request: LayoutRequest): Promise<LayoutResult> {
  const started = performance.now();
  const w = startWorker();
  const done = w
    ? new Promise<LayoutResult>((resolve, reject) => {
        layoutEngine = "worker";
        const id = nextId++;
        pending.set(id, { resolve, reject, request });
        w.postMessage({ id, request } satisfies LayoutMessage);
      })
    : onPage(request);
  // a "dagx:layout" performance entry per layout (the UI benchmark reads them)
  return done.then((r) => {
    performance.measure("dagx:layout", { start: started, end: performance.now() });
    return r;
  });
}
