/**
 * Which IO managers write where every worker can read (issue 17: workers on several machines):
 * `s3Parquet` and `postgresTable`. Every other manager — the built-in Parquet and JSON files,
 * `duckdbTable`, a project's own `defineIOManager` — writes on the worker's machine (`.dagx/data`,
 * a local DuckDB file) as far as dagx can tell, so a worker refuses to run an asset stored by one,
 * unless the deployment says every worker shares one filesystem.
 */
import type { IOManager } from "./io-manager.ts";
import { postgresTableOptionsOf } from "./postgres-table.ts";
import { s3ParquetOptionsOf } from "./s3-parquet.ts";

const isShared = (m: unknown) => s3ParquetOptionsOf(m) !== null || postgresTableOptionsOf(m) !== null;

/** The asset's IO manager as named or given, resolved against the config's (built-ins resolve to themselves: local). */
function resolve(io: string | IOManager | null | undefined, managers: Readonly<Record<string, IOManager>>): { name: string; shared: boolean } {
  if (io === null || io === undefined) return { name: "parquet", shared: false };
  if (typeof io === "string") return { name: io, shared: isShared(managers[io]) };
  return { name: io.name ?? "(inline)", shared: isShared(io) };
}

/**
 * Why a worker must not run an asset: its outputs would be written where other machines cannot
 * read them (null when they would not). `io` is the asset's own, `defaultIO` the config's.
 */
export function localOutputProblem(assetKey: string, io: string | IOManager | null, defaultIO: string | IOManager | undefined, managers: Readonly<Record<string, IOManager>>): string | null {
  const m = resolve(io ?? defaultIO, managers);
  if (m.shared) return null;
  return `asset "${assetKey}" stores its output with the IO manager "${m.name}", which writes on this worker's machine (.dagx/data or a local file) where other workers cannot read it: store it with s3Parquet({ … }) or postgresTable({ … }) (io: in the asset or the config's default), or, when every worker shares one filesystem, set DAGX_WORKERS_SHARED_STORAGE=1 for the workers`;
}

/** Names of the shared IO managers declared in the config (an output recorded with another format was written locally). */
export function sharedFormats(defaultIO: string | IOManager | undefined, managers: Readonly<Record<string, IOManager>>, inline: Iterable<string | IOManager | null>): Set<string> {
  const out = new Set<string>();
  for (const [name, m] of Object.entries(managers)) if (isShared(m)) out.add(name);
  for (const io of [defaultIO, ...inline]) if (io && typeof io !== "string" && isShared(io) && io.name) out.add(io.name);
  return out;
}
