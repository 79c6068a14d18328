import { describe, expect, test } from "bun:test";
import { DefinitionError } from "../../core/errors.ts";
import { assertResourceRequests, defineResource, isResourceDef, resourceRequestProblem } from "../../core/resources.ts";

describe("defineResource()", () => {
  test("returns an inert definition with its file:line; setup is not called", () => {
    let called = false;
    const r = defineResource({ setup: () => (called = true) });
    expect(isResourceDef(r)).toBe(true);
    expect(called).toBe(false);
    expect(r.location).toMatch(/resources\.test\.ts:\d+$/);
    expect(isResourceDef({ setup() {} })).toBe(false);
  });

  test("refuses a missing setup and a teardown that is not a function", () => {
    expect(() => defineResource({} as never)).toThrow(/needs setup\(ctx\)/);
    expect(() => defineResource({ setup: () => 1, teardown: 3 as never })).toThrow(/teardown must be a function/);
  });
});

describe("resourceRequestProblem()", () => {
  const declared = ["warehouse", "api"];
  test("no request, or declared names: no problem", () => {
    expect(resourceRequestProblem({ what: 'Asset "a"', names: undefined, location: "a.asset.ts:1" }, declared)).toBeNull();
    expect(resourceRequestProblem({ what: 'Asset "a"', names: ["api", "warehouse"], location: "a.asset.ts:1" }, declared)).toBeNull();
  });

  test("an unknown name: what asks, where, did you mean, and the fix", () => {
    expect(resourceRequestProblem({ what: 'Asset "a"', names: ["warehous"], location: "a.asset.ts:3" }, declared)).toBe(
      'Asset "a" at a.asset.ts:3 requests unknown resource "warehous" — did you mean "warehouse"?: declare it in dagx.config.ts under resources, or fix the name',
    );
    expect(resourceRequestProblem({ what: 'Sensor "s"', names: ["zzz"], location: null }, declared)).toBe(
      'Sensor "s" requests unknown resource "zzz" — declared: "warehouse", "api": declare it in dagx.config.ts under resources, or fix the name',
    );
  });

  test("a request that is not a list of names", () => {
    expect(resourceRequestProblem({ what: 'Asset "a"', names: "warehouse", location: "a.asset.ts:3" }, declared)).toMatch(/has an invalid resources option: it must be a list of names/);
  });

  test("assertResourceRequests() throws a DefinitionError located at the definition", () => {
    const e = (() => {
      try {
        assertResourceRequests([{ what: 'Asset "a"', names: ["nope"], location: "a.asset.ts:3" }], {});
      } catch (x) {
        return x as DefinitionError;
      }
    })();
    expect(e).toBeInstanceOf(DefinitionError);
    expect(e!.location).toBe("a.asset.ts:3");
    expect(e!.exitCode).toBe(2);
  });
});
