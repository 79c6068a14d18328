/**
 * The live change feed behind `/api/events`: any change of the state file — by this process, a CLI
 * in another terminal, the daemon — reaches the open pages as a `change` event naming its topics.
 *
 * Detection without holding the state. The DuckDB file and its WAL are stat'ed every `pollMs` (two
 * stat calls; nothing else while nothing changes); when their mtime or size moved, one short read
 * session takes the change marks (the store's `changeMarks`) and the topics whose mark moved are
 * sent. A read session leaves the file as it was (no checkpoint without writes), so reads do not feed
 * back into the poll. A Postgres state pushes instead (`onChange`: LISTEN on the notifications its
 * triggers send on commit), and the marks are read on each push. Either runs only while a page
 * listens. See docs/ARCHITECTURE.md.
 */
import fs from "node:fs";
import type { ChangeMarks, StateStore } from "../../core/state-store.ts";
import type { ChangeEvent, ChangeTopic } from "../../core/ui-api.ts";

/** The feed of change events that `/api/events` streams to the open pages. */
export interface ChangeFeed {
  /** Listen for change events; returns the unsubscribe function. */
  subscribe(listener: (e: ChangeEvent) => void): () => void;
  /** Send an event now (definitions reloaded; an action of this server). */
  publish(e: ChangeEvent): void;
  /** Look at the state file now instead of at the next poll. */
  poke(): void;
  close(): void;
}

/** Stat of the file and its WAL as one comparable string ("" when absent). */
function fileStamp(path: string): string {
  const one = (p: string) => {
    try {
      const s = fs.statSync(p);
      return `${s.ino}:${s.mtimeMs}:${s.size}`;
    } catch {
      return "-";
    }
  };
  return `${one(path)}|${one(`${path}.wal`)}`;
}

/** What changed between two sets of marks. */
export function diffMarks(before: ChangeMarks | null, after: ChangeMarks | null): ChangeEvent | null {
  if (!after) return null;
  const topics = new Set<ChangeTopic>();
  const runIds: string[] = [];
  if (!before) return { topics: ["runs", "assets", "backfills", "instigators", "alerts"] };
  if (before.runs !== after.runs) topics.add("runs").add("assets");
  if (before.assets !== after.assets) topics.add("assets");
  if (before.backfills !== after.backfills) topics.add("backfills");
  if (before.instigators !== after.instigators) topics.add("instigators");
  if (before.alerts !== after.alerts) topics.add("alerts");
  for (const [runId, seq] of after.events) if (before.events.get(runId) !== seq) runIds.push(runId);
  if (runIds.length) topics.add("runs");
  if (!topics.size) return null;
  return { topics: [...topics], ...(runIds.length ? { runIds } : {}) };
}

/** A feed over `store`, whose DuckDB file (when it is one) is at `statePath`. */
export function createChangeFeed(store: Pick<StateStore, "backend" | "changeMarks" | "onChange">, statePath: string, options: { pollMs?: number; onError?: (e: unknown) => void } = {}): ChangeFeed {
  const readChangeMarks = () => store.changeMarks();
  // no file to stat: every push is a change to look at
  const stampOf = store.backend === "duckdb" ? () => fileStamp(statePath) : () => String(++pushes);
  let pushes = 0;
  let unlisten: (() => Promise<void>) | null = null;
  const pollMs = options.pollMs ?? 250;
  const listeners = new Set<(e: ChangeEvent) => void>();
  let stamp = "";
  let marks: ChangeMarks | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let started = false;
  let reading = false;
  let again = false;
  let closed = false;

  const publish = (e: ChangeEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // a closed stream's listener: it unsubscribes itself
      }
    }
  };

  const look = async (force = false) => {
    if (closed) return;
    if (reading) {
      again = true;
      return;
    }
    const now = stampOf();
    if (!force && now === stamp) return;
    reading = true;
    try {
      stamp = now;
      const next = await readChangeMarks();
      const e = diffMarks(marks, next);
      marks = next;
      if (e && listeners.size) publish(e);
    } catch (e) {
      // the file busy for long or damaged: tried again at the next change
      stamp = "";
      options.onError?.(e);
    } finally {
      reading = false;
      if (again) {
        again = false;
        void look();
      }
    }
  };

  const start = () => {
    if (started || closed) return;
    // the baseline: what a page that opens now already shows
    stamp = "";
    marks = null;
    void (async () => {
      stamp = stampOf();
      marks = await readChangeMarks().catch(() => null);
    })();
    started = true;
    if (store.backend === "duckdb") {
      timer = setInterval(() => void look(), pollMs);
      return;
    }
    const listening = store.onChange(() => void look()).catch((e: unknown) => {
      options.onError?.(e);
      return null;
    });
    unlisten = async () => void (await (await listening)?.());
  };
  const stop = () => {
    started = false;
    if (timer) clearInterval(timer);
    timer = null;
    void unlisten?.();
    unlisten = null;
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      start();
      return () => {
        listeners.delete(listener);
        if (!listeners.size) stop();
      };
    },
    publish,
    poke: () => void look(),
    close() {
      closed = true;
      stop();
      listeners.clear();
    },
  };
}
