import { parseAttemptFileName } from "../../core/attempt-outputs.ts";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { assertInside } from "../../io/storage/index.ts";
import { globalArgs, partitionArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";
import { resolveSelected } from "../selection.ts";
import type { Output } from "../output.ts";
import type { Project } from "../../io/project/index.ts";
import type { MaterializationStore, StateStore } from "../../core/state-store.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import { removeOutput } from "../../io/iomanagers/index.ts";
import { projectResources } from "../../io/run/index.ts";
import { readPartitionState } from "../../io/status/index.ts";
import { partitionSegments, resolvePartitionSelection } from "../../core/partitions/index.ts";

export default defineCommand({
  meta: {
    name: "wipe",
    description: "Forget materializations of the selected assets (they become missing); --data also deletes their stored outputs.\n\nExamples:\n  dagx wipe orders\n  dagx wipe 'group:raw' --data\n  dagx wipe events --partitions 2024-01 --data",
  },
  args: {
    ...globalArgs,
    selection: { type: "positional", required: true, description: "Selection of assets to wipe" },
    data: { type: "boolean", description: "Also delete the stored output files" },
    partitions: { ...partitionArgs.partitions, description: "Only these partitions of the partitioned assets (range grammar of materialize)" },
  },
  async run(cmd) {
    const { args } = cmd;
    return withProject(cmd, async ({ out, project, store, now }) => {
      const words = positionals(args);
      if (words.length === 0) throw new DagxError("USAGE", "wipe needs a selection: `dagx wipe orders` (use `dagx wipe '*'` for everything)");
      const keys = [...resolveSelected(project, words)];
      if (args.partitions !== undefined) return wipePartitions(out, project, store, keys, args.partitions, Boolean(args.data), now());
      // every stored output of these assets — each partition's too — read before the records go
      const latest = args.data ? await store.latestMaterializations(keys) : [];
      const stored = args.data ? [...latest, ...(await supersededObjects(store, keys))] : [];
      const n = await store.wipe(keys);
      // one per current output (each partition's counts), whichever IO manager stored it
      const files = latest.length;
      if (args.data) {
        // a project's own IO manager removes what it stored (wherever that is); dagx's folders are cleared below
        await removeOwnOutputs(project, stored);
        for (const k of keys) {
          const dir = assertInside(project.storage.dataRoot, join(project.storage.dataRoot, ...k.split("/")));
          // only this asset's outputs: a prefixed key "a/b" lives inside "a/", so never remove the folder itself
          for (const f of ["data.parquet", "value.json"]) rmSync(join(dir, f), { force: true });
          for (const sub of safeList(dir)) {
            // partition folders, and the attempt files workers wrote (core/attempt-outputs.ts)
            if (sub.includes("=")) rmSync(join(dir, sub), { recursive: true, force: true });
            else if (parseAttemptFileName(sub)) rmSync(join(dir, sub), { force: true });
          }
        }
      }
      if (out.json) out.data({ wiped: keys, materializations: n, outputsDeleted: files });
      else out.print(`Wiped ${keys.length} asset(s): ${n} materialization record(s) forgotten${args.data ? `, ${files} output(s) deleted` : ""}`);
      return 0;
    });
  },
});

/** Forget (and with --data delete) only the given partitions of each selected partitioned asset. */
async function wipePartitions(out: Output, project: Project, store: MaterializationStore, keys: string[], range: string, data: boolean, now: number): Promise<number> {
  const parts = await readPartitionState(project.graph, store, now, keys);
  const skipped = keys.filter((k) => !parts.has(k));
  if (parts.size === 0) throw new DagxError("USAGE", `--partitions needs partitioned assets; ${keys.map((k) => `"${k}"`).join(", ")} ${keys.length === 1 ? "is" : "are"} not partitioned`);
  let records = 0;
  let files = 0;
  const wiped: { key: string; partitions: number }[] = [];
  for (const [key, p] of parts) {
    const set = resolvePartitionSelection(range, p.space, { materialized: p.materialized, failed: p.failed });
    const pks = [...set].map((i) => p.space.keyAt(i));
    if (!pks.length) continue;
    const stored = data ? [...(await store.latestPartitionMaterializations(key, pks)), ...(await supersededObjects(store, [key], pks))] : [];
    records += await store.wipe([key], pks);
    if (data) {
      await removeOwnOutputs(project, stored);
      for (const pk of pks) {
        const dir = assertInside(project.storage.dataRoot, join(project.storage.dataRoot, ...key.split("/"), ...partitionSegments(p.space, pk)));
        if (safeList(dir).length) files++;
        rmSync(dir, { recursive: true, force: true });
      }
    }
    wiped.push({ key, partitions: pks.length });
  }
  if (out.json) out.data({ wiped, materializations: records, outputsDeleted: files, skipped });
  else {
    out.print(`Wiped ${wiped.map((w) => `${w.key} (${w.partitions} partition(s))`).join(", ") || "nothing"}: ${records} materialization record(s) forgotten${data ? `, ${files} partition folder(s) deleted` : ""}`);
    if (skipped.length) out.say(out.c.dim(`not partitioned, left alone: ${skipped.join(", ")}`));
  }
  return 0;
}

/** The superseded objects of an object store (s3Parquet) that state still records for these assets (and partitions): wiped with the current ones. */
async function supersededObjects(store: MaterializationStore, keys: readonly string[], partitionKeys?: readonly string[]): Promise<MaterializationRecord[]> {
  const assets = new Set(keys);
  const parts = partitionKeys ? new Set(partitionKeys) : null;
  return (await store.supersededOutputs("s3://")).filter((m) => assets.has(m.assetKey) && (!parts || parts.has(m.partitionKey)));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Outputs stored by a project's own IO managers, removed through them (the built-ins' files go with their folders). */
async function removeOwnOutputs(project: Project, records: readonly MaterializationRecord[]): Promise<void> {
  const own = records.filter((m) => m.format !== "parquet" && m.format !== "json");
  if (own.length === 0) return;
  // the managers' resources, set up on first use and torn down when the outputs are removed
  const pool = projectResources(project);
  const quiet = () => {};
  const log = { debug: quiet, info: quiet, warn: quiet, error: quiet };
  try {
    for (const m of own) {
      await removeOutput(project.ioManagers, project.storage, m, { env: pool.env, resources: (names) => pool.acquire(names, `IO manager "${m.format}" (remove of "${m.assetKey}")`, log) });
    }
  } finally {
    await pool.teardown();
  }
}
