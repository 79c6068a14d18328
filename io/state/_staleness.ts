/**
 * Per-partition staleness in SQL (MaterializationStore.changedPartitions, the question built by
 * core/status/staleness.ts): one query per edge compares every materialized downstream partition's
 * recorded input version of the upstream (`input_versions`, JSON) with the version it would read
 * now, joined set-wise with the upstream's latest rows; only ranges of changed ordinals (or the
 * changed keys of key-list partitions) come back.
 *
 * The version of a read (core/status/versions.ts): none → the query's `emptyVersion`; one upstream
 * partition → its data version; several → `hashText` over their `key=dataVersion` lines in read
 * order, which DuckDB calls as the scalar function `dagx_hash` (registered on each host connection)
 * only for the reads of several partitions.
 *
 * The recorded version is read from `input_map` (migration 9), a MAP lookup; a row from before that
 * migration has no map and is read from its JSON text (`input_versions`), row by row, so old and new
 * rows mix in one answer.
 *
 * Identity reads (a shift of one ordinal: same hour, same day) do not join every downstream row with
 * every upstream row (at 1,000,000 partitions DuckDB's hash table for that join was ~85 MB and ~100
 * ms). First, both sides are folded into digests per bucket of {@link BUCKET} downstream ordinals —
 * count, XOR and sum of a 64-bit hash of (ordinal, version) — a grouping of ~1,000 rows per 1,000,000
 * whatever the size. A bucket whose digests are equal holds no changed partition; only the buckets
 * that differ are compared row by row, by the exact query restricted to their ordinals. Memory then
 * grows with the changed partitions, not with all of them. (A change hides only if both 64-bit folds
 * of a bucket collide at once, the same class of risk as the 64-bit content fingerprint of
 * all-partitions reads.) The digests read the map only: a bucket holding a row from before migration 9
 * is compared row by row (the exact path, which reads its JSON). `{ exact: true }` skips the digests
 * (tests compare both paths).
 */
import { type DuckDBConnection, DuckDBScalarFunction, VARCHAR } from "@duckdb/node-api";
import { regularReadOf } from "../../core/status/index.ts";
import type { OrdinalRange, StalenessAnswer, StalenessQuery, UpstreamRead } from "../../core/types.ts";
import { hashText } from "../storage/index.ts";
import { jsonRows } from "./_sql.ts";

/** Register `dagx_hash(text)` (io's hashText) on a connection. */
export function registerHash(conn: DuckDBConnection): void {
  conn.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: "dagx_hash",
      returnType: VARCHAR,
      parameterTypes: [VARCHAR],
      mainFunction: (_info, input, output) => {
        const text = input.getColumnVector(0);
        for (let i = 0; i < input.rowCount; i++) output.setItem(i, hashText(String(text.getItem(i))));
        output.flush();
      },
    }),
  );
}

/** `(n, dv1, agg)` of a read → its version (see the header). */
const VERSION = (r: string) => `CASE WHEN ${r}.n IS NULL OR ${r}.n = 0 THEN $empty WHEN ${r}.n = 1 THEN ${r}.dv1 ELSE dagx_hash(${r}.agg) END`;
/** The aggregate of the upstream rows `u` a read joins, ordered by `pos`. */
const AGG = "count(u.dv) AS n, min(u.dv) AS dv1, string_agg(u.k || '=' || u.dv, chr(10) ORDER BY pos) AS agg";

/**
 * Does no downstream partition of a regular read read more than one upstream window? The pattern of
 * reads repeats every uPeriod / gcd(dPeriod, uPeriod) ordinals (s advances by a multiple of uPeriod),
 * so one such period decides it for all.
 */
function readsOneAtMost(r: Extract<UpstreamRead, { kind: "regular" }>): boolean {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const period = r.uPeriod / gcd(r.dPeriod, r.uPeriod);
  for (let o = 0; o < period; o++) {
    const [f, l] = regularReadOf(r, o);
    if (l > f) return false;
  }
  return true;
}

/** ⌊x / y⌋ of BIGINT expressions, y > 0 (DuckDB's `//` truncates toward zero): the remainder taken off first makes the division exact. */
const floorDiv = (x: string, y: string) => `((${x} - (((${x}) % ${y}) + ${y}) % ${y}) // ${y})`;

/** Downstream ordinals per digest bucket (a power of two: bucket = ordinal >> BUCKET_BITS, floor also below 0). */
const BUCKET_BITS = 10;
export const BUCKET = 2 ** BUCKET_BITS;
/** At most this many runs of changed buckets are bound as ranges the scans can skip by (zonemaps); more are filtered as a bucket list. */
const MAX_RANGES = 32;

/**
 * The version a downstream row recorded for `$up`: from its MAP (migration 9), else from its JSON text.
 * Both are written from the same record, so a map without `$up` means JSON without it (NULL either way);
 * a NULL map (a row from before migration 9) is read from the JSON. coalesce parses JSON only for the
 * rows whose map gave NULL (~20 ms less at 1,000,000 rows than a CASE on the map).
 */
const RECORDED = "coalesce(input_map[$up], json_extract_string(input_versions, $path))";

/**
 * The changed downstream partitions of one edge (see core/types.ts StalenessQuery). For tests: `exact`
 * skips the digests (the reference compared with), `maxRanges` lowers MAX_RANGES.
 */
export async function selectChangedPartitions(conn: DuckDBConnection, q: StalenessQuery, options: { exact?: boolean; maxRanges?: number } = {}): Promise<StalenessAnswer> {
  if (!options.exact && q.read.kind === "shift" && q.read.lo === q.read.hi && q.downOrdinals && q.upOrdinals) {
    const buckets = await changedBuckets(conn, q, q.read.lo);
    if (buckets.length === 0) return { changed: [], changedKeys: [] };
    return compare(conn, q, buckets, options.maxRanges ?? MAX_RANGES);
  }
  return compare(conn, q, null, 0);
}

/** Params every statement of an edge may bind (each binds those it names). */
function baseParams(q: StalenessQuery): Record<string, string | number> {
  const params: Record<string, string | number> = { down: q.down, up: q.up, path: `$.${JSON.stringify(q.up)}`, empty: q.emptyVersion };
  if (q.downOrdinals) [params.dlo, params.dhi] = q.downOrdinals;
  [params.ulo, params.uhi] = q.upOrdinals ?? [0, -1];
  return params;
}

async function run(conn: DuckDBConnection, text: string, params: Record<string, string | number | bigint>): Promise<unknown[][]> {
  const bound = Object.fromEntries(Object.entries(params).filter(([name]) => new RegExp(`\\$${name}\\b`).test(text)));
  return (await conn.runAndReadAll(text, bound)).getRowsJS();
}

/**
 * The buckets of downstream ordinals (o >> BUCKET_BITS) whose digests differ, ascending, for a read of
 * upstream ordinal o + lo. Only buckets holding downstream rows count: a bucket of upstream rows alone
 * has no partition to be stale.
 */
async function changedBuckets(conn: DuckDBConnection, q: StalenessQuery, lo: number): Promise<number[]> {
  const fold = (o: string, v: string) => `count(*) AS n, bit_xor(hash(hash(${o}, ${v}))) AS x, sum(hash(hash(${o}, ${v}))) AS s`;
  // the map only: a bucket holding a row from before migration 9 (no map) is compared row by row, where
  // its JSON is read (reading the JSON column here too would cost as much as parsing it: ~25 ms per 1,000,000 rows)
  const text = `WITH dd AS (SELECT ordinal >> ${BUCKET_BITS} AS b, ${fold("ordinal", "input_map[$up]")}, count_if(input_map IS NULL) AS old FROM latest_materializations
      WHERE asset_key = $down AND partition_key <> '' AND ordinal BETWEEN $dlo::BIGINT AND $dhi::BIGINT GROUP BY b),
    ud AS (SELECT (ordinal - $lo::BIGINT) >> ${BUCKET_BITS} AS b, ${fold("ordinal - $lo::BIGINT", "data_version")} FROM latest_materializations
      WHERE asset_key = $up AND partition_key <> '' AND ordinal BETWEEN $ulo::BIGINT AND $uhi::BIGINT
        AND ordinal - $lo::BIGINT BETWEEN $dlo::BIGINT AND $dhi::BIGINT GROUP BY b)
    SELECT dd.b FROM dd LEFT JOIN ud ON ud.b = dd.b WHERE dd.old > 0 OR ud.b IS NULL OR dd.n <> ud.n OR dd.x <> ud.x OR dd.s <> ud.s ORDER BY dd.b`;
  return (await run(conn, text, { ...baseParams(q), lo })).map(([b]) => Number(b));
}

/**
 * The exact comparison of an edge, over all its rows (`buckets` null) or only those of the given
 * digest buckets of downstream ordinals (identity reads: upstream ordinal = downstream + lo).
 */
async function compare(conn: DuckDBConnection, q: StalenessQuery, buckets: readonly number[] | null, maxRanges: number): Promise<StalenessAnswer> {
  const params: Record<string, string | number | bigint> = baseParams(q);
  const timed = q.downOrdinals !== null;
  // the changed buckets: runs of consecutive ones as ordinal ranges the scans can skip by, or (many runs) a list
  let only = { d: "", u: "" };
  if (buckets) {
    const runs: [number, number][] = [];
    for (const b of buckets) {
      const last = runs[runs.length - 1];
      if (last && b === last[1] + 1) last[1] = b;
      else runs.push([b, b]);
    }
    params.lo = (q.read as { lo: number }).lo;
    if (runs.length <= maxRanges) {
      const d: string[] = [];
      const u: string[] = [];
      runs.forEach(([a, z], i) => {
        [params[`r${i}a`], params[`r${i}z`]] = [a * BUCKET, (z + 1) * BUCKET - 1];
        d.push(`ordinal BETWEEN $r${i}a::BIGINT AND $r${i}z::BIGINT`);
        u.push(`ordinal BETWEEN $r${i}a::BIGINT + $lo::BIGINT AND $r${i}z::BIGINT + $lo::BIGINT`);
      });
      only = { d: ` AND (${d.join(" OR ")})`, u: ` AND (${u.join(" OR ")})` };
    } else {
      params.buckets = JSON.stringify(buckets);
      const list = `(SELECT unnest(from_json($buckets, '["BIGINT"]')))`;
      only = { d: ` AND ordinal >> ${BUCKET_BITS} IN ${list}`, u: ` AND (ordinal - $lo::BIGINT) >> ${BUCKET_BITS} IN ${list}` };
    }
  }
  const ctes = [
    `d AS (SELECT partition_key AS k, ordinal AS o, ${RECORDED} AS rec FROM latest_materializations
      WHERE asset_key = $down AND partition_key <> '' AND ${timed ? "ordinal BETWEEN $dlo::BIGINT AND $dhi::BIGINT" : "ordinal IS NULL"}${only.d})`,
    `u AS (SELECT partition_key AS k, ordinal AS o, data_version AS dv FROM latest_materializations WHERE asset_key = $up AND partition_key <> ''
      ${q.read.kind === "keys" ? "" : "AND ordinal BETWEEN $ulo::BIGINT AND $uhi::BIGINT"}${only.u})`,
  ];
  let changed: string;
  const read = q.read;
  if (read.kind === "constant") {
    params.version = read.version;
    changed = "SELECT o, k FROM d WHERE rec IS DISTINCT FROM $version";
  } else if (read.kind === "shift" && read.lo === read.hi) {
    // one upstream partition each (identity): a join on the shifted ordinal
    params.lo = read.lo;
    changed = "SELECT d.o, d.k FROM d LEFT JOIN u ON u.o = d.o + $lo::BIGINT WHERE d.rec IS DISTINCT FROM coalesce(u.dv, $empty)";
  } else if (read.kind === "shift") {
    [params.lo, params.hi] = [read.lo, read.hi];
    ctes.push(
      "p AS (SELECT o AS dord, unnest(range(o + $lo::BIGINT, o + $hi::BIGINT + 1)) AS pos FROM d)",
      `r AS (SELECT p.dord, ${AGG} FROM p JOIN u ON u.o = p.pos GROUP BY p.dord)`,
    );
    changed = `SELECT d.o, d.k FROM d LEFT JOIN r ON r.dord = d.o WHERE d.rec IS DISTINCT FROM ${VERSION("r")}`;
  } else if (read.kind === "regular") {
    // arithmetic on ordinals (core/types.ts UpstreamRead "regular"): a read of one upstream window is
    // a join on its ordinal (hour ← day: the upstream side is the small one); reads of several are
    // hashed once per distinct read
    Object.assign(params, { lo: read.lo, hi: read.hi, dp: read.dPeriod, dc: read.dPhase, up_: read.uPeriod, uc: read.uPhase });
    const s = "((d.o + $lo::BIGINT) * $dp::BIGINT + $dc::BIGINT - $uc::BIGINT)";
    const e = "((d.o + $hi::BIGINT + 1) * $dp::BIGINT + $dc::BIGINT - $uc::BIGINT)";
    ctes.push(`x AS (SELECT d.o, d.k, d.rec, ${floorDiv(s, "$up_::BIGINT")} AS f, -${floorDiv(`(-${e})`, "$up_::BIGINT")} - 1 AS l FROM d)`);
    if (readsOneAtMost(read)) {
      // no read of several windows (hour ← day): one join on the upstream ordinal, nothing else
      changed = "SELECT x.o, x.k FROM x LEFT JOIN u ON u.o = x.f WHERE x.rec IS DISTINCT FROM (CASE WHEN x.f = x.l THEN coalesce(u.dv, $empty) ELSE $empty END)";
    } else {
      ctes.push(
        "g AS (SELECT DISTINCT f, l FROM x WHERE l > f)",
        "p AS (SELECT f, l, unnest(range(f, l + 1)) AS pos FROM g)",
        `r AS (SELECT p.f, p.l, ${AGG} FROM p JOIN u ON u.o = p.pos GROUP BY p.f, p.l)`,
      );
      changed = `SELECT x.o, x.k FROM x LEFT JOIN u ON u.o = (CASE WHEN x.f = x.l THEN x.f END) LEFT JOIN r ON r.f = x.f AND r.l = x.l
        WHERE x.rec IS DISTINCT FROM (CASE WHEN x.f > x.l THEN $empty WHEN x.f = x.l THEN coalesce(u.dv, $empty) ELSE ${VERSION("r")} END)`;
    }
  } else if (read.kind === "windows") {
    // one version per run of equal reads, then spread over the run's downstream ordinals
    const w = jsonRows({ dlo: "BIGINT", dhi: "BIGINT", ulo: "BIGINT", uhi: "BIGINT" }, read.rows);
    params.windows = w.param;
    ctes.push(
      `w AS (SELECT row_number() OVER () AS id, * FROM ${w.sql.replace("?", "$windows")})`,
      "p AS (SELECT id, unnest(range(ulo, uhi + 1)) AS pos FROM w)",
      `r AS (SELECT w.id, w.dlo, w.dhi, v.n, v.dv1, v.agg FROM w LEFT JOIN (SELECT p.id, ${AGG} FROM p JOIN u ON u.o = p.pos GROUP BY p.id) v ON v.id = w.id)`,
      `x AS (SELECT unnest(range(dlo, dhi + 1)) AS dord, ${VERSION("r")} AS cur FROM r)`,
    );
    changed = "SELECT d.o, d.k FROM d LEFT JOIN x ON x.dord = d.o WHERE d.rec IS DISTINCT FROM coalesce(x.cur, $empty)";
  } else {
    const pairs = jsonRows({ dk: "VARCHAR", uk: "VARCHAR", pos: "BIGINT" }, read.pairs.map(([dk, uk, pos]) => [dk, uk, BigInt(pos)]));
    params.pairs = pairs.param;
    ctes.push(
      `p AS ${pairs.sql.replace("?", "$pairs")}`,
      `r AS (SELECT p.dk, ${AGG} FROM p JOIN u ON u.k = p.uk GROUP BY p.dk)`,
    );
    changed = `SELECT d.o, d.k FROM d LEFT JOIN r ON r.dk = d.k WHERE d.rec IS DISTINCT FROM ${VERSION("r")}`;
  }
  ctes.push(`c AS (${changed})`);
  const tail = timed
    ? "SELECT min(o) AS lo, max(o) AS hi FROM (SELECT o, o - row_number() OVER (ORDER BY o) AS g FROM c) GROUP BY g ORDER BY lo"
    : "SELECT k FROM c ORDER BY k";
  const found = await run(conn, `WITH ${ctes.join(",\n")}\n${tail}`, params);
  if (!timed) return { changed: [], changedKeys: found.map(([k]) => String(k)) };
  return { changed: found.map(([lo, hi]) => [Number(lo), Number(hi)] as OrdinalRange), changedKeys: [] };
}
