/** Shared `list | start | stop | preview` handling of `dagx schedules` and `dagx sensors`. */
import { DagxError } from "../core/errors.ts";
import { didYouMean } from "../core/suggest.ts";
import type { InstigatorState } from "../core/types.ts";
import type { InstigatorStore } from "../core/state-store.ts";
import type { Output } from "./output.ts";
import { setInstigatorStatus } from "../io/daemon/index.ts";

export interface Named {
  name: string;
}

export async function instigatorState<T extends Named>(store: InstigatorStore, kind: "schedule" | "sensor", items: readonly T[]): Promise<Map<string, InstigatorState>> {
  const now = Date.now();
  await store.ensureInstigators(items.map((i) => ({ name: i.name, kind, status: "running", createdAt: now, lastTickAt: null, cursor: null, data: {}, updatedAt: now })));
  return new Map((await store.listInstigators()).filter((s) => s.kind === kind).map((s) => [s.name, s]));
}

export function pick<T extends Named>(kind: string, items: readonly T[], name: string | undefined): T {
  if (!name) throw new DagxError("USAGE", `Name the ${kind}: \`dagx ${kind}s list\` shows them`);
  const found = items.find((i) => i.name === name);
  if (!found) throw new DagxError("NOT_FOUND", `Unknown ${kind} "${name}"${didYouMean(name, items.map((i) => i.name))}: \`dagx ${kind}s list\` shows them`);
  return found;
}

export async function setStatus(out: Output, store: InstigatorStore, kind: "schedule" | "sensor", item: Named, status: "running" | "stopped"): Promise<number> {
  // a schedule started again does not catch up the ticks that fell while it was stopped
  await setInstigatorStatus(store, kind, item.name, status, Date.now());
  if (out.json) out.data({ name: item.name, status });
  else out.print(`${kind} ${item.name} ${status === "running" ? "started: the daemon evaluates it" : "stopped: the daemon skips it"}`);
  return 0;
}

