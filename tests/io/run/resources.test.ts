import { describe, expect, test } from "bun:test";
import { env } from "../../../core/env.ts";
import { UserCodeError } from "../../../core/errors.ts";
import { defineResource } from "../../../core/resources.ts";
import { createResourcePool } from "../../../io/run/resources.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const noEnv = { get: () => undefined, onSecret() {} };

describe("createResourcePool()", () => {
  test("sets a resource up once, on first request, even for concurrent steps; plain values need no request", async () => {
    let setups = 0;
    const slow = defineResource({ setup: async () => (await Bun.sleep(5), { id: ++setups }) });
    const pool = createResourcePool({ root: "/p", resources: { slow, url: "https://x" }, env: noEnv });
    expect(setups).toBe(0);
    expect(await pool.acquire(undefined, "Asset a", quiet)).toEqual({ url: "https://x" });
    const [a, b] = await Promise.all([pool.acquire(["slow"], "Asset a", quiet), pool.acquire(["slow"], "Asset b", quiet)]);
    expect(setups).toBe(1);
    expect(a.slow).toBe(b.slow);
    expect(a).toEqual({ url: "https://x", slow: { id: 1 } });
  });

  test("tears down in reverse setup order; a failing teardown is reported and the others still run", async () => {
    const log: string[] = [];
    const make = (name: string, fail = false) =>
      defineResource({
        setup: () => (log.push(`setup ${name}`), name),
        teardown: (v) => {
          log.push(`teardown ${v}`);
          if (fail) throw new Error(`${v} would not close`);
        },
      });
    const pool = createResourcePool({ root: "/p", resources: { a: make("a"), b: make("b", true), c: make("c") }, env: noEnv });
    await pool.acquire(["b"], "Asset x", quiet);
    await pool.acquire(["a", "c"], "Asset y", quiet);
    const problems: string[] = [];
    await pool.teardown((m) => problems.push(m));
    expect(log).toEqual(["setup b", "setup a", "setup c", "teardown c", "teardown a", "teardown b"]);
    expect(problems).toEqual([expect.stringContaining('Resource "b" teardown') as unknown as string]);
    expect(problems[0]).toContain("b would not close");
  });

  test("a failing setup fails every request for it, without a second setup; other resources are unaffected", async () => {
    let calls = 0;
    const broken = defineResource({
      setup: () => {
        calls++;
        throw new Error("no route to warehouse");
      },
    });
    const fine = defineResource({ setup: () => 1 });
    const pool = createResourcePool({ root: "/p", resources: { broken, fine }, env: noEnv });
    for (const who of ["Asset a", "Asset b"]) {
      const e = await pool.acquire(["broken"], who, quiet).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UserCodeError);
      expect((e as Error).message).toMatch(/^Resource "broken" setup \(defined at .*resources\.test\.ts:\d+\) threw: no route to warehouse/);
    }
    expect(calls).toBe(1);
    expect((await pool.acquire(["fine"], "Asset c", quiet)).fine).toBe(1);
  });

  test("env() in config is read at setup, not before; a missing variable names it and who needed it", async () => {
    const vars: Record<string, string> = {};
    const secrets: string[] = [];
    const api = defineResource({ config: { token: env("POOL_TEST_TOKEN") }, setup: ({ config }) => config.token });
    const pool = createResourcePool({ root: "/p", resources: { api }, env: { get: (n) => vars[n], onSecret: (v) => void secrets.push(v) } });
    const e = await pool.acquire(["api"], 'Asset "a"', quiet).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/^Resource "api" cannot be set up: Environment variable "POOL_TEST_TOKEN" is not set \(needed by resource "api" .*requested by Asset "a"/);
    // a later run (a new pool) sees the variable once it is set
    vars.POOL_TEST_TOKEN = "tok-abcdef";
    const again = createResourcePool({ root: "/p", resources: { api }, env: { get: (n) => vars[n], onSecret: (v) => void secrets.push(v) } });
    expect((await again.acquire(["api"], "Asset a", quiet)).api).toBe("tok-abcdef");
    expect(secrets).toEqual(["tok-abcdef"]);
  });

  test("a setup still running when the run ends is torn down once it finishes", async () => {
    const log: string[] = [];
    const slow = defineResource({ setup: async () => (await Bun.sleep(20), "v"), teardown: (v) => void log.push(`teardown ${v}`) });
    const pool = createResourcePool({ root: "/p", resources: { slow }, env: noEnv });
    const pending = pool.acquire(["slow"], "Asset a", quiet);
    await pool.teardown();
    await pending;
    expect(log).toEqual(["teardown v"]);
  });
});
