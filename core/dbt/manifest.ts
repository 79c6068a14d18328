/**
 * dbt's `manifest.json` (written by `dbt parse`) → dagx definitions, as plain data (pure).
 *
 * - Every model, seed and snapshot becomes an asset. Its key is `meta.dagx.key` (a string `a/b`
 *   or a list of segments) when given, else the node's name — as dagster-dbt does: the dbt schema
 *   is a deployment detail (it changes with the target), so it is not part of the key.
 * - Every source table becomes an external asset, upstream only: dagx never materializes it
 *   unless a dagx asset has the same key (give the source `meta.dagx.key` to connect it to one).
 *   Its default key is `[source_name, name]` (`dagx/orders`).
 * - `depends_on.nodes` → deps (by key); `checksum` → code version; the dbt group, else the model's
 *   folder, else the dbt project's name → group; `meta.owner`/`meta.owners` and the group's owner
 *   email → owners; dbt tags → tags (`{ tag: "" }`); description as written.
 * - dbt tests become checks on their `attached_node` (or their only asset dependency): severity
 *   `error` → blocking (dbt skips downstream models when it fails), `warn` → a warning.
 */
import { DefinitionError } from "../errors.ts";
import { keyProblem } from "../keys.ts";

/** The parts of a manifest node that dagx reads (manifest schema v12; other fields are ignored). */
export interface ManifestNode {
  readonly unique_id: string;
  readonly resource_type: string;
  readonly name: string;
  readonly package_name?: string;
  readonly database?: string | null;
  readonly schema?: string | null;
  readonly alias?: string | null;
  readonly fqn?: readonly string[];
  readonly description?: string | null;
  readonly tags?: readonly string[];
  readonly meta?: Record<string, unknown>;
  readonly config?: Record<string, unknown>;
  readonly group?: string | null;
  readonly checksum?: { readonly name?: string; readonly checksum?: string } | null;
  readonly depends_on?: { readonly nodes?: readonly string[] };
  readonly attached_node?: string | null;
  readonly column_name?: string | null;
  readonly test_metadata?: { readonly name?: string } | null;
  readonly original_file_path?: string;
  readonly relation_name?: string | null;
  readonly source_name?: string;
}

/** The parts of `manifest.json` that dagx reads. */
export interface DbtManifest {
  readonly metadata?: { readonly project_name?: string; readonly adapter_type?: string; readonly dbt_schema_version?: string };
  readonly nodes: Readonly<Record<string, ManifestNode>>;
  readonly sources?: Readonly<Record<string, ManifestNode>>;
  readonly groups?: Readonly<Record<string, { readonly name: string; readonly owner?: { readonly name?: string | null; readonly email?: string | null } }>>;
}

/** A dbt model, seed or snapshot as a dagx asset. */
export interface DbtAssetSpec {
  readonly key: string;
  /** dbt's id (`model.shop.orders`), what `dbt build --select` is given. */
  readonly uniqueId: string;
  readonly resourceType: "model" | "seed" | "snapshot";
  readonly name: string;
  /** What `dbt build --select` is given for this node: `fqn:` + its dotted fully-qualified name. */
  readonly selector: string;
  readonly group: string;
  readonly description?: string;
  readonly owners: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly kinds: readonly string[];
  /** `dbt:` + the first 16 hex digits of dbt's file checksum: changes when the SQL/CSV does. */
  readonly codeVersion: string;
  /** Keys of the upstream assets (other dbt nodes and sources). */
  readonly deps: readonly string[];
  /** Where the adapter writes it: database (for dbt-duckdb, the file's stem), schema, table/view name. */
  readonly relation: { readonly database?: string; readonly schema?: string; readonly name: string };
  /** dbt's `config.materialized` (table, view, incremental, ephemeral, external…), when set. */
  readonly materialized?: string;
  /** `meta.dagx.partitions` as written (e.g. `daily(start=2024-01-01)`), parsed by the loader. */
  readonly partitions?: string;
  /** `meta.dagx.backfill`: `single-run` builds a backfill's whole range in one `dbt build`. */
  readonly backfill?: string;
  /** The file the node comes from, relative to the dbt project. */
  readonly file?: string;
}

/** A dbt source table: upstream only, never materialized by dagx through dbt. */
export interface DbtSourceSpec {
  readonly key: string;
  readonly uniqueId: string;
  readonly sourceName: string;
  readonly name: string;
  readonly description?: string;
  /** `config.external_location` (dbt-duckdb reads the source from this path or URL). */
  readonly externalLocation?: string;
}

/** A dbt test as a dagx check on one asset. */
export interface DbtCheckSpec {
  readonly name: string;
  readonly uniqueId: string;
  /** The key of the asset it checks. */
  readonly asset: string;
  readonly severity: "error" | "warn";
  /** Error-severity tests block downstream assets, as they make dbt skip its downstream models. */
  readonly blocking: boolean;
  readonly description: string;
  readonly column?: string;
}

/** Everything a manifest defines for dagx. */
export interface DbtDefinitions {
  readonly project: string;
  readonly adapter?: string;
  readonly assets: readonly DbtAssetSpec[];
  readonly sources: readonly DbtSourceSpec[];
  readonly checks: readonly DbtCheckSpec[];
  /** Tests that touch several assets and have no attached node: not mapped (dbt still runs them). */
  readonly unattachedTests: readonly string[];
}

const ASSET_TYPES = new Set(["model", "seed", "snapshot"]);

/** Maps a parsed `manifest.json` to dagx definitions. Throws a DefinitionError on an invalid or duplicate key. */
export function definitionsFromManifest(manifest: DbtManifest, where = "manifest.json"): DbtDefinitions {
  if (!manifest || typeof manifest !== "object" || typeof manifest.nodes !== "object") {
    throw new DefinitionError("DEFINITION_LOAD", `Cannot read the dbt manifest ${where}: it has no "nodes" — run \`dbt parse\` with dbt-core 1.8 or later`);
  }
  const project = manifest.metadata?.project_name ?? "dbt";
  const keyOf = new Map<string, string>(); // unique_id → key
  const owner = new Map<string, string>(); // key → unique_id, for duplicates
  const claim = (node: ManifestNode, key: string) => {
    const problem = keyProblem(key);
    if (problem) {
      throw new DefinitionError(
        "DEFINITION_INVALID",
        `Invalid asset key "${key}" for dbt ${node.unique_id} (${where}): ${problem} — set meta.dagx.key on the node to a valid key`,
      );
    }
    const other = owner.get(key);
    if (other !== undefined) {
      throw new DefinitionError(
        "DEFINITION_DUPLICATE",
        `Duplicate asset key "${key}": dbt ${other} and ${node.unique_id} (${where}) — give one of them meta.dagx.key`,
      );
    }
    owner.set(key, node.unique_id);
    keyOf.set(node.unique_id, key);
  };

  const sourceNodes = Object.values(manifest.sources ?? {}).sort(byId);
  for (const s of sourceNodes) claim(s, keyFromMeta(s, where) ?? `${s.source_name ?? "source"}/${s.name}`);
  const assetNodes = Object.values(manifest.nodes).filter((n) => ASSET_TYPES.has(n.resource_type)).sort(byId);
  for (const n of assetNodes) claim(n, keyFromMeta(n, where) ?? n.name);

  const sources: DbtSourceSpec[] = sourceNodes.map((s) => {
    const location = s.config?.external_location ?? (s as { external_location?: unknown }).external_location;
    return {
      key: keyOf.get(s.unique_id)!,
      uniqueId: s.unique_id,
      sourceName: s.source_name ?? "",
      name: s.name,
      ...(s.description ? { description: s.description } : {}),
      ...(typeof location === "string" && location !== "" ? { externalLocation: location } : {}),
    };
  });

  const assets: DbtAssetSpec[] = assetNodes.map((n) => {
    const meta = nodeMeta(n);
    const dagxMeta = isRecord(meta.dagx) ? meta.dagx : {};
    const deps = unique((n.depends_on?.nodes ?? []).map((id) => keyOf.get(id)).filter((k): k is string => k !== undefined));
    const fqn = n.fqn ?? [];
    const folder = n.resource_type === "model" && fqn.length > 2 ? fqn.slice(1, -1).join("_") : undefined;
    const group = str(dagxMeta.group) ?? n.group ?? folder ?? project;
    const owners = unique([
      ...list(dagxMeta.owners),
      ...list(meta.owners),
      ...list(meta.owner),
      ...(n.group && manifest.groups ? groupOwner(manifest, n.group) : []),
    ]);
    const checksum = n.checksum?.checksum ?? "";
    const partitions = str(dagxMeta.partitions);
    const backfill = str(dagxMeta.backfill);
    return {
      key: keyOf.get(n.unique_id)!,
      uniqueId: n.unique_id,
      resourceType: n.resource_type as DbtAssetSpec["resourceType"],
      name: n.name,
      selector: `fqn:${(fqn.length > 0 ? fqn : [project, n.name]).join(".")}`,
      group,
      ...(n.description ? { description: n.description } : {}),
      owners,
      tags: Object.fromEntries(unique([...(n.tags ?? [])]).map((t) => [t, ""])),
      kinds: manifest.metadata?.adapter_type ? ["dbt", manifest.metadata.adapter_type] : ["dbt"],
      codeVersion: `dbt:${checksum.slice(0, 16) || "none"}`,
      deps,
      relation: {
        ...(n.database ? { database: n.database } : {}),
        ...(n.schema ? { schema: n.schema } : {}),
        name: n.alias ?? n.name,
      },
      ...(typeof n.config?.materialized === "string" ? { materialized: n.config.materialized } : {}),
      ...(partitions ? { partitions } : {}),
      ...(backfill ? { backfill } : {}),
      ...(n.original_file_path ? { file: n.original_file_path } : {}),
    };
  });

  const checks: DbtCheckSpec[] = [];
  const unattachedTests: string[] = [];
  for (const t of Object.values(manifest.nodes).filter((n) => n.resource_type === "test").sort(byId)) {
    let target = t.attached_node ? keyOf.get(t.attached_node) : undefined;
    if (target === undefined) {
      const assetDeps = unique((t.depends_on?.nodes ?? []).map((id) => keyOf.get(id)).filter((k): k is string => k !== undefined));
      if (assetDeps.length === 1) target = assetDeps[0];
    }
    if (target === undefined) {
      unattachedTests.push(t.unique_id);
      continue;
    }
    const severity = String(t.config?.severity ?? "error").toLowerCase() === "warn" ? "warn" : "error";
    const testName = t.test_metadata?.name;
    checks.push({
      name: t.name,
      uniqueId: t.unique_id,
      asset: target,
      severity,
      blocking: severity === "error",
      description:
        t.description ||
        (testName ? `dbt test ${testName}${t.column_name ? ` on ${t.column_name}` : ""}` : `dbt test ${t.name}`),
      ...(t.column_name ? { column: t.column_name } : {}),
    });
  }

  return {
    project,
    ...(manifest.metadata?.adapter_type ? { adapter: manifest.metadata.adapter_type } : {}),
    assets,
    sources,
    checks,
    unattachedTests,
  };
}

/** `meta.dagx.key` of a node as a dagx key string, or undefined when not set. */
function keyFromMeta(node: ManifestNode, where: string): string | undefined {
  const dagx = nodeMeta(node).dagx;
  if (!isRecord(dagx) || dagx.key === undefined) return undefined;
  const key = dagx.key;
  if (typeof key === "string") return key;
  if (Array.isArray(key) && key.length > 0 && key.every((s) => typeof s === "string")) return key.join("/");
  throw new DefinitionError(
    "DEFINITION_INVALID",
    `Invalid meta.dagx.key on dbt ${node.unique_id} (${where}): ${JSON.stringify(key)} — write a key string ("a/b") or a list of segments`,
  );
}

/** A node's meta: `config.meta` (dbt ≥ 1.10) merged over the top-level `meta`. */
function nodeMeta(node: ManifestNode): Record<string, unknown> {
  const configMeta = isRecord(node.config?.meta) ? (node.config!.meta as Record<string, unknown>) : {};
  return { ...(node.meta ?? {}), ...configMeta };
}

function groupOwner(manifest: DbtManifest, group: string): string[] {
  for (const g of Object.values(manifest.groups ?? {})) {
    if (g.name === group) return g.owner?.email ? [g.owner.email] : g.owner?.name ? [`team:${g.owner.name}`] : [];
  }
  return [];
}

function byId(a: ManifestNode, b: ManifestNode): number {
  return a.unique_id < b.unique_id ? -1 : a.unique_id > b.unique_id ? 1 : 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function list(v: unknown): string[] {
  if (typeof v === "string" && v !== "") return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string" && x !== "");
  return [];
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
