import { afterAll, expect, test } from "bun:test";
import { dagx, makeProject, ok, removeProject } from "./helpers.ts";

// a 10,000-long chain of partitioned assets: status read its partition state with one query per
// asset (~6 ms each, a minute in all); now every summary comes from one set of queries (~1 s in all)
const N = 10_000;
const lines = ['import { asset, staticPartitions } from "dagx";', 'const p = staticPartitions(["x"]);', "export const a0 = asset({ partitions: p }, () => 0);"];
for (let i = 1; i < N; i++) lines.push(`export const a${i} = asset({ deps: ["a${i - 1}"], partitions: p }, () => ${i});`);
const dir = makeProject({ ".dagx/.keep": "", "chain.asset.ts": `${lines.join("\n")}\n` });
afterAll(() => removeProject(dir));

test("a 10,000-long partitioned chain: status and materialize --dry-run read partition state in a few queries, not one per asset", async () => {
  const t0 = performance.now();
  const st = ok(await dagx(dir, ["status", "--json"])).json<{ key: string; status: string; partitions: { missing: number } }[]>();
  const statusMs = performance.now() - t0;
  expect(st).toHaveLength(N);
  expect(st.at(-1)).toMatchObject({ key: `a${N - 1}`, status: "missing", partitions: { missing: 1 } });
  const t1 = performance.now();
  const plan = ok(await dagx(dir, ["materialize", `+a${N - 1}`, "--partition", "x", "--stale", "--dry-run", "--json"])).json<{ steps: unknown[] }>();
  const planMs = performance.now() - t1;
  expect(plan.steps).toHaveLength(N);
  // ~1.2 s each on 2 vCPUs (was ~60 s); the bound leaves room for a loaded machine
  expect(Math.max(statusMs, planMs)).toBeLessThan(20_000);
}, 60_000);
