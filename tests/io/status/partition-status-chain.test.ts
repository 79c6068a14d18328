import { afterAll, expect, test } from "bun:test";
import { readAssetState } from "../../../io/status/asset-state.ts";
import { createMemoryStateStore } from "../../../io/state/memory-store.ts";
import { loadProject } from "../../../io/project/project.ts";
import { makeProject, removeProject } from "../../cli/helpers.ts";

// a 30,000-long chain of partitioned assets: a0 → a1 → … → a29999 (10,000 overflowed only sometimes)
const N = 30_000;
const lines = ['import { asset, staticPartitions } from "dagx";', 'const p = staticPartitions(["x"]);', "export const a0 = asset({ partitions: p }, () => 0);"];
for (let i = 1; i < N; i++) lines.push(`export const a${i} = asset({ deps: ["a${i - 1}"], partitions: p }, () => ${i});`);
const dir = makeProject({ ".dagx/.keep": "", "chain.asset.ts": `${lines.join("\n")}\n` });
afterAll(() => removeProject(dir));

test("readAssetState() computes the partition status of the end of a 30,000-long partitioned chain without recursion", async () => {
  const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
  const st = await readAssetState(project.graph, project.storage, createMemoryStateStore(), { now: Date.now(), perPartition: true });
  expect(st.partitionStatuses.get(`a${N - 1}`)?.status).toBe("missing");
  expect(st.partitionStatuses.size).toBe(N);
});
