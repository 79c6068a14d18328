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

/** The changed downstream partitions of one edge (see core/types.ts StalenessQuery). */
export async function selectChangedPartitions(conn: DuckDBConnection, q: StalenessQuery): Promise<StalenessAnswer> {
  const params: Record<string, string | number> = { down: q.down, up: q.up, path: `$.${JSON.stringify(q.up)}`, empty: q.emptyVersion };
  const timed = q.downOrdinals !== null;
  if (q.downOrdinals) [params.dlo, params.dhi] = q.downOrdinals;
  const [ulo, uhi] = q.upOrdinals ?? [0, -1];
  params.ulo = ulo;
  params.uhi = uhi;
  const ctes = [
    `d AS (SELECT partition_key AS k, ordinal AS o, json_extract_string(input_versions, $path) AS rec FROM latest_materializations
      WHERE asset_key = $down AND partition_key <> '' AND ${timed ? "ordinal BETWEEN $dlo::BIGINT AND $dhi::BIGINT" : "ordinal IS NULL"})`,
    `u AS (SELECT partition_key AS k, ordinal AS o, data_version AS dv FROM latest_materializations WHERE asset_key = $up AND partition_key <> ''
      ${q.read.kind === "keys" ? "" : "AND ordinal BETWEEN $ulo::BIGINT AND $uhi::BIGINT"})`,
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
  const text = `WITH ${ctes.join(",\n")}\n${tail}`;
  const bound = Object.fromEntries(Object.entries(params).filter(([name]) => new RegExp(`\\$${name}\\b`).test(text)));
  const found = (await conn.runAndReadAll(text, bound)).getRowsJS();
  if (!timed) return { changed: [], changedKeys: found.map(([k]) => String(k)) };
  return { changed: found.map(([lo, hi]) => [Number(lo), Number(hi)] as OrdinalRange), changedKeys: [] };
}
