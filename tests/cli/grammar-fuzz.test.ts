import { afterAll, describe, expect, test } from "bun:test";
import { pick, prng, tokenSoup } from "../support/fuzz.ts";
import { runDagx, makeProject, removeProject } from "./helpers.ts";

const dir = makeProject(
  {
    ".dagx/.keep": "",
    "a.asset.ts": `import { asset, daily, staticPartitions } from "dagx";
export const raw_orders = asset({ group: "raw", owners: ["team:data"], tags: { domain: "sales" } }, () => [{ id: 1 }]);
export const orders = asset({ ins: { raw_orders } }, (_ctx, { raw_orders }) => raw_orders.rows());
export const events = asset({ partitions: daily({ start: "2024-01-01", end: "2024-03-01" }) }, () => [{ x: 1 }]);
export const by_region = asset({ partitions: staticPartitions(["eu", "us"]) }, () => [{ x: 1 }]);
`,
  },
  "dagx-fuzz-[*]=",
);
afterAll(() => removeProject(dir));

const SEL_TOKENS = ["orders", "raw_*", "key:", "*", "**", "+", "2+", "(", ")", "not ", " and ", " or ", ",", "tag:domain=", "sales", "roots(", "owner:", '"', "💥", "group:raw"];
const RANGE_TOKENS = ["2024", "-01", "-02", "-31", "..", "...", ",", "=", "date=", "latest", "missing", "failed", "*", '"', "|", "eu", " ", "💥"];

function clean(r: { code: number; stderr: string }, input: string): void {
  const bad = (r.code !== 0 && r.code !== 2) || /This is a bug|internal error|\n\s+at /.test(r.stderr);
  if (bad) throw new Error(`${JSON.stringify(input)} → exit ${r.code}\n${r.stderr}`);
}

describe("grammar inputs through the real CLI", () => {
  test("dagx list with 12 random selections exits 0 or 2 without a stack trace", async () => {
    const rand = prng(3);
    for (let i = 0; i < 12; i++) {
      const sel = tokenSoup(rand, SEL_TOKENS, 8) || pick(rand, SEL_TOKENS);
      clean(await runDagx(dir, ["list", "--", sel]), sel);
    }
  }, 120_000);

  test("dagx materialize --dry-run with 12 random partition ranges exits 0 or 2 without a stack trace", async () => {
    const rand = prng(4);
    for (let i = 0; i < 12; i++) {
      const range = tokenSoup(rand, RANGE_TOKENS, 8) || "latest";
      clean(await runDagx(dir, ["materialize", pick(rand, ["events", "by_region", "events,by_region"]), "--dry-run", "--partitions", range]), range);
    }
  }, 120_000);

  test("dagx list 'key:' with 50 stars answers at once", async () => {
    const t0 = performance.now();
    const r = await runDagx(dir, ["list", `key:${"*".repeat(50)}x`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("No asset matches");
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  test("dagx list with a selection nested 10,000 deep exits 2 with a JSON error naming the limit", async () => {
    const r = await runDagx(dir, ["list", "--json", `${"(".repeat(10_000)}orders${")".repeat(10_000)}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain("This is a bug");
    const { error } = r.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe("SELECTION_SYNTAX");
    expect(error.message).toContain("at most 100 levels");
    expect(r.stderr.length).toBeLessThan(1000);
  });
});
