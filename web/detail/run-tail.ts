/**
 * The live tail of one run: the first answer of GET /api/runs/<id> holds the run and its events;
 * after that, every change event that names this run (or any run change while it still runs)
 * fetches only the events after the last seq seen (`?after=SEQ`) and appends them. One fetch at a
 * time; a change that arrives during a fetch triggers one more.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { get, onChange, ApiRequestError } from "../api.ts";
import type { ApiEvent, ApiRun, ApiRunDetail } from "../../core/ui-api.ts";

export interface RunTail {
  run: ApiRun | null;
  events: ApiEvent[];
  error: ApiRequestError | null;
  /** Fetch now (after an action such as cancel). */
  refresh: () => void;
}

export function useRunTail(runId: string): RunTail {
  const [run, setRun] = useState<ApiRun | null>(null);
  const [events, setEvents] = useState<ApiEvent[]>([]);
  const [error, setError] = useState<ApiRequestError | null>(null);
  const st = useRef({ lastSeq: 0, busy: false, again: false, live: true, running: true, fetch: () => {} });

  useEffect(() => {
    const s = st.current;
    s.lastSeq = 0;
    s.live = true;
    setRun(null);
    setEvents([]);
    setError(null);
    const base = `/api/runs/${encodeURIComponent(runId)}`;
    s.fetch = () => {
      if (s.busy) return void (s.again = true);
      s.busy = true;
      const first = s.lastSeq === 0;
      get<ApiRunDetail>(first ? base : `${base}?after=${s.lastSeq}`).then(
        (d) => {
          if (!s.live) return;
          setRun(d.run);
          s.running = d.run.status === "running";
          const fresh = d.events.filter((e) => e.seq > s.lastSeq);
          if (fresh.length) {
            s.lastSeq = Math.max(s.lastSeq, ...fresh.map((e) => e.seq));
            setEvents((old) => (first ? fresh : [...old, ...fresh]));
          }
          setError(null);
        },
        (e) => s.live && setError(e instanceof ApiRequestError ? e : new ApiRequestError(0, "NETWORK", String(e))),
      ).finally(() => {
        s.busy = false;
        if (s.again && s.live) {
          s.again = false;
          s.fetch();
        }
      });
    };
    s.fetch();
    const off = onChange((e) => {
      if (e.runIds?.includes(runId) || (s.running && e.topics.includes("runs"))) s.fetch();
    });
    return () => {
      s.live = false;
      off();
    };
  }, [runId]);
  return { run, events, error, refresh: () => st.current.fetch() };
}

/** The current time, ticking every second while `active` (bars of running steps grow). */
export function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}
