import { describe, expect, test } from "bun:test";
import { createRedactor, REDACTED } from "../../core/redact.ts";

describe("createRedactor()", () => {
  test("text() replaces every occurrence of every known secret, the longest first", () => {
    const r = createRedactor();
    r.add("abcd");
    r.add("abcdef-long");
    expect(r.text("x abcdef-long y abcd z abcd")).toBe(`x ${REDACTED} y ${REDACTED} z ${REDACTED}`);
  });

  test("values shorter than 4 characters are not secrets (they would mangle ordinary text)", () => {
    const r = createRedactor();
    r.add("abc");
    r.add("");
    expect(r.size).toBe(0);
    expect(r.text("abc")).toBe("abc");
  });

  test("regular-expression characters in a secret are matched literally", () => {
    const r = createRedactor();
    r.add("p@ss.w*rd(1)");
    expect(r.text("pw=p@ss.w*rd(1);")).toBe(`pw=${REDACTED};`);
    expect(r.text("p@ssXw*rd(1)")).toBe("p@ssXw*rd(1)");
  });

  test("value() redacts strings inside plain objects and arrays, keys included, and leaves the input untouched", () => {
    const r = createRedactor();
    r.add("s3cr3t");
    const input = { message: "token s3cr3t", list: ["a", "s3cr3t"], nested: { s3cr3t: 1 }, n: 2, when: new Date(0) };
    const out: unknown = r.value(input);
    expect(out).toEqual({ message: `token ${REDACTED}`, list: ["a", REDACTED], nested: { [REDACTED]: 1 }, n: 2, when: new Date(0) });
    expect(input.message).toBe("token s3cr3t");
  });

  test("value() returns its argument itself when nothing is secret (no copy on the hot path)", () => {
    const r = createRedactor();
    const v = { a: "x" };
    expect(r.value(v)).toBe(v);
    r.add("other");
    expect(r.value(v)).toBe(v);
  });

  test("value() survives cycles", () => {
    const r = createRedactor();
    r.add("s3cr3t");
    const v: Record<string, unknown> = { m: "s3cr3t" };
    v.self = v;
    expect((r.value(v) as { m: string }).m).toBe(REDACTED);
  });
});
