/**
 * `GET /api/assets/<key>/code`: what computes an asset, for the asset page's "Code" section — a SQL
 * asset's query as `dagx sql` compiles it, a dbt model's SQL (raw and compiled) with its tests, a
 * Pipes asset's command and script. Read-only text; the page shows it as text.
 *
 * Only files the definitions name are read, each resolved to its real path and kept inside the
 * folder it belongs to (the project root, the dbt project folder, dagx's dbt target folder): a
 * symlink or a `..` in a manifest or a command cannot make this endpoint read anything else.
 */
import { createHash } from "node:crypto";
import { existsSync, openSync, readSync, closeSync, realpathSync, statSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { DagxError } from "../../../core/errors.ts";
import type { ApiAssetCode, ApiCodeText, ApiDeclaredCheck } from "../../../core/ui-api.ts";
import { isDbtProjectDef, type DbtProjectOptions } from "../../../core/dbt/project.ts";
import { pipesSpecOf } from "../../../core/pipes/index.ts";
import { compileSqlAsset, type SqlPartition, sqlAssetInfo } from "../../project/index.ts";
import { readStatusData } from "../../reports/index.ts";
import type { Project } from "../../project/index.ts";
import type { ApiContext } from "./context.ts";

/** The most of one file the page shows. */
export const CODE_TEXT_LIMIT = 512 * 1024;

/** `file`'s real path when it is a regular file inside `folder` (itself resolved), else null. */
export function fileInside(folder: string, file: string): string | null {
  try {
    const base = realpathSync(folder);
    const real = realpathSync(file);
    if (real !== base && !real.startsWith(base + sep)) return null;
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

/** The start of a text file (at most CODE_TEXT_LIMIT bytes), or null when it holds NUL bytes (a binary). */
function readText(file: string): { text: string; truncated: boolean } | null {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(CODE_TEXT_LIMIT + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const bytes = buf.subarray(0, Math.min(n, CODE_TEXT_LIMIT));
    if (bytes.includes(0)) return null;
    return { text: bytes.toString("utf8"), truncated: n > CODE_TEXT_LIMIT };
  } finally {
    closeSync(fd);
  }
}

function languageOf(file: string): ApiCodeText["language"] {
  if (/\.sql$/i.test(file)) return "sql";
  if (/\.py$/i.test(file)) return "python";
  if (/\.[cm]?[jt]sx?$/i.test(file)) return "typescript";
  return "text";
}

/** A file as a code text, when it is inside `folder` and not binary. */
function fileText(label: string, folder: string, file: string, line: number | null = 1): ApiCodeText | null {
  const real = fileInside(folder, file);
  if (!real) return null;
  const t = readText(real);
  return t ? { label, file: resolve(file), line, language: languageOf(file), ...t } : null;
}

function declaredChecks(project: Project, key: string): ApiDeclaredCheck[] {
  return (project.graph.assets.get(key)!.checks ?? []).map((c) => ({ name: c.name, kind: c.kind, severity: c.severity, blocking: c.blocking, description: c.description }));
}

/** GET /api/assets/<key>/code */
export async function getAssetCode(ctx: ApiContext, key: string, url: URL): Promise<ApiAssetCode> {
  const project = ctx.holder.get();
  const a = project.graph.assets.get(key);
  if (!a) throw new DagxError("NOT_FOUND", `Unknown asset "${key}": see /api/assets for the keys`);
  const base: ApiAssetCode = { key, kind: "ts", location: a.location ?? a.file, texts: [], sql: null, dbt: null, pipes: null, checks: declaredChecks(project, key) };
  const sql = sqlAssetInfo(a.def);
  if (sql) return { ...base, kind: "sql", ...(await sqlCode(ctx, project, key, sql, url.searchParams.get("partition"))) };
  const pipes = pipesSpecOf(a.def);
  if (pipes) {
    const p = pipesCode(project.root, a.file, pipes.command);
    return { ...base, kind: "pipes", ...p, location: p.location || base.location };
  }
  const uniqueId = a.tags.dbt_unique_id;
  if (uniqueId && a.kinds.includes("dbt")) {
    const d = await dbtCode(project, a.file, uniqueId);
    if (d) return { ...base, kind: "dbt", location: d.location, texts: d.texts, dbt: d.dbt, checks: base.checks.map((c) => ({ ...c, ...(d.tests.get(c.name) ? { dbt: d.tests.get(c.name)! } : {}) })) };
  }
  return base;
}

// ---- SQL assets ----

async function sqlCode(ctx: ApiContext, project: Project, key: string, info: NonNullable<ReturnType<typeof sqlAssetInfo>>, partitionKey: string | null): Promise<Pick<ApiAssetCode, "texts" | "sql" | "location">> {
  const a = project.graph.assets.get(key)!;
  let partition: SqlPartition | null = null;
  if (partitionKey) {
    const parts = a.partitionsDef;
    if (!parts) throw new DagxError("USAGE", `Asset "${key}" is not partitioned: drop partition`);
    // the status engine's partition space (dynamic partitions come from the state)
    const ps = (await readStatusData(project, ctx.store, [key], ctx.now())).view(key).ps;
    const i = ps ? ps.space.indexOf(partitionKey) : -1;
    if (!ps || i < 0) throw new DagxError("USAGE", `Unknown partition "${partitionKey}" of "${key}": \`dagx partitions ${key}\` lists them`);
    const w = ps.space.window(i);
    const dimensions = parts.kind === "multi" ? Object.fromEntries(partitionKey.split("|").map((v, j) => [parts.names[j]!, v])) : undefined;
    partition = { key: partitionKey, start: w?.start, end: w?.end, ...(dimensions ? { dimensions } : {}) };
  }
  const compiled = compileSqlAsset(key, info, partition);
  const texts: ApiCodeText[] = [{ label: "query (as dagx sql compiles it)", file: null, line: null, language: "sql", text: compiled.sql, truncated: false }];
  const source = fileText("file", project.root, info.file);
  if (source) texts.push(source);
  return {
    location: `${info.file}:${bodyLine(info.text)}`,
    texts,
    sql: { partition: partition?.key ?? null, params: compiled.params, upstreams: compiled.upstreams, external: compiled.external },
  };
}

/** First line of the query (after the header of comments and blank lines). */
function bodyLine(text: string): number {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.trim() !== "" && !l.trim().startsWith("--"));
  return i < 0 ? 1 : i + 1;
}

// ---- Pipes assets ----

function pipesCode(root: string, defFile: string, command: readonly string[]): Pick<ApiAssetCode, "texts" | "pipes" | "location"> {
  const texts: ApiCodeText[] = [];
  let script: string | null = null;
  if (defFile.endsWith(".asset.py")) {
    const t = fileText("script", root, defFile);
    if (t) {
      texts.push(t);
      script = defFile;
    }
  } else {
    // the first argument that is a text file inside the project (`scripts/score.py`, not `python3`)
    for (const arg of command) {
      if (arg.startsWith("-") || arg === "") continue;
      const file = isAbsolute(arg) ? arg : resolve(root, arg);
      const t = fileText("script", root, file);
      if (t) {
        texts.push(t);
        script = resolve(file);
        break;
      }
    }
  }
  return { texts, pipes: { command: [...command], script }, location: script && defFile.endsWith(".asset.py") ? `${script}:1` : "" };
}

// ---- dbt ----

interface ManifestNode {
  unique_id: string;
  name: string;
  resource_type: string;
  package_name: string;
  original_file_path: string;
  path?: string;
  attached_node?: string | null;
  column_name?: string | null;
  test_metadata?: { name?: string; kwargs?: Record<string, unknown> } | null;
  depends_on?: { nodes?: string[] };
}

interface Manifest {
  nodes: Record<string, ManifestNode>;
  metadata?: { project_name?: string };
}

const manifests = new Map<string, { mtimeMs: number; size: number; manifest: Manifest }>();

function readManifest(path: string): Manifest | null {
  if (!existsSync(path)) return null;
  const st = statSync(path);
  const hit = manifests.get(path);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.manifest;
  const manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  manifests.set(path, { mtimeMs: st.mtimeMs, size: st.size, manifest });
  return manifest;
}

/**
 * dagx's private dbt target folder of a project: `<root>/.dagx/dbt/<hash>` — the hash io/dbt gives
 * it (sha256 of the dbt project's absolute folder, NUL, the dbt target; 12 hex digits).
 */
export function dbtTargetFolder(root: string, o: Pick<DbtProjectOptions, "dir" | "target">): string {
  const key = createHash("sha256").update(resolve(root, o.dir)).update("\0").update(o.target ?? "").digest("hex").slice(0, 12);
  return join(resolve(root), ".dagx/dbt", key);
}

/** The dbt projects a file declares: `dbt.projects` of dagx.config.ts, or the `dbtProject()` exports of an asset file (already loaded). */
async function dbtProjectsOf(project: Project, file: string): Promise<DbtProjectOptions[]> {
  if (resolve(file) === resolve(project.root, "dagx.config.ts")) return [...(project.config.dbt?.projects ?? [])];
  if (fileInside(project.root, file) === null) return [];
  try {
    // the loader imported this module already: this is its cached namespace, not a second run
    const mod = (await import(file)) as Record<string, unknown>;
    return Object.values(mod).filter(isDbtProjectDef).map((d) => d.options);
  } catch {
    return [];
  }
}

function testLabel(t: ManifestNode): string | null {
  const name = t.test_metadata?.name;
  if (!name) return null;
  const column = t.column_name ?? (typeof t.test_metadata?.kwargs?.column_name === "string" ? t.test_metadata.kwargs.column_name : null);
  return column ? `${name}(${column})` : name;
}

async function dbtCode(project: Project, declaredIn: string, uniqueId: string) {
  for (const o of await dbtProjectsOf(project, declaredIn)) {
    const dir = resolve(project.root, o.dir);
    const target = dbtTargetFolder(project.root, o);
    const manifest = readManifest(join(target, "manifest.json"));
    const node = manifest?.nodes[uniqueId];
    if (!manifest || !node) continue;
    const rawFile = join(dir, node.original_file_path);
    const texts: ApiCodeText[] = [];
    const raw = node.resource_type === "seed" ? null : fileText(`dbt ${node.resource_type} (raw)`, dir, rawFile);
    if (raw) texts.push(raw);
    const compiledFile = join(target, "compiled", node.package_name, node.original_file_path);
    const compiled = node.resource_type === "seed" ? null : fileText("compiled SQL (last build)", target, compiledFile);
    if (compiled) texts.push(compiled);
    const tests = new Map<string, NonNullable<ApiDeclaredCheck["dbt"]>>();
    for (const t of Object.values(manifest.nodes)) {
      if (t.resource_type !== "test") continue;
      if (t.attached_node !== uniqueId && !(t.attached_node == null && t.depends_on?.nodes?.length === 1 && t.depends_on.nodes[0] === uniqueId)) continue;
      const sqlFile = t.path ? join(target, "compiled", t.package_name, t.original_file_path, t.path) : null;
      const compiledTest = sqlFile ? fileText("test", target, sqlFile) : null;
      tests.set(t.name, { uniqueId: t.unique_id, test: testLabel(t), compiledSql: compiledTest?.text ?? null });
    }
    return {
      location: `${resolve(rawFile)}:1`,
      texts,
      tests,
      dbt: { uniqueId, resourceType: node.resource_type, projectDir: dir, file: relative(dir, rawFile), compiled: compiled !== null },
    };
  }
  return null;
}
