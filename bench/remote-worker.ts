/**
 * One measured operation of bench/remote-duckdb.bench.ts, in a fresh process:
 *
 *   bun bench/remote-worker.ts '<json Job>'   → one JSON line {op, ms, cpuMs, rows, check, ...}
 *
 * `DUCKDB_API` (env) is the path of the `@duckdb/node-api` entry to import: the repo's (1.5.6)
 * when unset, the scratch folder's 1.5.5-r.5 for option A. Timed: the operation only (not the
 * process start, the DuckDB instance or the extension LOAD, which is reported apart as loadMs).
 */
import fs from "node:fs";
import path from "node:path";

export interface Job {
  op: Op;
  /** Local Parquet with the 1M trades (the source of every write). */
  parquet: string;
  /** Scratch folder for this job's local files (B's cache, CSV). */
  scratch: string;
  /** Extension files (A): httpfs / postgres_scanner paths. */
  extensions?: { httpfs: string; postgres: string };
  s3?: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string };
  pg?: { url: string; host: string; port: number; user: string; password: string; database: string };
  /** Object key / table name the op writes or reads. */
  name: string;
  /** Storage-compat ops: the database file. */
  dbFile?: string;
}

export type Op =
  | "a-s3-write" | "a-s3-read" | "b-s3-write" | "b-s3-read" | "b-s3-read-cached"
  | "a-pg-write" | "a-pg-read" | "b-pg-write" | "b-pg-read"
  | "local-write" | "local-read"
  | "db-write" | "db-read";

/** The read every "read" op does: the daily aggregate of bench/sql/pipeline.ts, summed to one check. */
const DAILY = (from: string) =>
  `select count(*)::bigint as groups, sum(trades)::bigint as rows, sum(notional)::varchar as notional from (select symbol, cast(ts as date) as day, count(*) as trades, sum(qty * price) as notional from ${from} group by all)`;

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? "{}") as Job;
  const api = (await import(process.env.DUCKDB_API ?? "@duckdb/node-api")) as typeof import("@duckdb/node-api");
  const instance = await api.DuckDBInstance.create(job.dbFile ?? ":memory:");
  const c = await instance.connect();
  const one = async (q: string) => (await c.runAndReadAll(q)).getRowObjectsJson()[0] as Record<string, unknown>;
  const version = String((await one("select version() as v")).v);
  let loadMs = 0;
  const load = async (file: string) => {
    const t = performance.now();
    await c.run(`LOAD ${lit(file)}`);
    loadMs += performance.now() - t;
  };
  if (job.op.startsWith("a-s3")) {
    await load(job.extensions!.httpfs);
    const s3 = job.s3!;
    await c.run(`CREATE SECRET bench (TYPE s3, KEY_ID ${lit(s3.accessKeyId)}, SECRET ${lit(s3.secretAccessKey)}, REGION ${lit(s3.region)}, ENDPOINT ${lit(s3.endpoint.replace(/^https?:\/\//, ""))}, URL_STYLE 'path', USE_SSL false)`);
  }
  if (job.op.startsWith("a-pg")) await load(job.extensions!.postgres);
  const unsigned = String((await one("select current_setting('allow_unsigned_extensions') as u")).u);
  fs.mkdirSync(job.scratch, { recursive: true });

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let result: Record<string, unknown> = {};
  const s3url = () => `s3://${job.s3!.bucket}/${job.name}.parquet`;
  const cacheFile = path.join(job.scratch, `${job.name}.parquet`);
  switch (job.op) {
    case "local-write":
      await c.run(`COPY (select * from read_parquet(${lit(job.parquet)})) TO ${lit(cacheFile)} (FORMAT parquet)`);
      break;
    case "local-read":
      result = await one(DAILY(`read_parquet(${lit(cacheFile)})`));
      break;
    case "a-s3-write":
      await c.run(`COPY (select * from read_parquet(${lit(job.parquet)})) TO ${lit(s3url())} (FORMAT parquet)`);
      break;
    case "a-s3-read":
      result = await one(DAILY(`read_parquet(${lit(s3url())})`));
      break;
    case "b-s3-write": {
      // DuckDB writes the Parquet locally (the cache), then Bun uploads it (multipart above 5 MiB).
      await c.run(`COPY (select * from read_parquet(${lit(job.parquet)})) TO ${lit(cacheFile)} (FORMAT parquet)`);
      const client = new Bun.S3Client({ ...job.s3!, virtualHostedStyle: false });
      await client.write(`${job.name}.parquet`, Bun.file(cacheFile));
      break;
    }
    case "b-s3-read": {
      // A cold cache: download to a local file, then DuckDB reads it.
      fs.rmSync(cacheFile, { force: true });
      const client = new Bun.S3Client({ ...job.s3!, virtualHostedStyle: false });
      await Bun.write(cacheFile, client.file(`${job.name}.parquet`));
      result = await one(DAILY(`read_parquet(${lit(cacheFile)})`));
      break;
    }
    case "b-s3-read-cached": {
      // A warm cache: one HEAD to check the ETag/size, then a local read.
      const client = new Bun.S3Client({ ...job.s3!, virtualHostedStyle: false });
      const stat = await client.file(`${job.name}.parquet`).stat();
      if (stat.size !== fs.statSync(cacheFile).size) throw new Error("cache is stale");
      result = await one(DAILY(`read_parquet(${lit(cacheFile)})`));
      break;
    }
    case "a-pg-write": {
      const pg = job.pg!;
      await c.run(`ATTACH ${lit(`host=${pg.host} port=${pg.port} user=${pg.user} password=${pg.password} dbname=${pg.database}`)} AS pg (TYPE postgres)`);
      await c.run(`DROP TABLE IF EXISTS pg.public.${job.name}`);
      await c.run(`CREATE TABLE pg.public.${job.name} AS SELECT * FROM read_parquet(${lit(job.parquet)})`);
      break;
    }
    case "a-pg-read": {
      const pg = job.pg!;
      await c.run(`ATTACH ${lit(`host=${pg.host} port=${pg.port} user=${pg.user} password=${pg.password} dbname=${pg.database}`)} AS pg (TYPE postgres, READ_ONLY)`);
      result = await one(DAILY(`pg.public.${job.name}`));
      break;
    }
    case "b-pg-write": {
      // DuckDB → CSV file → Bun.sql COPY FROM STDIN, in one transaction (table created first).
      const csv = path.join(job.scratch, `${job.name}.csv`);
      await c.run(`COPY (select * from read_parquet(${lit(job.parquet)})) TO ${lit(csv)} (FORMAT csv, HEADER false)`);
      const sql = new Bun.SQL(job.pg!.url, { max: 1 });
      await sql.begin(async (tx) => {
        await tx.unsafe(`drop table if exists ${job.name}`);
        await tx.unsafe(`create table ${job.name} (id bigint, ts timestamp, symbol varchar, qty integer, price numeric(12,2))`);
        await Bun.file(csv).stream().pipeTo(tx.unsafe(`copy ${job.name} from stdin (format csv)`).writable());
      });
      await sql.close();
      fs.rmSync(csv, { force: true });
      break;
    }
    case "b-pg-read": {
      // Bun.sql COPY TO STDOUT → CSV file → DuckDB reads it.
      const csv = path.join(job.scratch, `${job.name}-out.csv`);
      const sql = new Bun.SQL(job.pg!.url, { max: 1 });
      await Bun.write(csv, new Response(sql.unsafe(`copy ${job.name} to stdout (format csv)`).readable()));
      await sql.close();
      result = await one(DAILY(`read_csv(${lit(csv)}, header = false, columns = {'id': 'BIGINT', 'ts': 'TIMESTAMP', 'symbol': 'VARCHAR', 'qty': 'INTEGER', 'price': 'DECIMAL(12,2)'})`));
      fs.rmSync(csv, { force: true });
      break;
    }
    case "db-write":
      await c.run(`CREATE OR REPLACE TABLE t AS SELECT * FROM read_parquet(${lit(job.parquet)}) LIMIT 100000`);
      await c.run("CHECKPOINT");
      result = await one("select count(*)::bigint as rows, sum(qty)::bigint as qty from t");
      break;
    case "db-read":
      result = await one("select count(*)::bigint as rows, sum(qty)::bigint as qty from t");
      await c.run("CREATE OR REPLACE TABLE u AS SELECT 1 AS x");
      await c.run("CHECKPOINT");
      break;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  c.closeSync();
  instance.closeSync();
  console.log(JSON.stringify({ op: job.op, version, unsigned, ms, cpuMs: (cpu.user + cpu.system) / 1000, loadMs, ...result }));
}

await main();
