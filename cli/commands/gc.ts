import { statSync } from "node:fs";
import { defineCommand } from "citty";
import { parseDuration } from "../../core/duration.ts";
import { runGc } from "../../io/storage/index.ts";
import { globalArgs } from "../args.ts";
import { withState } from "../context.ts";

export default defineCommand({
  meta: {
    name: "gc",
    description:
      "Retention: delete runs and events older than --keep, old materialization history, old ticks and finished backfills, and output files no current materialization uses (older than an hour). Current outputs and their records are never touched.\n\nExamples:\n  dagx gc --keep 30d\n  dagx gc --keep 7d --dry-run --json",
  },
  args: {
    ...globalArgs,
    keep: { type: "string", description: "Keep what is newer than this (default 30d)", valueHint: "DURATION" },
    "dry-run": { type: "boolean", description: "Count what gc would remove (the same rows and files); delete nothing" },
  },
  async run(cmd) {
    const { args } = cmd;
    const keepMs = parseDuration(args.keep ?? "30d", "--keep");
    return withState(cmd, async ({ out, storage, store }) => {
      const size = () => {
        try {
          return statSync(storage.statePath).size;
        } catch {
          return 0;
        }
      };
      const before = size();
      const r = await runGc(storage, store, { keepMs, now: Date.now(), dryRun: Boolean(args["dry-run"]) });
      const after = size();
      if (out.json) out.data({ ...r, stateBytesBefore: before, stateBytesAfter: after, dryRun: Boolean(args["dry-run"]) });
      else {
        out.print(`${args["dry-run"] ? "Would remove" : "Removed"}: ${r.runs} run(s), ${r.events} event(s), ${r.materializations} history row(s), ${r.ticks} tick(s), ${r.runRequests} run request(s), ${r.backfills} backfill(s)`);
        out.print(`${args["dry-run"] ? "Orphans" : "Deleted"}: ${r.orphanFiles} orphan output file(s) (${r.orphanBytes.toLocaleString("en-US")} bytes), ${r.tempFiles} leftover temp file(s)`);
        out.print(out.c.dim(`state file: ${before.toLocaleString("en-US")} → ${after.toLocaleString("en-US")} bytes (freed space is reused by DuckDB)`));
      }
      return 0;
    });
  },
});
