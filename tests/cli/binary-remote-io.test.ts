// The compiled binary reaches S3 and Postgres with the extensions it embeds: examples/shop with
// one config line each (s3Parquet on moto, postgresTable on embedded Postgres), then `dagx query`
// reads the stored outputs in place. A fresh cache folder proves the files come from the binary.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostBinary } from "../support/binary.ts";
import { type PostgresServer, startPostgres } from "../support/postgres.ts";
import { type S3Server, s3Unavailable, startS3 } from "../support/s3.ts";
import { dagx, REPO, removeProject } from "./helpers.ts";

const skipS3 = s3Unavailable();
let tmp: string;
let bin: string;
let s3: S3Server | undefined;
let pg: PostgresServer | undefined;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "dagx-bin-remote-"));
  const [b, s, p] = await Promise.all([hostBinary(tmp), skipS3 ? undefined : startS3({ buckets: ["lake"] }), startPostgres()]);
  bin = b;
  s3 = s;
  pg = p;
}, 240_000);
afterAll(async () => {
  await s3?.stop();
  await pg?.stop();
  removeProject(tmp);
});

/** examples/shop copied to a temp folder, its config given `line` as the project default IO manager. */
/** Extension files the binary extracted under a cache folder. */
const extracted = (cache: string) => readdirSync(cache, { recursive: true }).map(String).filter((f) => f.endsWith(".duckdb_extension")).map((f) => f.split(/[\\/]/).pop());

function shopWith(name: string, imports: string, line: string, dotenv = ""): string {
  const dir = join(tmp, name);
  cpSync(join(REPO, "examples/shop"), dir, { recursive: true, filter: (src) => !src.includes(".dagx") });
  const config = readFileSync(join(dir, "dagx.config.ts"), "utf8");
  writeFileSync(join(dir, "dagx.config.ts"), config.replace('import { defineConfig } from "dagx";', `import { defineConfig, ${imports} } from "dagx";`).replace("concurrency: 4,", `concurrency: 4,\n  io: ${line},`));
  if (dotenv) writeFileSync(join(dir, ".env"), dotenv);
  return dir;
}

describe("the compiled binary with remote IO managers", () => {
  test.skipIf(Boolean(skipS3))("s3Parquet: materialize writes objects through the embedded httpfs; query reads them", async () => {
    const cache = join(tmp, "cache-s3");
    const dir = shopWith("shop-s3", "s3Parquet", `s3Parquet({ bucket: "lake", prefix: "bin/shop", endpoint: "${s3!.endpoint}" })`, `AWS_ACCESS_KEY_ID=${s3!.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${s3!.secretAccessKey}\n`);
    const env = { XDG_CACHE_HOME: cache, DAGX_EXTENSIONS_DIR: "" };
    const m = await dagx(dir, ["materialize", "--json"], { bin, env, timeoutMs: 120_000 });
    expect(m.stderr).not.toContain("error");
    expect(m.code).toBe(0);
    const q = await dagx(dir, ["query", "select count(*)::int as n from top_customers", "--json"], { bin, env, timeoutMs: 60_000 });
    expect(q.stderr).toBe("");
    expect(JSON.parse(q.stdout)).toEqual([{ n: 3 }]);
    const objects = ((await s3!.client("lake").list({ prefix: "bin/shop/top_customers/" })).contents ?? []).map((c) => c.key);
    expect(objects.length).toBe(1);
    expect(existsSync(join(dir, ".dagx/data/top_customers"))).toBe(false);
    expect(extracted(cache)).toEqual(["httpfs.duckdb_extension"]);
    for (const r of [m, q]) expect(r.stdout + r.stderr).not.toContain(s3!.secretAccessKey);
  }, 240_000);

  test("postgresTable: materialize writes tables through the embedded postgres_scanner; query reads them", async () => {
    const cache = join(tmp, "cache-pg");
    const dir = shopWith("shop-pg", "env, postgresTable", `postgresTable({ url: env("DATABASE_URL"), schema: "binshop" })`);
    const env = { XDG_CACHE_HOME: cache, DAGX_EXTENSIONS_DIR: "", DATABASE_URL: pg!.url };
    const m = await dagx(dir, ["materialize", "--json"], { bin, env, timeoutMs: 120_000 });
    expect(m.stderr).not.toContain("error");
    expect(m.code).toBe(0);
    const q = await dagx(dir, ["query", "select count(*)::int as n from top_customers", "--json"], { bin, env, timeoutMs: 60_000 });
    expect(JSON.parse(q.stdout)).toEqual([{ n: 3 }]);
    expect(extracted(cache)).toEqual(["postgres_scanner.duckdb_extension"]);
    for (const r of [m, q]) expect(r.stdout + r.stderr).not.toContain(pg!.password);
  }, 240_000);
});
