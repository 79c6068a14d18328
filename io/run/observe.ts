/**
 * `dagx observe`: call the `observe` function of each selected external asset (through the
 * user-code boundary) and record what it reports as a materialization flagged as an observation
 * (metadata `dagx/observation: true`, nothing stored). Downstream assets compare their recorded
 * input version with it, as with any upstream: a changed version makes them stale.
 */
import { hostname } from "node:os";
import { isAbsolute, join } from "node:path";
import { DagxError } from "../../core/errors.ts";
import { externalSpecOf, OBSERVATION_KEY } from "../../core/external.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import { callUserCode } from "../../core/user-code.ts";
import type { StateStore } from "../../core/state-store.ts";
import type { Project } from "../project/index.ts";

/** Longest data version an observer may report (it is stored and compared). */
const MAX_DATA_VERSION = 200;

export interface ObserveOutcome {
  runId: string;
  /** Per observed asset: its version, whether it differs from the previous observation, and any metadata. */
  observed: { key: string; dataVersion: string; previous: string | null; changed: boolean; metadata: Record<string, unknown> }[];
}

/**
 * Observe the external assets among `selected` (the others are refused, as are external assets
 * without an observer: exit 2). Every observer runs before anything is recorded; one that throws
 * fails the whole observation (a UserCodeError with the user's file:line) and records nothing.
 */
export async function runObserve(project: Project, store: StateStore, o: { selected: ReadonlySet<string>; selectionText: string; now: () => number }): Promise<ObserveOutcome> {
  const keys = project.graph.order.filter((k) => o.selected.has(k));
  const notExternal = keys.filter((k) => !project.graph.assets.get(k)!.external);
  if (notExternal.length > 0) {
    throw new DagxError("USAGE", `Cannot observe ${notExternal.map((k) => `"${k}"`).join(", ")}: only external assets are observed — materialize ${notExternal.length > 1 ? "them" : "it"} with \`dagx materialize ${notExternal.join(",")}\`, or select external assets only`);
  }
  const noObserver = keys.filter((k) => !externalSpecOf(project.graph.assets.get(k)!.def)?.observe);
  if (noObserver.length > 0) {
    throw new DagxError("USAGE", `Cannot observe ${noObserver.map((k) => `"${k}"`).join(", ")}: no \`observe\` function — add one to its externalAsset({ observe: (ctx) => ({ dataVersion }) })`);
  }
  const runId = Bun.randomUUIDv7();
  const results: { key: string; dataVersion: string; metadata: Record<string, unknown> }[] = [];
  for (const key of keys) {
    const a = project.graph.assets.get(key)!;
    const observe = externalSpecOf(a.def)!.observe!;
    const ctx = { key, root: project.root, path: (p: string) => (isAbsolute(p) ? p : join(project.root, p)) };
    const r = (await callUserCode({ root: project.root, assetKey: key, runId, definedAt: a.location, what: `Observer of "${key}"` }, () => observe(ctx))) as unknown;
    const v = (r as { dataVersion?: unknown } | null)?.dataVersion;
    if (typeof v !== "string" || v === "" || v.length > MAX_DATA_VERSION) {
      throw new DagxError("DEFINITION_INVALID", `Observer of "${key}" at ${a.location ?? a.file} returned ${v === undefined ? "no dataVersion" : `dataVersion ${JSON.stringify(v).slice(0, 40)}`}: return { dataVersion: "…" }, a non-empty string of at most ${MAX_DATA_VERSION} characters`);
    }
    const meta = (r as { metadata?: unknown }).metadata;
    if (meta !== undefined && (meta === null || typeof meta !== "object" || Array.isArray(meta))) {
      throw new DagxError("DEFINITION_INVALID", `Observer of "${key}" at ${a.location ?? a.file} returned metadata that is not an object: return { dataVersion, metadata: { … } }`);
    }
    results.push({ key, dataVersion: v, metadata: { ...((meta as Record<string, unknown>) ?? {}) } });
  }
  const previous = new Map((await store.latestMaterializations(keys)).map((m) => [m.assetKey, m.dataVersion]));
  const t0 = o.now();
  await store.createRun({ runId, status: "running", selection: o.selectionText, trigger: "observe", pid: process.pid, host: hostname(), startedAt: t0, endedAt: null, heartbeatAt: t0, assets: keys });
  const materializations: MaterializationRecord[] = results.map((r) => ({
    assetKey: r.key,
    partitionKey: "",
    runId,
    at: o.now(),
    dataVersion: r.dataVersion,
    codeVersion: project.graph.assets.get(r.key)!.codeVersion,
    inputVersions: {},
    path: "",
    format: "none",
    rows: null,
    bytes: null,
    schema: null,
    metadata: { ...r.metadata, [OBSERVATION_KEY]: true },
    ordinal: null,
  }));
  let seq = 0;
  await store.write({
    materializations,
    events: materializations.map((m) => ({ runId, seq: ++seq, at: m.at, type: "materialization" as const, assetKey: m.assetKey, partitionKey: null, payload: { observation: true, dataVersion: m.dataVersion } })),
  });
  await store.updateRun(runId, { status: "success", endedAt: o.now() });
  return {
    runId,
    observed: results.map((r) => ({ ...r, previous: previous.get(r.key) ?? null, changed: previous.get(r.key) !== r.dataVersion })),
  };
}
