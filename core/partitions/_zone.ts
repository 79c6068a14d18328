/**
 * Time-zone offsets from `Intl.DateTimeFormat` (the only clock-free, dependency-free tz database
 * in a pure core). Offsets are looked up per instant and memoized; wall times are mapped back to
 * instants the way Temporal does: probe the offsets a day before and after, keep the candidates
 * that round-trip.
 */
import { DAY } from "./_civil.ts";

/** An IANA time zone with DST-aware conversions between instants and local ms. */
export interface Zone {
  /** Canonical IANA name (`Intl`'s resolved name). */
  readonly name: string;
  /** Local ms minus UTC ms at instant `t`. */
  offsetAt(t: number): number;
  /** Instants whose wall time is `local`, ascending: none in a spring-forward gap, two in a fall-back fold. */
  instantsOf(local: number): number[];
  /** The earliest instant showing `local`; inside a gap, the instant the clocks jump (so midnight → 01:00). */
  resolve(local: number): number;
}

const zones = new Map<string, Zone>();
const UTC_NAMES = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu"]);

/** The zone called `name`. @throws RangeError when `Intl` does not know it. */
export function getZone(name: string): Zone {
  let zone = zones.get(name);
  if (zone) return zone;
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: name,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const canonical = format.resolvedOptions().timeZone;
  zone = UTC_NAMES.has(canonical) ? utcZone(canonical) : intlZone(canonical, format);
  zones.set(name, zone);
  return zone;
}

/** Is `zone` one whose offset never changes (UTC and its aliases)? Its days and weeks are all of one length. */
export function isFixedZone(zone: Zone): boolean {
  return UTC_NAMES.has(zone.name);
}

function utcZone(name: string): Zone {
  return { name, offsetAt: () => 0, instantsOf: (local) => [local], resolve: (local) => local };
}

function intlZone(name: string, format: Intl.DateTimeFormat): Zone {
  const memo = new Map<number, number>();
  const offsetAt = (t: number): number => {
    const hit = memo.get(t);
    if (hit !== undefined) return hit;
    // en-US: "MM/DD/YYYY, HH:MM:SS"; any non-digit separators are accepted, ICU versions differ.
    const m = /(\d+)\D+(\d+)\D+(\d+)\D+(\d+)\D+(\d+)\D+(\d+)/.exec(format.format(t));
    if (!m) throw new Error(`Unexpected Intl output for ${name}: ${format.format(t)}`);
    const [, mo, d, y, h, mi, s] = m.map(Number) as number[];
    const local = Date.UTC(y!, mo! - 1, d!, h! % 24, mi!, s!);
    const offset = (y! < 100 ? fixYear(local, y!) : local) - Math.floor(t / 1000) * 1000;
    if (memo.size > 20_000) memo.clear();
    memo.set(t, offset);
    return offset;
  };
  const instantsOf = (local: number): number[] => {
    const out: number[] = [];
    for (const o of new Set([offsetAt(local - DAY), offsetAt(local + DAY)])) {
      const t = local - o;
      if (offsetAt(t) === o) out.push(t);
    }
    return out.sort((a, b) => a - b);
  };
  const resolve = (local: number): number => instantsOf(local)[0] ?? local - offsetAt(local - DAY);
  return { name, offsetAt, instantsOf, resolve };
}

/** `Date.UTC` maps years 0–99 to 1900–1999; undo that. */
function fixYear(ms: number, y: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(y);
  return d.getTime();
}
