/** Formatting of times, durations, sizes and counts for the pages (text only). */

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago" (from `now`, default the page's clock). */
export function ago(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 0) return "in " + span(-s);
  return span(s) + " ago";
}

function span(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** A duration in ms: "850 ms", "4.2 s", "3 min 5 s". */
export function duration(ms: number | null | undefined): string {
  if (ms == null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Bytes as "812 B", "4.1 KiB", "3.2 MiB". */
export function bytes(n: number | null | undefined): string {
  if (n == null) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A count with thousands separators. */
export const count = (n: number | null | undefined): string => (n == null ? "—" : n.toLocaleString("en-US"));

/** A local date-time for a tooltip. */
export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : "");
