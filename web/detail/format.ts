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

export { bytes as fmtBytes, count as fmtCount, duration as fmtDuration } from "../components/format.ts";

/** Milliseconds between two ISO times (end defaults to now, for what still runs). */
export function spanMs(startIso: string, endIso: string | null, now = Date.now()): number {
  return (endIso ? Date.parse(endIso) : now) - Date.parse(startIso);
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

/**
 * A short form of a run or backfill id for tables: its last 8 characters. Ids are UUIDv7, whose
 * first characters are a timestamp shared by runs of the same minutes; the end is random.
 */
export function shortId(id: string): string {
  return id.length > 12 ? `…${id.slice(-8)}` : id;
}
