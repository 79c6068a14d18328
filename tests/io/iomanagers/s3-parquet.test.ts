// s3Parquet against a real S3-compatible server (moto, signatures checked): the IO manager
// contract, partitions read with their key columns, a pre-existing object it did not record is
// refused, a failed write keeps the previous object, secrets never appear in its errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { env } from "../../../core/env.ts";
import type { IOManager } from "../../../core/io-manager.ts";
import { createS3Parquet } from "../../../io/iomanagers/s3-parquet.ts";
import { prepareS3 } from "../../../io/iomanagers/_s3-connect.ts";
import { parseS3Location } from "../../../io/iomanagers/_s3-location.ts";
import { type S3Server, s3Unavailable, startS3 } from "../../support/s3.ts";
import { createHarness, testIOManager } from "./contract.ts";

const skip = s3Unavailable();
let s3: S3Server;
const KEY = "DAGX_TEST_S3_KEY";
const SECRET = "DAGX_TEST_S3_SECRET";

beforeAll(async () => {
  if (skip) return;
  s3 = await startS3({ buckets: ["lake"] });
  process.env[KEY] = s3.accessKeyId;
  process.env[SECRET] = s3.secretAccessKey;
}, 120_000);
afterAll(async () => {
  delete process.env[KEY];
  delete process.env[SECRET];
  await s3?.stop();
});

let seq = 0;
/** A manager with a prefix of its own (tests share one bucket). */
function manager(extra: Parameters<typeof createS3Parquet>[1] = {}, prefix = `t${++seq}`): IOManager {
  return createS3Parquet({ bucket: "lake", prefix, endpoint: s3.endpoint, accessKeyId: env(KEY), secretAccessKey: env(SECRET) }, extra);
}

const exists = (location: string) => s3.client("lake").exists(parseS3Location(location)!.key);

const rows = [
  { id: 1, name: "ana", paid: true, amount: 1.5, at: new Date("2024-01-01T10:00:00Z"), note: null },
  { id: 2, name: "bo", paid: false, amount: -2, at: new Date("2024-01-02T11:30:00Z"), note: "late" },
];
const otherRows = [{ id: 3, name: "cy", paid: true, amount: 0, at: new Date("2024-02-01T00:00:00Z"), note: null }];

if (!skip) {
  testIOManager({
    name: "s3Parquet (built-in, moto)",
    create: () => manager(),
    reads: "table",
    sample: rows,
    expected: rows,
    other: otherRows,
    otherExpected: otherRows,
    failing: (h) => h.sql`select error('disk on fire') as x`,
    pathOf: () => "",
    exists: (_h, location) => exists(location),
    newLocationPerWrite: true,
  });
}

describe("prepareS3()", () => {
  test("steps of one run preparing their connections at once all get the credentials (no catalog write-write conflict)", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const target = { bucket: "lake", prefix: "p", endpoint: "127.0.0.1:1", region: "us-east-1", urlStyle: "path" as const, useSsl: false, keyEnv: "K", secretEnv: "S", tokenEnv: "T" };
    const creds = { accessKeyId: "key-id-1234", secretAccessKey: "secret-5678", sessionToken: "" };
    try {
      for (let round = 0; round < 5; round++) {
        const conns = await Promise.all(Array.from({ length: 4 }, () => instance.connect()));
        const settled = await Promise.allSettled(conns.map((c) => prepareS3(c, target, creds)));
        expect(settled.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
        for (const c of conns) c.closeSync();
      }
    } finally {
      instance.closeSync();
    }
  });
});

describe.skipIf(Boolean(skip))("s3Parquet", () => {
  test("objects follow the local layout under the prefix, one key per materialization", async () => {
    const h = await createHarness();
    try {
      const m = manager({}, "proj/shop");
      const a = await h.write(m, "sales/orders", "2024-01-01", rows);
      const b = await h.write(m, "sales/orders", "2024-01-01", rows);
      expect(parseS3Location(a.location)!.key).toBe("proj/shop/sales/orders/date=2024-01-01/data-run-1.parquet");
      expect(parseS3Location(b.location)!.key).toBe("proj/shop/sales/orders/date=2024-01-01/data-run-1-2.parquet");
      // the location names the variables of the credentials, never their values
      expect(a.location).toContain(`key=${KEY}`);
      expect(a.location).not.toContain(s3.accessKeyId);
      expect(a.location).not.toContain(s3.secretAccessKey);
      expect(await exists(a.location)).toBe(true);
      expect(a.bytes).toBe(await s3.client("lake").size(parseS3Location(a.location)!.key));
    } finally {
      await h.close();
    }
  });

  test("partitions read back with their key column, exactly the recorded objects", async () => {
    const h = await createHarness();
    try {
      const m = manager();
      const one = await h.write(m, "events", "2024-01-01", rows);
      const two = await h.write(m, "events", "2024-01-02", otherRows);
      // a newer object of partition 1 that state never recorded (a killed run) is not read
      await h.write(m, "events", "2024-01-01", otherRows);
      const handle = await h.read(m, "events", [
        { partitionKey: "2024-01-01", location: one.location },
        { partitionKey: "2024-01-02", location: two.location },
      ]);
      const got = await h.sql`select date, count(*)::INTEGER as n from ${handle} group by date order by date`.rows();
      expect(got).toEqual([
        { date: "2024-01-01", n: 2 },
        { date: "2024-01-02", n: 1 },
      ]);
    } finally {
      await h.close();
    }
  });

  test("a pre-existing object at the key it would write is refused, named, and left as it is", async () => {
    const h = await createHarness();
    try {
      const m = manager({}, "foreign");
      await s3.client("lake").write("foreign/orders/data-run-1.parquet", "not ours");
      await expect(h.write(m, "orders", "", rows)).rejects.toThrow('Cannot store "orders": object s3://lake/foreign/orders/data-run-1.parquet already exists and state records no output there');
      expect(await s3.client("lake").file("foreign/orders/data-run-1.parquet").text()).toBe("not ours");
    } finally {
      await h.close();
    }
  });

  test("a failed upload keeps the previous object and names no secret", async () => {
    const h = await createHarness();
    try {
      const m = manager({}, "failing");
      const first = await h.write(m, "orders", "", rows);
      const right = process.env[SECRET]!;
      process.env[SECRET] = "wrong-secret-value-1234567890";
      try {
        const error = await h.write(manager({}, "failing"), "orders", "", otherRows).then(() => null, (e: Error) => e);
        expect(error?.message).toContain("SignatureDoesNotMatch");
        expect(error?.message).not.toContain("wrong-secret-value-1234567890");
        expect(error?.message).not.toContain(s3.accessKeyId);
        expect(JSON.stringify(error)).not.toContain(s3.accessKeyId);
      } finally {
        process.env[SECRET] = right;
      }
      const got = await h.read(m, "orders", [{ partitionKey: "", location: first.location }]);
      expect(await (got as { rows(): Promise<unknown[]> }).rows()).toEqual(rows);
    } finally {
      await h.close();
    }
  });

  test("a missing credential variable fails the write naming the variable and the option", async () => {
    const h = await createHarness();
    try {
      const m = createS3Parquet({ bucket: "lake", prefix: "unset", endpoint: s3.endpoint, accessKeyId: env("DAGX_TEST_S3_UNSET"), secretAccessKey: env(SECRET) });
      await expect(h.write(m, "orders", "", rows)).rejects.toThrow(`Cannot store "orders" in s3://lake/unset: environment variable "DAGX_TEST_S3_UNSET" is not set (s3Parquet's accessKeyId): set it in the environment or in the project's .env file`);
    } finally {
      await h.close();
    }
  });

  test("remove() deletes only objects in the asset's folder under the prefix", async () => {
    const h = await createHarness();
    try {
      const m = manager({}, "keep");
      const out = await h.write(m, "orders", "", rows);
      await s3.client("lake").write("keep/other/data-x.parquet", "someone's");
      const elsewhere = out.location.replace("keep/orders/", "keep/other/").replace(/data-[^?]*\.parquet/, "data-x.parquet");
      const { outputContext } = await import("../../../io/iomanagers/index.ts");
      await m.remove!(outputContext(h.io, "orders", "", []), elsewhere);
      expect(await s3.client("lake").exists("keep/other/data-x.parquet")).toBe(true);
      await m.remove!(outputContext(h.io, "orders", "", []), out.location);
      expect(await exists(out.location)).toBe(false);
    } finally {
      await h.close();
    }
  });
});
