/**
 * Text formatting shared by the detail pages (asset, run, backfill, schedule, sensor). Every
 * function returns plain text: values reach the page through Preact text nodes, never as HTML.
 */

/** `2026-12-05 13:04:05` in the browser's time zone, or "—" for null. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `850ms`, `4.2s`, `3m 10s`, `2h 5m`; "—" for null. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Milliseconds between two ISO times (end defaults to now, for what still runs). */
export function spanMs(startIso: string, endIso: string | null, now = Date.now()): number {
  return (endIso ? Date.parse(endIso) : now) - Date.parse(startIso);
}

/** `1.2 KiB`, `3.4 MiB`; "—" for null. */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) (v /= 1024), i++;
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A number with thousands separators; "—" for null. */
export function fmtCount(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : n.toLocaleString("en-US");
}

/** Any JSON value as one line of text (strings as they are). */
export function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** `k=v, k2=v2` for a tag map; "" when empty. */
export function fmtTags(tags: Record<string, string> | null | undefined): string {
  return Object.entries(tags ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/** The path of an asset's detail page (each key segment URL-encoded, `/` kept). */
export function assetHref(key: string): string {
  return "/assets/" + key.split("/").map(encodeURIComponent).join("/");
}

/** The API path of an asset (`/api/assets/<key>`), with the same encoding as its page. */
export function assetApi(key: string, rest = ""): string {
  return "/api" + assetHref(key) + rest;
}
