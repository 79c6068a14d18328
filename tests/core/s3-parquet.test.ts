import { describe, expect, test } from "bun:test";
import { checkConfig } from "../../core/config-check.ts";
import { env, envRefsIn } from "../../core/env.ts";
import { isIOManager } from "../../core/io-manager.ts";
import { s3Parquet, s3ParquetOptionsOf, s3ParquetProblem } from "../../core/s3-parquet.ts";

describe("s3Parquet (the pure half)", () => {
  test("s3Parquet() makes a named IO manager carrying its options and its credential references", () => {
    const m = s3Parquet({ bucket: "lake", prefix: "dagx/shop", region: "eu-west-1" });
    expect(isIOManager(m)).toBe(true);
    expect(m.name).toBe("s3");
    expect(s3ParquetOptionsOf(m)).toEqual({ bucket: "lake", prefix: "dagx/shop", region: "eu-west-1" });
    expect(() => m.handleOutput({} as never, [])).toThrow("s3Parquet works inside dagx");
    // the load-time walk that declares secrets to the redactor finds the default variables
    expect(envRefsIn(m).map((r) => [r.name, r.secret])).toEqual([
      ["AWS_ACCESS_KEY_ID", true],
      ["AWS_SECRET_ACCESS_KEY", true],
      ["AWS_SESSION_TOKEN", true],
    ]);
    expect(envRefsIn(s3Parquet({ bucket: "lake", prefix: "p", accessKeyId: env("MINIO_USER") })).map((r) => r.name)).toContain("MINIO_USER");
  });

  test("s3ParquetProblem() names the option that is wrong", () => {
    expect(s3ParquetProblem({ bucket: "lake", prefix: "a/b" })).toBeNull();
    expect(s3ParquetProblem({ bucket: env("BUCKET"), prefix: env("PREFIX"), endpoint: "http://127.0.0.1:9000", urlStyle: "path", useSsl: false })).toBeNull();
    expect(s3ParquetProblem({ prefix: "p" })).toContain("s3Parquet needs bucket");
    expect(s3ParquetProblem({ bucket: "Lake", prefix: "p" })).toContain("bucket must be a bucket name");
    expect(s3ParquetProblem({ bucket: "lake", prefix: "/p/" })).toContain("prefix must be folder names");
    expect(s3ParquetProblem({ bucket: "lake", prefix: "a/../b" })).toContain("prefix must be folder names");
    expect(s3ParquetProblem({ bucket: "lake", prefix: "p", endpoint: "http://h:9000/path" })).toContain("without a path");
    expect(s3ParquetProblem({ bucket: "lake", prefix: "p", urlStyle: "virtual" })).toContain('urlStyle must be "path" or "vhost"');
    expect(s3ParquetProblem({ bucket: "lake", prefix: "p", bukket: "x" })).toContain('s3Parquet has no option "bukket"');
    expect(() => s3Parquet({ bucket: "lake", prefix: "" })).toThrow("s3Parquet needs prefix");
  });

  test("credentials written in the config are refused: only env() references", () => {
    const problem = s3ParquetProblem({ bucket: "lake", prefix: "p", secretAccessKey: "wJalrXUtnFEMI/K7MDENG" });
    expect(problem).toContain('secretAccessKey must be an env() reference, like secretAccessKey: env("AWS_SECRET_ACCESS_KEY")');
    // the message never repeats the value
    expect(problem).not.toContain("wJalrXUtnFEMI");
  });

  test("checkConfig() takes s3Parquet as the project default and in ioManagers", () => {
    const lake = s3Parquet({ bucket: "lake", prefix: "p" });
    expect(checkConfig({ io: lake })).toEqual({ config: { io: lake } });
    expect(checkConfig({ ioManagers: { lake }, io: "lake" })).toEqual({ config: { ioManagers: { lake }, io: "lake" } });
  });
});
