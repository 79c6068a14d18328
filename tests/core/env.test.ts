import { describe, expect, test } from "bun:test";
import { env, envRefsIn, isEnvRef, isSecretName, MissingEnvError, resolveEnvRefs } from "../../core/env.ts";

const lookup = (vars: Record<string, string>, secrets: string[] = []) => ({ get: (n: string) => vars[n], onSecret: (v: string) => void secrets.push(v) });

describe("env()", () => {
  test("makes a reference, read only when resolved", () => {
    const ref = env("WAREHOUSE_URL", { default: "mem://" });
    expect(isEnvRef(ref)).toBe(true);
    expect(ref).toMatchObject({ name: "WAREHOUSE_URL", default: "mem://", secret: false });
    expect(ref.location).toContain("env.test.ts:");
  });

  test("names containing KEY, TOKEN, SECRET or PASSWORD are secret by default; secret: false overrides", () => {
    for (const n of ["API_KEY", "gh_token", "CLIENT_SECRET", "DB_PASSWORD"]) expect([n, isSecretName(n)]).toEqual([n, true]);
    expect(isSecretName("REGION")).toBe(false);
    expect(env("API_KEY").secret).toBe(true);
    expect(env("API_KEY", { secret: false }).secret).toBe(false);
    expect(env("REGION", { secret: true }).secret).toBe(true);
  });

  test("refuses a name that is not a variable name, and a default that is not a string", () => {
    expect(() => env("bad name")).toThrow(/env\(\) needs a variable name/);
    expect(() => env("X", { default: 3 as never })).toThrow(/default must be a string/);
  });
});

describe("resolveEnvRefs()", () => {
  test("replaces references inside plain objects and arrays; secrets are reported; other values pass", () => {
    const secrets: string[] = [];
    const fn = () => 1;
    const out = resolveEnvRefs({ url: env("URL"), list: [env("API_TOKEN")], n: 3, fn, d: env("MISSING_BUT_DEFAULTED", { default: "dflt" }) }, lookup({ URL: "http://x", API_TOKEN: "tok-123" }, secrets), "test");
    expect(out).toEqual({ url: "http://x", list: ["tok-123"], n: 3, fn, d: "dflt" });
    expect(secrets).toEqual(["tok-123"]);
  });

  test("an empty value counts as set", () => {
    expect(resolveEnvRefs(env("EMPTY", { default: "d" }), lookup({ EMPTY: "" }), "test")).toBe("");
  });

  test("a missing variable without default throws MissingEnvError naming it, its user and the env() line", () => {
    const ref = env("NOT_THERE");
    const e = (() => {
      try {
        resolveEnvRefs({ a: ref }, lookup({}), 'resource "api"');
      } catch (x) {
        return x as MissingEnvError;
      }
    })();
    expect(e).toBeInstanceOf(MissingEnvError);
    expect(e!.message).toMatch(/^Environment variable "NOT_THERE" is not set \(needed by resource "api", env\(\) at .*env\.test\.ts:\d+\): set it in the environment or in the project's \.env file/);
  });

  test("envRefsIn() finds every reference of a config, once per object", () => {
    const shared = { t: env("A_TOKEN") };
    expect(envRefsIn({ x: shared, y: shared, z: [env("B")] }).map((r) => r.name)).toEqual(["A_TOKEN", "B"]);
  });
});
