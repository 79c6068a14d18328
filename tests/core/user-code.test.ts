import { describe, expect, test } from "bun:test";
import { SqlError, UserCodeError } from "../../core/errors.ts";
import { relativeTo, stackFrames, userFrame } from "../../core/location.ts";
import { callUserCode, describeThrown, thrownMessage } from "../../core/user-code.ts";

const STACK = [
  "Error: boom",
  "    at f (/p/my project (copy)/a.asset.ts:3:11)",
  "    at /p/my project (copy)/b.asset.ts:9:2",
  "    at g (file:///p/x.ts:1:1)",
  "    at native:12:4",
  "    not a frame",
].join("\n");

describe("stackFrames()", () => {
  test("stackFrames() reads both frame forms, with spaces and parentheses in paths, and file:// URLs", () => {
    expect(stackFrames(STACK)).toEqual([
      { file: "/p/my project (copy)/a.asset.ts", line: 3, column: 11 },
      { file: "/p/my project (copy)/b.asset.ts", line: 9, column: 2 },
      { file: "/p/x.ts", line: 1, column: 1 },
      { file: "native", line: 12, column: 4 },
    ]);
    expect(stackFrames(undefined)).toEqual([]);
  });

  test("userFrame() names the first frame under the root, relative, skipping node_modules and look-alike roots", () => {
    const stack = ["Error", "    at x (/p/node_modules/lib/i.js:1:1)", "    at y (/p-evil/a.ts:2:2)", "    at z (/p/src/a.asset.ts:5:7)"].join("\n");
    expect(userFrame(stack, "/p")).toBe("src/a.asset.ts:5:7");
    expect(userFrame(STACK, "/elsewhere")).toBeNull();
    expect(relativeTo("/p", "/p/a/b.ts")).toBe("a/b.ts");
    expect(relativeTo("/p", "/pq/b.ts")).toBe("/pq/b.ts");
  });
});

describe("callUserCode()", () => {
  const site = { root: "/nowhere", assetKey: "orders", partitionKey: "2024-01-01", runId: "r1" };

  test("callUserCode() returns what sync and async user code returns", async () => {
    expect(callUserCode(site, () => 5)).toBe(5);
    expect(await callUserCode(site, async () => 6)).toBe(6);
  });

  test("callUserCode() turns a throw or a rejection into a UserCodeError carrying the site and the cause", async () => {
    const cause = new Error("nope");
    let sync: unknown;
    try {
      callUserCode(site, () => {
        throw cause;
      });
    } catch (e) {
      sync = e;
    }
    const rejected = await callUserCode(site, () => Promise.reject(cause)).catch((e: unknown) => e);
    for (const e of [sync, rejected]) {
      expect(e).toBeInstanceOf(UserCodeError);
      expect(e).toMatchObject({ code: "USER_CODE", exitCode: 1, message: "nope", assetKey: "orders", partitionKey: "2024-01-01", runId: "r1", location: null });
      expect((e as UserCodeError).cause).toBe(cause);
    }
    expect(thrownMessage(rejected)).toBe("nope");
  });

  test("callUserCode() passes a nested UserCodeError unchanged, says what was called, and describes non-Error throws", async () => {
    const inner = new UserCodeError("inner", "a", null, "r", null, new Error("x"));
    await expect(callUserCode(site, async () => Promise.reject(inner))).rejects.toBe(inner);
    const e = await callUserCode({ ...site, what: 'Sensor "s"' }, () => Promise.reject("just a string")).catch((x: unknown) => x);
    expect((e as Error).message).toBe('Sensor "s" threw: just a string');
    expect(describeThrown(42, "/p", null).message).toBe("non-Error value thrown: 42");
  });

  test("describeThrown() names a failed ctx.sql by its query's line, else the definition's, and keeps the SQL as detail", () => {
    const site = new Error("ctx.sql");
    site.stack = "Error: ctx.sql\n    at q (/p/a.asset.ts:4:20)";
    expect(describeThrown(new SqlError("no such table", site, "select 1"), "/p", "/p/a.asset.ts:2")).toEqual({ message: "ctx.sql failed at a.asset.ts:4:20: no such table", location: "a.asset.ts:4:20", detail: "select 1" });
    expect(describeThrown(new SqlError("no such table", null, null), "/p", "/p/a.asset.ts:2").message).toBe("ctx.sql failed at a.asset.ts:2: no such table");
  });
});
