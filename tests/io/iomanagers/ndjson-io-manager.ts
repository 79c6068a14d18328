/**
 * A test-only IO manager, written as a user would (public API only): rows as newline-delimited JSON
 * in a folder of its own — not under .dagx/data — written atomically, read back with DuckDB's
 * read_json. It runs the IO manager contract suite beside the built-ins.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { defineIOManager, type IOManager, isSqlQuery } from "../../../core/public.ts";

/** An NDJSON IO manager storing under `dir`; `calls` counts what it was asked to do. */
export function ndjsonIOManager(dir: string, calls = { handleOutput: 0, loadInput: 0, remove: 0 }): IOManager {
  return defineIOManager({
    name: "ndjson",
    async handleOutput(ctx, value) {
      calls.handleOutput++;
      const rows = isSqlQuery(value) ? await value.rows() : value;
      if (!Array.isArray(rows)) throw new Error(`ndjson stores rows, not ${typeof rows}`);
      const text = rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? Number(v) : v))).join("\n");
      const location = `${ctx.assetKey}/${ctx.partitionKey || "all"}.ndjson`;
      const path = join(dir, location);
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, text);
      renameSync(tmp, path);
      return { location, rows: rows.length, bytes: Buffer.byteLength(text), dataVersion: Bun.hash(text).toString(16), schema: null };
    },
    loadInput(ctx) {
      calls.loadInput++;
      const files = ctx.upstream.locations.map((l) => join(dir, l));
      if (files.length === 0) return ctx.table("(SELECT NULL AS id WHERE false)");
      return ctx.table(`read_json(${ctx.fileList(files)}, format = 'newline_delimited')`, files);
    },
    remove(_ctx, location) {
      calls.remove++;
      rmSync(join(dir, location), { force: true });
    },
  });
}
