import { describe, expect, test } from "bun:test";
import { formatRows, groupDigits } from "../../cli/output.ts";

describe("groupDigits", () => {
  test("prints integers as toLocaleString('en-US') does, without ICU", () => {
    const samples = [0, 1, 9, 12, 999, 1000, 1001, 12_345, 999_999, 1_000_000, 73_000, 1_234_567_890, Number.MAX_SAFE_INTEGER, -1, -1000, -1_234_567, Number.MIN_SAFE_INTEGER];
    let seed = 7;
    for (let i = 0; i < 500; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      samples.push(seed * (i % 3 === 0 ? -1 : 1), seed % 10 ** (i % 12));
    }
    for (const n of samples) expect(groupDigits(n)).toBe(n.toLocaleString("en-US"));
  });

  test("other numbers go to toLocaleString as before", () => {
    for (const n of [-0, 0.5, 1234.5678, -0.25, 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY]) expect(groupDigits(n)).toBe(n.toLocaleString("en-US"));
  });

  test("formatRows", () => {
    expect(formatRows(1_000_000)).toBe("1,000,000 rows");
    expect(formatRows(1)).toBe("1 row");
    expect(formatRows(null)).toBe("");
  });
});
