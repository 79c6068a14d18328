import { describe, expect, test } from "bun:test";
import { attemptFileName, attemptTag, parseAttemptFileName } from "../../core/attempt-outputs.ts";

describe("attempt outputs", () => {
  const tag = attemptTag("01a24962-15a4-72d4-b512-777e310bc5d4", 3);
  test("the tag goes before the extension; a name without one gets it at the end", () => {
    expect(attemptFileName("data.parquet", tag)).toBe("data-01a24962-15a4-72d4-b512-777e310bc5d4-a3.parquet");
    expect(attemptFileName("value.json", tag)).toBe("value-01a24962-15a4-72d4-b512-777e310bc5d4-a3.json");
    expect(attemptFileName("data.tar.gz", tag)).toBe("data.tar-01a24962-15a4-72d4-b512-777e310bc5d4-a3.gz");
    expect(attemptFileName("export", tag)).toBe("export-01a24962-15a4-72d4-b512-777e310bc5d4-a3");
  });
  test("only the built-ins' attempt names parse (what gc and wipe may delete), with their run and epoch", () => {
    expect(parseAttemptFileName(attemptFileName("data.parquet", tag))).toEqual({ runId: "01a24962-15a4-72d4-b512-777e310bc5d4", epoch: 3 });
    expect(parseAttemptFileName(attemptFileName("value.json", tag))?.epoch).toBe(3);
    for (const name of ["data.parquet", "value.json", "data-0000.parquet", "data-run.parquet", "notes-x-a1.parquet", attemptFileName("data.csv", tag)]) expect(parseAttemptFileName(name)).toBeNull();
  });
});
