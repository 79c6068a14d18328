/**
 * The project's IO managers: the built-ins, those declared in `defineConfig({ ioManagers })` and
 * those assets give inline (`io: manager`). Each asset's `io` was checked at load
 * (core/_graph-checks.ts); here it is resolved to a manager and the name state records as the
 * output's format, and a stored output finds the manager that wrote it by that format.
 */
import { isSqlQuery } from "../../core/context.ts";
import type { DagxConfig } from "../../core/config.ts";
import type { LoadedAsset } from "../../core/definitions.ts";
import { DagxError, DefinitionError } from "../../core/errors.ts";
import { type IOManager, isIOManager, type ParquetWriter } from "../../core/io-manager.ts";
import { observesWrittenOutputs } from "./dbt-relation.ts";
import { bindDuckdbTable } from "./duckdb-table.ts";
import { jsonIOManager } from "./json.ts";
import { parquetIOManager } from "./parquet.ts";
import { bindPostgresTable } from "./postgres-table.ts";
import { bindS3Parquet } from "./s3-parquet.ts";
import { isArrowTable, isRows } from "./_values.ts";

export interface IOManagers {
  /**
   * The manager `value` of `asset` goes to, with the name state records: the asset's `io`, else
   * tables → "parquet", other values → "json"; and the writer of a Parquet row output (the asset's
   * `parquetWriter`, else the config's, else "auto").
   */
  forOutput(asset: LoadedAsset, value: unknown): { name: string; manager: IOManager; parquetWriter: ParquetWriter };
  /** The manager that stored an output recorded with `format`; `assetKey` names it in the error when none does. */
  forFormat(format: string, assetKey: string): IOManager;
  /** dagx's own managers: what they throw is dagx's failure (or a DagxError about the value), never user code's. */
  isBuiltin(manager: IOManager): boolean;
}

const BUILTIN: ReadonlyMap<string, IOManager> = new Map([
  ["parquet", parquetIOManager],
  ["json", jsonIOManager],
]);
const BUILTIN_SET = new Set(BUILTIN.values());

/** Resolve the IO managers of a loaded project. Two different inline managers with one name are a definition error. */
export function createIOManagers(config: DagxConfig, assets: Iterable<LoadedAsset>): IOManagers {
  const byName = new Map<string, IOManager>([...BUILTIN, ...Object.entries(config.ioManagers ?? {})]);
  const nameOf = new Map<IOManager, string>([...byName].map(([n, m]) => [m, n]));
  // the project default given inline (`io: duckdbTable({…})`) is registered under its own name (checked at load)
  if (isIOManager(config.io) && !nameOf.has(config.io)) {
    byName.set(config.io.name!, config.io);
    nameOf.set(config.io, config.io.name!);
  }
  const usedBy = new Map<string, LoadedAsset>();
  for (const a of assets) {
    if (!isIOManager(a.io) || nameOf.has(a.io)) continue;
    const name = a.io.name!; // an inline manager has a name that no other one has (core/io-manager.ts ioOptionProblem)
    const other = usedBy.get(name);
    if (!other && byName.has(name)) {
      const where = a.location ?? a.file;
      throw new DefinitionError("DEFINITION_INVALID", `Two different IO managers are named "${name}": the project default io in dagx.config.ts and asset "${a.key}" at ${where}: give them different names, or declare one in defineConfig({ ioManagers }) and use it by name`, where);
    }
    if (other) {
      const where = a.location ?? a.file;
      throw new DefinitionError("DEFINITION_INVALID", `Two different IO managers are named "${name}": asset "${other.key}" at ${other.location ?? other.file} and asset "${a.key}" at ${where} use one each: give them different names, or declare one in defineConfig({ ioManagers }) and use it by name`, where);
    }
    usedBy.set(name, a);
    byName.set(name, a.io);
    nameOf.set(a.io, name);
  }
  // duckdbTable(), s3Parquet() and postgresTable() in dagx.config.ts are placeholders of the public (pure) module: bind them here
  const bound = new Set<IOManager>();
  for (const [name, m] of byName) {
    const impl = bindPostgresTable(bindS3Parquet(bindDuckdbTable(m)));
    if (impl === m) continue;
    byName.set(name, impl);
    bound.add(impl);
  }
  const defaultIO = config.io === undefined ? "parquet" : typeof config.io === "string" ? config.io : nameOf.get(config.io)!;
  return {
    forOutput(asset, value) {
      const io = asset.io ?? (isSqlQuery(value) || isArrowTable(value) || isRows(value) ? defaultIO : "json");
      const name = typeof io === "string" ? io : nameOf.get(io)!;
      return { name, manager: byName.get(name)!, parquetWriter: asset.parquetWriter ?? config.parquetWriter ?? "auto" };
    },
    forFormat(format, assetKey) {
      const m = byName.get(format);
      if (m) return m;
      throw new DagxError("DEFINITION_INVALID", `Cannot read "${assetKey}": it was stored by IO manager "${format}", which the project no longer declares: declare it again in defineConfig({ ioManagers }), or materialize "${assetKey}" again`, { exitCode: 1 });
    },
    // the dbt IO manager (given inline to dbt outs by io/dbt/assets.ts) is dagx's own code too
    isBuiltin: (manager) => BUILTIN_SET.has(manager) || bound.has(manager) || observesWrittenOutputs(manager),
  };
}
