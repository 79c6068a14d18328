/**
 * Partition queries of the Postgres state store: the aggregated partition summary of an asset and
 * per-partition staleness (MaterializationStore.partitionSummary / changedPartitions), the
 * Postgres counterparts of _partitions.ts and _staleness.ts, with the same answers.
 *
 * Summary: time partitions (rows with an `ordinal`) come back as ranges from the per-bucket aggregates
 * the writes keep (`partition_buckets`), with only irregular buckets read row by row through the
 * (asset_key, ordinal) index; key-list partitions (no ordinal) come back one row each. The fingerprint
 * is the XOR of Postgres's 64-bit `hashtextextended` of each `key=dataVersion`, also kept by the
 * writes (`partition_fingerprints`; a store's fingerprints are compared with that store's only).
 *
 * Staleness: the exact comparison of _staleness.ts in Postgres SQL (no digest buckets). A read of
 * several upstream partitions is hashed with io's hashText, which Postgres does not have: those rows
 * come back with their `key=dataVersion` lines and are compared here; everything else is decided in SQL.
 */
import type { OrdinalRange, PartitionSummary, StalenessAnswer, StalenessQuery } from "../../core/types.ts";
import { hashText } from "../storage/index.ts";
import type { Pg, PgRow } from "./_pg-client.ts";
import type { SummaryRequest } from "./_partitions.ts";
import { islands } from "./_records.ts";
import { toMaterialization } from "./_sql.ts";

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Ordinals are grouped in buckets of 2^BUCKET_BITS (`ordinal >> 10`, a floor also below 0). */
const BUCKET_BITS = 10;

/** Σ i² for i = 1…k, a polynomial: f(hi) − f(lo − 1) is Σ i² over lo…hi for any integers. */
const squares = (k: bigint) => (k * (k + 1n) * (2n * k + 1n)) / 6n;

/**
 * Is a bucket's set of ordinals exactly lo…hi (offsets inside the bucket)? Its count, sum and sum of squares must be those of
 * lo…hi: a gap with a duplicate in its place changes the sum, two gaps whose duplicates balance the
 * sum change the sum of squares (the digest checks of _staleness.ts, for ranges).
 */
function contiguous(n: number, lo: number, hi: number, s: unknown, s2: unknown): boolean {
  const [N, L, H] = [BigInt(n), BigInt(lo), BigInt(hi)];
  if (H - L + 1n !== N) return false;
  return BigInt(String(s)) * 2n === N * (L + H) && BigInt(String(s2)) === squares(H) - squares(L - 1n);
}

/** Sorted ranges merged where they touch or overlap. */
function mergeRanges(list: OrdinalRange[]): OrdinalRange[] {
  const out: OrdinalRange[] = [];
  for (const [lo, hi] of [...list].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** The kinds of rows a bucket aggregate counts (materialized, code changed, config changed): their filters. */
const KINDS = { m: "TRUE", c: "code_version <> $2", g: "config_hash <> $3" } as const;
type Kind = keyof typeof KINDS;
/** Every statement below binds the three values; these keep each typed when a statement names it in no filter. */
const TYPED = "$2::text IS NOT DISTINCT FROM $2::text AND $3::text IS NOT DISTINCT FROM $3::text";

/** The same kinds over `partition_buckets`, whose config hash is '' for none (where `config_hash <> $3` is NULL above). */
const BUCKET_KINDS: Record<Kind, string> = { m: "TRUE", c: "code_version <> $2", g: "config_hash <> '' AND config_hash <> $3" };

/**
 * Ranges of the time partitions of one asset ($1; code version $2, config hash $3), per kind, range-encoded:
 * the writes keep (count, min, max, sum, sum of squares) of the ordinals per bucket of 1,024, code version
 * and config hash (`partition_buckets`, migration 3 in _pg-schema.ts), so this reads ~1 row per bucket and
 * groups them per kind; a bucket whose ordinals are exactly min…max (the usual case) is one range and
 * nothing more comes back, the few others (gaps, duplicates) are read ordinal by ordinal in a second query.
 */
async function timeRanges(q: Pg, a: SummaryRequest, kinds: readonly Kind[]): Promise<{ ranges: Record<Kind, OrdinalRange[]>; count: number }> {
  const aggs = kinds.map((k) => {
    const f = `FILTER (WHERE ${BUCKET_KINDS[k]})`;
    return `sum(n) ${f} AS ${k}n, min(lo) ${f} AS ${k}lo, max(hi) ${f} AS ${k}hi, sum(s) ${f} AS ${k}s, sum(s2) ${f} AS ${k}s2`;
  });
  const params = [a.assetKey, a.codeVersion, a.configHash ?? null];
  const buckets = await q.unsafe(`SELECT b, ${aggs.join(", ")} FROM partition_buckets WHERE asset_key = $1 AND ${TYPED} GROUP BY b ORDER BY b`, params);
  const out = { m: [], c: [], g: [] } as Record<Kind, OrdinalRange[]>;
  let count = 0;
  for (const k of kinds) {
    const detail: number[] = [];
    for (const r of buckets) {
      const n = Number(r[`${k}n`]);
      if (k === "m") count += n;
      if (n === 0) continue;
      const [lo, hi] = [Number(r[`${k}lo`]), Number(r[`${k}hi`])];
      const base = Number(r.b) * 2 ** BUCKET_BITS;
      if (contiguous(n, lo - base, hi - base, r[`${k}s`], r[`${k}s2`])) out[k].push([lo, hi]);
      else detail.push(Number(r.b));
    }
    if (detail.length > 0) {
      const rows = await q.unsafe(
        // one index range per bucket ((asset_key, ordinal)); `ordinal >> 10 = ANY(…)` would scan every row again
        `SELECT l.ordinal FROM unnest($4::bigint[]) AS d(b) JOIN latest_materializations l
           ON l.asset_key = $1 AND l.ordinal BETWEEN d.b * ${2 ** BUCKET_BITS} AND d.b * ${2 ** BUCKET_BITS} + ${2 ** BUCKET_BITS - 1}
         WHERE ${KINDS[k]} AND ${TYPED}`,
        [...params, detail],
      );
      out[k].push(...islands(rows.map((r) => Number(r.ordinal))));
    }
    out[k] = mergeRanges(out[k]);
  }
  return { ranges: out, count };
}

/** The summary of each asset (one after the other, a handful of indexed queries each). */
export async function selectPgSummaries(q: Pg, assets: readonly SummaryRequest[]): Promise<Map<string, PartitionSummary>> {
  const out = new Map<string, PartitionSummary>();
  for (const a of new Map(assets.map((x) => [x.assetKey, x])).values()) out.set(a.assetKey, await summarize(q, a));
  return out;
}

async function summarize(q: Pg, a: SummaryRequest): Promise<PartitionSummary> {
  const withConfig = typeof a.configHash === "string";
  const time = await timeRanges(q, a, withConfig ? ["m", "c", "g"] : ["m", "c"]);
  const failures = await q.unsafe(
    `SELECT f.partition_key, coalesce(f.ordinal, l.ordinal) AS ordinal FROM latest_failures f
       LEFT JOIN latest_materializations l ON l.asset_key = f.asset_key AND l.partition_key = f.partition_key
     WHERE f.asset_key = $1 AND f.partition_key <> '' AND (l.ts IS NULL OR f.ts > l.ts)`,
    [a.assetKey],
  );
  const keyed = await q.unsafe(
    `SELECT partition_key, code_version <> $2 AS code_changed, coalesce(config_hash <> $3, false) AS config_changed
     FROM latest_materializations WHERE asset_key = $1 AND ordinal IS NULL AND partition_key <> ''`,
    [a.assetKey, a.codeVersion, a.configHash ?? null],
  );
  const [last] = await q.unsafe("SELECT * FROM latest_materializations WHERE asset_key = $1 ORDER BY ts DESC, partition_key DESC LIMIT 1", [a.assetKey]);
  const keys = keyed.map((r) => String(r.partition_key)).sort(byText);
  const flagged = (column: string) => keyed.filter((r) => r[column] === true).map((r) => String(r.partition_key)).sort(byText);
  const count = time.count + keyed.length;
  const summary: PartitionSummary = {
    materialized: time.ranges.m,
    materializedKeys: keys,
    failed: islands(failures.flatMap((r) => (r.ordinal === null ? [] : [Number(r.ordinal)]))),
    failedKeys: failures.filter((r) => r.ordinal === null).map((r) => String(r.partition_key)).sort(byText),
    codeChanged: time.ranges.c,
    codeChangedKeys: flagged("code_changed"),
    materializedCount: count,
    fingerprint: "",
    last: last ? toMaterialization(last) : null,
  };
  if (a.fingerprint !== false) {
    // kept by the writes (migration 3): the XOR of hashtextextended(key=data_version) over the asset's partitions
    const [fp] = await q.unsafe("SELECT fp::text AS fp FROM partition_fingerprints WHERE asset_key = $1", [a.assetKey]);
    summary.fingerprint = `${count}:${String(fp?.fp ?? "0")}`;
  }
  if (withConfig) {
    summary.configChanged = time.ranges.g;
    summary.configChangedKeys = flagged("config_changed");
  }
  return summary;
}

/** The upstream rows a read joins, aggregated: how many, the one version, and the lines to hash when several (in read order). */
const AGG = "count(u.dv) AS n, min(u.dv) AS dv1, string_agg(u.k || '=' || u.dv, chr(10) ORDER BY pos) AS agg";
/** The version of a read decided in SQL (none → empty, one → its version); NULL when several (hashed in JS, see the header). */
const CUR = (r: string) => `CASE WHEN ${r}.n IS NULL OR ${r}.n = 0 THEN $3 WHEN ${r}.n = 1 THEN ${r}.dv1 END`;
/** ⌊x / y⌋ of BIGINT expressions, y > 0 (Postgres's `/` truncates toward zero). */
const floorDiv = (x: string, y: string) => `((${x} - (((${x}) % ${y}) + ${y}) % ${y}) / ${y})`;

/**
 * The changed downstream partitions of one edge (see core/types.ts StalenessQuery). Parameters: $1 down,
 * $2 up, $3 the empty version, $4/$5 the downstream ordinals, $6/$7 the upstream ones, then each read's own.
 */
export async function selectPgChangedPartitions(q: Pg, sq: StalenessQuery): Promise<StalenessAnswer> {
  const timed = sq.downOrdinals !== null;
  const [dlo, dhi] = sq.downOrdinals ?? [0, -1];
  const [ulo, uhi] = sq.upOrdinals ?? [0, -1];
  const params: unknown[] = [sq.down, sq.up, sq.emptyVersion, dlo, dhi, ulo, uhi];
  const bind = (v: unknown) => `$${params.push(v)}`;
  const ctes = [
    // every base parameter typed, used or not (Postgres refuses a parameter it cannot type)
    "b AS (SELECT $1::text AS down, $2::text AS up, $3::text AS empty, $4::bigint AS dlo, $5::bigint AS dhi, $6::bigint AS ulo, $7::bigint AS uhi)",
    `d AS (SELECT partition_key AS k, ordinal AS o, (input_versions::jsonb ->> $2) AS rec FROM latest_materializations
      WHERE asset_key = $1 AND partition_key <> '' AND ${timed ? "ordinal BETWEEN $4::bigint AND $5::bigint" : "ordinal IS NULL"})`,
    `u AS (SELECT partition_key AS k, ordinal AS o, data_version AS dv FROM latest_materializations WHERE asset_key = $2 AND partition_key <> ''
      ${sq.read.kind === "keys" ? "" : "AND ordinal BETWEEN $6::bigint AND $7::bigint"})`,
  ];
  // every statement returns (o, k, rec, cur, agg): cur NULL with agg set → hash agg here
  let changed: string;
  const read = sq.read;
  if (read.kind === "constant") {
    changed = `SELECT o, k, rec, ${bind(read.version)}::text AS cur, NULL::text AS agg FROM d`;
  } else if (read.kind === "shift" && read.lo === read.hi) {
    changed = `SELECT d.o, d.k, d.rec, coalesce(u.dv, $3) AS cur, NULL::text AS agg FROM d LEFT JOIN u ON u.o = d.o + ${bind(read.lo)}::bigint`;
  } else if (read.kind === "shift") {
    const lo = bind(read.lo);
    const hi = bind(read.hi);
    ctes.push(
      `p AS (SELECT d.o AS dord, pos FROM d, generate_series(d.o + ${lo}::bigint, d.o + ${hi}::bigint) AS pos)`,
      `r AS (SELECT p.dord, ${AGG} FROM p JOIN u ON u.o = p.pos GROUP BY p.dord)`,
    );
    changed = `SELECT d.o, d.k, d.rec, ${CUR("r")} AS cur, r.agg FROM d LEFT JOIN r ON r.dord = d.o`;
  } else if (read.kind === "regular") {
    const [lo, hi, dp, dc, up, uc] = [read.lo, read.hi, read.dPeriod, read.dPhase, read.uPeriod, read.uPhase].map((v) => `${bind(v)}::bigint`);
    const s = `((d.o + ${lo}) * ${dp} + ${dc} - ${uc})`;
    const e = `((d.o + ${hi} + 1) * ${dp} + ${dc} - ${uc})`;
    ctes.push(
      `x AS (SELECT d.o, d.k, d.rec, ${floorDiv(s, up!)} AS f, -${floorDiv(`(-${e})`, up!)} - 1 AS l FROM d)`,
      "g AS (SELECT DISTINCT f, l FROM x WHERE l > f)",
      "p AS (SELECT g.f, g.l, pos FROM g, generate_series(g.f, g.l) AS pos)",
      `r AS (SELECT p.f, p.l, ${AGG} FROM p JOIN u ON u.o = p.pos GROUP BY p.f, p.l)`,
    );
    changed = `SELECT x.o, x.k, x.rec,
        CASE WHEN x.f > x.l THEN $3 WHEN x.f = x.l THEN coalesce(u.dv, $3) ELSE ${CUR("r")} END AS cur,
        CASE WHEN x.l > x.f THEN r.agg END AS agg
      FROM x LEFT JOIN u ON u.o = (CASE WHEN x.f = x.l THEN x.f END) LEFT JOIN r ON r.f = x.f AND r.l = x.l`;
  } else if (read.kind === "windows") {
    const w = bind(read.rows.map(([a, b, c, z]) => ({ dlo: a, dhi: b, ulo: c, uhi: z })));
    ctes.push(
      `w AS (SELECT row_number() OVER () AS id, * FROM jsonb_to_recordset(${w}::jsonb) AS t(dlo bigint, dhi bigint, ulo bigint, uhi bigint))`,
      "p AS (SELECT w.id, pos FROM w, generate_series(w.ulo, w.uhi) AS pos)",
      `r AS (SELECT w.id, w.dlo, w.dhi, v.n, v.dv1, v.agg FROM w LEFT JOIN (SELECT p.id, ${AGG} FROM p JOIN u ON u.o = p.pos GROUP BY p.id) v ON v.id = w.id)`,
      `x AS (SELECT dord, ${CUR("r")} AS cur, r.agg FROM r, generate_series(r.dlo, r.dhi) AS dord)`,
    );
    changed = "SELECT d.o, d.k, d.rec, CASE WHEN x.dord IS NULL THEN $3 ELSE x.cur END AS cur, x.agg FROM d LEFT JOIN x ON x.dord = d.o";
  } else {
    const pairs = bind(read.pairs.map(([dk, uk, pos]) => ({ dk, uk, pos })));
    ctes.push(
      `p AS (SELECT * FROM jsonb_to_recordset(${pairs}::jsonb) AS t(dk text, uk text, pos bigint))`,
      `r AS (SELECT p.dk, ${AGG} FROM p JOIN u ON u.k = p.uk GROUP BY p.dk)`,
    );
    changed = `SELECT d.o, d.k, d.rec, ${CUR("r")} AS cur, r.agg FROM d LEFT JOIN r ON r.dk = d.k`;
  }
  ctes.push(`c AS (${changed})`);
  // decided in SQL unless several partitions were read (cur NULL, agg set): those come back to be hashed
  const found = await q.unsafe(`WITH ${ctes.join(",\n")}
    SELECT o, k, rec, cur, agg FROM c WHERE (cur IS NULL AND agg IS NOT NULL) OR rec IS DISTINCT FROM cur`, params);
  const stale = found.filter((r) => r.cur !== null || r.rec === null || String(r.rec) !== hashText(String(r.agg)));
  if (!timed) return { changed: [], changedKeys: stale.map((r) => String(r.k)).sort(byText) };
  return { changed: islands(stale.map((r) => Number(r.o))), changedKeys: [] };
}
