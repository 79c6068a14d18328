/**
 * Hand the output to the IO manager: the asset's return value goes, as it is, to the manager its
 * `io` names (or that its value calls for) — once per partition a single-run step computed.
 */
import { partitionSegments } from "../../core/partitions/index.ts";
import { handleOutput, type HandledOutput, NOTHING_STORED, observesWrittenOutputs, type StepIO } from "../iomanagers/index.ts";
import { collectDuckDBResults, GC_EVERY_DUCKDB_STEPS } from "./duckdb-garbage.ts";
import { splitByPartition } from "./output-split.ts";
import { type RunScope, type StepAttempt, siteOf } from "./step-scope.ts";

/** Store `value`; partition key ("" unpartitioned) → what was stored and by which manager. */
export async function storeOutputs(run: RunScope, a: StepAttempt, io: StepIO, value: unknown): Promise<Map<string, HandledOutput>> {
  await run.beforeStore?.(a.asset.key);
  const parts = run.partitions.get(a.asset.key);
  const keys = a.step.partitionKeys ?? [""];
  const observes = observesWrittenOutputs(a.asset.io);
  // a side-effect asset (it returned nothing) stores nothing; each of its partitions is recorded
  if (value === undefined && !observes) return new Map(keys.map((pk) => [pk, NOTHING_STORED]));
  const manager = run.ioManagers.forOutput(a.asset, value);
  const site = siteOf(run, a);
  const store = (pk: string, v: unknown) => handleOutput(run.ioManagers, io, manager, a.asset.key, pk, parts ? partitionSegments(parts.space, pk) : [], v, site);
  if (value === undefined) {
    // written elsewhere, observed by its IO manager (a dbt out: io/iomanagers/dbt-relation.ts) — once, for every partition the step built
    const observed = await store(a.step.partitionKey, undefined);
    return new Map(keys.map((pk) => [pk, observed]));
  }
  if (!parts || keys.length <= 1) return new Map([[a.step.partitionKey, await store(a.step.partitionKey, value)]]);
  const split = await splitByPartition(io, a.asset.key, value, parts.space, keys);
  try {
    const out = new Map<string, HandledOutput>();
    for (const [pk, piece] of split.pieces) {
      out.set(pk, await store(pk, piece));
      if (out.size % GC_EVERY_DUCKDB_STEPS === 0) collectDuckDBResults();
    }
    return out;
  } finally {
    await split.drop();
  }
}
