// A real S3-compatible server (tests/support/s3.ts: moto, signatures checked) reached with Bun's
// built-in S3Client: what the S3 IO manager will stand on. ~1 s with the venv cached (server
// start ~0.4 s); the first run on a machine builds the venv (~30 s).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { S3Client } from "bun";
import { type S3Server, s3Unavailable, startS3 } from "../../support/s3.ts";

let s3: S3Server;
const unavailable = s3Unavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/s3: ${unavailable}`);

describe.skipIf(unavailable !== undefined)("startS3", () => {
  beforeAll(async () => {
    s3 = await startS3({ buckets: ["dagx-data"] });
  }, 120_000); // the first run on a machine installs moto into ~/.cache

  afterAll(() => s3?.stop());

  test("put, get, list, overwrite, delete", async () => {
    const bucket = s3.client("dagx-data");
    await bucket.write("orders/date=2024-01-01/part-0.parquet", "first");
    await bucket.write("orders/date=2024-01-02/part-0.parquet", "second");
    await bucket.write("customers/data.parquet", "other");
    expect(await bucket.file("orders/date=2024-01-01/part-0.parquet").text()).toBe("first");

    const listed = await bucket.list({ prefix: "orders/" });
    expect(listed.contents?.map((o) => o.key)).toEqual([
      "orders/date=2024-01-01/part-0.parquet",
      "orders/date=2024-01-02/part-0.parquet",
    ]);
    const page = await bucket.list({ prefix: "orders/", maxKeys: 1 });
    expect(page.isTruncated).toBe(true);
    const next = await bucket.list({ prefix: "orders/", maxKeys: 1, continuationToken: page.nextContinuationToken });
    expect(next.contents?.map((o) => o.key)).toEqual(["orders/date=2024-01-02/part-0.parquet"]);

    await bucket.write("orders/date=2024-01-01/part-0.parquet", "replaced");
    expect(await bucket.file("orders/date=2024-01-01/part-0.parquet").text()).toBe("replaced");

    await bucket.delete("orders/date=2024-01-01/part-0.parquet");
    expect(await bucket.file("orders/date=2024-01-01/part-0.parquet").exists()).toBe(false);
    expect(await bucket.file("orders/date=2024-01-02/part-0.parquet").text()).toBe("second");
  });

  test("a multipart upload arrives whole", async () => {
    const bucket = s3.client("dagx-data");
    const writer = bucket.file("big.bin").writer({ partSize: 5 * 1024 * 1024, retry: 0 });
    const chunk = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 11; i++) writer.write(chunk.fill(i));
    await writer.end();
    const bytes = new Uint8Array(await bucket.file("big.bin").arrayBuffer());
    expect(bytes.length).toBe(11 * 1024 * 1024);
    expect(bytes[10 * 1024 * 1024]).toBe(10);
  });

  test("rejects a wrong secret key and an unknown bucket", async () => {
    const wrong = new S3Client({ endpoint: s3.endpoint, region: s3.region, bucket: "dagx-data", accessKeyId: s3.accessKeyId, secretAccessKey: "not-the-secret" });
    await expect(wrong.write("x.txt", "x")).rejects.toThrow(/signature/i);
    await expect(s3.client("no-such-bucket").write("x.txt", "x")).rejects.toThrow(/bucket/i);
  });
});

test.skipIf(unavailable !== undefined)("stop() ends the server and removes its folder", async () => {
  const other = await startS3({ buckets: ["second"] });
  await other.client("second").write("a.txt", "a");
  await other.stop();
  expect(existsSync(other.folder)).toBe(false);
  expect(isAlive(other.pid)).toBe(false);
  await expect(other.client("second").file("a.txt").text()).rejects.toThrow();
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
