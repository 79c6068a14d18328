import { afterAll, describe, expect, test } from "bun:test";
import { runDagx, makeProject, ok, removeProject } from "./helpers.ts";

// one asset file exporting a 10,000-long chain a0 → a1 → … → a9999 (a partitioned chain: tests/io/partition-status-chain.test.ts)
const N = 10_000;
const lines = ['import { asset } from "dagx";', "export const a0 = asset(() => 0);"];
for (let i = 1; i < N; i++) lines.push(`export const a${i} = asset({ deps: ["a${i - 1}"] }, () => ${i});`);
const dir = makeProject({ ".dagx/.keep": "", "chain.asset.ts": `${lines.join("\n")}\n` });
afterAll(() => removeProject(dir));

function noBug(r: { stderr: string }): void {
  expect(r.stderr).not.toContain("This is a bug");
  expect(r.stderr).not.toContain("Maximum call stack");
}

describe("a 10,000-long chain", () => {
  test("dagx lineage a0 draws a tree that stops at its depth limit with a note, exit 0", async () => {
    const r = ok(await runDagx(dir, ["lineage", "a0"]));
    noBug(r);
    const text = r.stdout + r.stderr;
    expect(text).toContain("● a0");
    expect(text).toContain("more downstream not drawn");
    expect(text).toContain(`${N} asset(s), ${N - 1} edge(s)`);
  });

  test("dagx lineage a5000 --json lists the whole chain", async () => {
    const r = ok(await runDagx(dir, ["lineage", "a5000", "--json"]));
    const v = r.json<{ nodes: { key: string }[]; edges: unknown[] }>();
    expect(v.nodes).toHaveLength(N);
    expect(v.edges).toHaveLength(N - 1);
  });

  test("dagx list follows + both ways through the chain", async () => {
    const down = ok(await runDagx(dir, ["list", "a1+", "--json"])).json<{ key: string }[]>();
    expect(down).toHaveLength(N - 1);
    expect(down.at(-1)!.key).toBe("a9999");
    const up = ok(await runDagx(dir, ["list", "+a9998", "roots(*)", "--json"])).json<{ key: string }[]>();
    expect(up).toHaveLength(N - 1);
  });

  test("dagx status and materialize --dry-run handle the chain", async () => {
    const st = ok(await runDagx(dir, ["status", "--json"]));
    expect(st.json<unknown[]>()).toHaveLength(N);
    const last = ok(await runDagx(dir, ["status", "a9999", "--json"])).json<{ key: string; status: string }[]>();
    expect(last).toEqual([expect.objectContaining({ key: "a9999", status: "missing" })]);
    const plan = ok(await runDagx(dir, ["materialize", "+a9999", "--dry-run", "--json"]));
    expect(plan.json<{ steps: unknown[] }>().steps).toHaveLength(N);
  });
});
