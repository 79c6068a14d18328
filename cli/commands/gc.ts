import { statSync } from "node:fs";
import { defineCommand } from "citty";
import { parseDuration } from "../../core/duration.ts";
import { collectS3Garbage } from "../../io/iomanagers/index.ts";
import { ORPHAN_GRACE_MS, runGc } from "../../io/storage/index.ts";
import { globalArgs } from "../args.ts";
import { withState } from "../context.ts";
import { groupDigits } from "../output.ts";

export default defineCommand({
  meta: {
    name: "gc",
    description:
      "Retention: delete runs and events older than --keep, old materialization history, old ticks and finished backfills, and output files no current materialization uses (older than an hour), and S3 objects (s3Parquet) of materializations replaced over an hour ago or of queue worker attempts that never committed (older than an hour). Current outputs and their records are never touched.\n\nExamples:\n  dagx gc --keep 30d\n  dagx gc --keep 7d --dry-run --json",
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
      // the file's size; a Postgres state has none to report (its space is the database's, freed by autovacuum)
      const size = (): number | null => {
        if (store.backend !== "duckdb") return null;
        try {
          return statSync(storage.statePath).size;
        } catch {
          return 0;
        }
      };
      const before = size();
      const now = Date.now();
      // superseded S3 objects first: the retention below forgets the history rows that record them
      const s3 = await collectS3Garbage(storage.root, store, { now, graceMs: ORPHAN_GRACE_MS, dryRun: Boolean(args["dry-run"]) });
      const r = await runGc(storage, store, { keepMs, now, dryRun: Boolean(args["dry-run"]) });
      const after = size();
      if (out.json) out.data({ ...r, s3Objects: s3.objects, stateBytesBefore: before, stateBytesAfter: after, dryRun: Boolean(args["dry-run"]) });
      else {
        out.print(`${args["dry-run"] ? "Would remove" : "Removed"}: ${r.runs} run(s), ${r.events} event(s), ${r.materializations} history row(s), ${r.ticks} tick(s), ${r.runRequests} run request(s), ${r.backfills} backfill(s)`);
        out.print(`${args["dry-run"] ? "Orphans" : "Deleted"}: ${r.orphanFiles} orphan output file(s) (${groupDigits(r.orphanBytes)} bytes), ${r.tempFiles} leftover temp file(s)`);
        if (s3.objects > 0) out.print(`${args["dry-run"] ? "Superseded" : "Deleted"}: ${s3.objects} superseded S3 object(s) (s3Parquet)`);
        if (before !== null && after !== null) out.print(out.c.dim(`state file: ${groupDigits(before)} → ${groupDigits(after)} bytes (freed space is reused by DuckDB)`));
        else out.print(out.c.dim("state: Postgres (freed space is reclaimed by its autovacuum)"));
      }
      return 0;
    });
  },
});
