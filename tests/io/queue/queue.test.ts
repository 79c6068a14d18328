/**
 * The work queue's statements on a real Postgres (io/queue/_claims.ts, _commit.ts): claims with SKIP LOCKED,
 * readiness after upstream success, leases and their epochs, and the commit fenced by the lease:
 * a worker whose lease expired cannot commit, and nothing it produced is recorded.
 */
import { expect, test } from "bun:test";
import type { PlanStep } from "../../../core/plan.ts";
import { type QueueItem, queueItems } from "../../../core/queue.ts";
import { claimItem, commitItem, enqueueRun, LeaseLostError, releaseItem, renewLease } from "../../../io/queue/index.ts";
import { createPgOps, createPostgresStateStore } from "../../../io/state/index.ts";
import { postgresPerFile } from "../state/fresh-stores.ts";
import { makeMaterialization } from "../state/materializations.contract.ts";
import { makeRun } from "../state/runs.contract.ts";

const pg = postgresPerFile();

const step = (key: string, after: string[] = []): PlanStep => ({ id: key, key, partitionKey: "", partitionKeys: null, after, reason: "selected" });
const item = (id: string, upstream: string[], downstream: string[], maxAttempts = 2, pool: string | null = null): QueueItem => ({ id, steps: [step(id, upstream)], upstream, downstream, codeVersions: { [id]: "v1" }, maxAttempts, pool });
const result = (outcome: "success" | "failed" | "retry", mats: ReturnType<typeof makeMaterialization>[] = []) => ({ outcome, events: [], materializations: mats, checks: [], at: Date.now() });

async function setup() {
  const url = pg.url();
  const ops = createPgOps(url);
  const store = createPostgresStateStore(url);
    await enqueueRun(ops, { run: makeRun("r1", { status: "running", host: "(queue)", pid: 0 }), runId: "r1", queue: "default", items: [item("a", [], ["b"]), item("b", ["a"], [])], options: { ignoreBlocking: false, config: {} }, submittedAt: 1, firstEvents: [] });
  return { ops, store, close: async () => { await ops.close(); await store.close(); } };
}

test("a worker whose lease expired cannot commit; the step is claimed again with a new epoch and recorded once", async () => {
  const { ops, store, close } = await setup();
  try {
    const first = (await claimItem(ops, { queue: "default", workerId: "w1", leaseMs: 150 }))!;
    expect(first.itemId).toBe("a");
    expect(first.epoch).toBe(1);
    // b waits for a: nothing else to claim
    expect(await claimItem(ops, { queue: "default", workerId: "w2", leaseMs: 150 })).toBeNull();
    await Bun.sleep(250);
    expect((await renewLease(ops, first, 150)).held).toBe(false); // expired: no renewal either
    const second = (await claimItem(ops, { queue: "default", workerId: "w2", leaseMs: 5_000 }))!;
    expect([second.itemId, second.epoch, second.attempts, second.lostBy]).toEqual(["a", 2, 2, "w1"]);
    // the first worker finishes late: its commit is refused, nothing of it is written
    const late = commitItem(ops, first, result("success", [makeMaterialization("a", { runId: "r1", dataVersion: "late" })]));
    expect(late).rejects.toBeInstanceOf(LeaseLostError);
    await late.catch(() => {});
    expect(await store.latestMaterializations(["a"])).toEqual([]);
    expect(await commitItem(ops, second, result("success", [makeMaterialization("a", { runId: "r1", dataVersion: "kept" })]))).toBeNull();
    const b = (await claimItem(ops, { queue: "default", workerId: "w1", leaseMs: 5_000 }))!;
    expect(b.itemId).toBe("b");
    expect(await commitItem(ops, b, result("success"))).toBe("success");
    expect((await store.latestMaterializations(["a"])).map((m) => m.dataVersion)).toEqual(["kept"]);
    expect((await store.getRun("r1"))?.status).toBe("success");
    const events = await store.getEvents("r1");
    expect(events.filter((e) => e.type === "run_finished").length).toBe(1);
  } finally {
    await close();
  }
});

test("concurrent claims take different items (SKIP LOCKED); a failure skips the downstream and ends the run failed", async () => {
  const url = pg.url();
  const ops = createPgOps(url, { max: 6 });
  const store = createPostgresStateStore(url);
  try {
        const items = [item("x", [], ["z"]), item("y", [], ["z"]), item("z", ["x", "y"], [])];
    await enqueueRun(ops, { run: makeRun("r2", { status: "running", host: "(queue)", pid: 0 }), runId: "r2", queue: "q", items, options: { ignoreBlocking: false, config: {} }, submittedAt: 1, firstEvents: [] });
    const claims = await Promise.all(["w1", "w2", "w3"].map((w) => claimItem(ops, { queue: "q", workerId: w, leaseMs: 5_000 })));
    expect(claims.filter(Boolean).map((c) => c!.itemId).sort()).toEqual(["x", "y"]);
    const [x, y] = ["x", "y"].map((id) => claims.find((c) => c?.itemId === id)!);
    expect(await commitItem(ops, x!, result("success"))).toBeNull();
    // a stopping worker's release does not count an attempt
    expect(await releaseItem(ops, y!, { refuse: false })).toBe(true);
    const again = (await claimItem(ops, { queue: "q", workerId: "w4", leaseMs: 5_000 }))!;
    expect([again.itemId, again.attempts]).toEqual(["y", 1]);
    expect(await commitItem(ops, again, { ...result("failed"), error: "boom" })).toBe("failed");
    const events = await store.getEvents("r2");
    expect(events.filter((e) => e.type === "step_skipped").map((e) => e.assetKey)).toEqual(["z"]);
    expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
  } finally {
    await ops.close();
    await store.close();
  }
});

test("pools hold across concurrent claims: 12 claims at once on a pool of 2 take 2; a commit frees a slot; maxSteps caps every pool together", async () => {
  const url = pg.url();
  const ops = createPgOps(url, { max: 12 });
  const store = createPostgresStateStore(url);
  try {
        const items = [...Array.from({ length: 6 }, (_, i) => item(`w${i}`, [], [], 1, "warehouse")), item("free1", [], [], 1), item("free2", [], [], 1)];
    await enqueueRun(ops, { run: makeRun("rp", { status: "running", host: "(queue)", pid: 0 }), runId: "rp", queue: "p", items, options: { ignoreBlocking: false, config: {} }, submittedAt: 1, firstEvents: [], limits: { pools: { warehouse: 2 }, maxSteps: null } });
    const claims = (await Promise.all(Array.from({ length: 12 }, (_, i) => claimItem(ops, { queue: "p", workerId: `w${i}`, leaseMs: 5_000 })))).filter((c) => c !== null);
    const pooled = claims.filter((c) => c.itemId.startsWith("w"));
    expect(pooled.length).toBe(2);
    expect(claims.filter((c) => c.itemId.startsWith("free")).length).toBe(2);
    expect(await claimItem(ops, { queue: "p", workerId: "late", leaseMs: 5_000 })).toBeNull();
    await commitItem(ops, pooled[0]!, result("success"));
    expect((await claimItem(ops, { queue: "p", workerId: "late", leaseMs: 5_000 }))?.itemId).toMatch(/^w/);
    // a run whose config says maxSteps: 4 counts every claimed item of the deployment (4 held now)
        await enqueueRun(ops, { run: makeRun("rm", { status: "running", host: "(queue)", pid: 0 }), runId: "rm", queue: "p", items: [item("m1", [], [], 1)], options: { ignoreBlocking: false, config: {} }, submittedAt: 1, firstEvents: [], limits: { pools: {}, maxSteps: 4 } });
    expect(await claimItem(ops, { queue: "p", workerId: "m", leaseMs: 5_000 })).toBeNull();
    await commitItem(ops, claims.find((c) => c.itemId === "free1")!, result("success"));
    expect((await claimItem(ops, { queue: "p", workerId: "m", leaseMs: 5_000 }))?.itemId).toBe("m1");
  } finally {
    await ops.close();
    await store.close();
  }
});

test("queueItems: one item per step, multi-asset outs of one call share one; retries bound the attempts", () => {
  const def = { options: {} } as never;
  const assets = new Map([
    ["a", { key: "a", def, codeVersion: "1", retry: { maxRetries: 2, delay: "0s", backoff: "constant", jitter: false } }],
    ["b", { key: "b", def: { options: {} } as never, codeVersion: "2", retry: { maxRetries: 0, delay: "0s", backoff: "constant", jitter: false } }],
  ] as const);
  const items = queueItems([step("a"), step("b", ["a"])], assets as never);
  expect(items.map((i) => [i.id, i.upstream, i.downstream, i.maxAttempts])).toEqual([["a", [], ["b"], 3], ["b", ["a"], [], 1]]);
});

test("a unit skipped by --stale's early cutoff ends satisfied: its downstream becomes ready and the run can succeed", async () => {
  const { ops, store, close } = await setup();
  try {
    const a = (await claimItem(ops, { queue: "default", workerId: "w1", leaseMs: 5_000 }))!;
    const reason = "fresh: upstream outputs unchanged (early cutoff)";
    const events = [{ runId: "r1", at: 2, type: "step_skipped" as const, assetKey: "a", partitionKey: "", payload: { reason, fresh: true } }];
    expect(await commitItem(ops, a, { outcome: "skipped", fresh: true, error: reason, events, materializations: [], checks: [], at: 2 })).toBeNull();
    const b = (await claimItem(ops, { queue: "default", workerId: "w1", leaseMs: 5_000 }))!;
    expect(b.itemId).toBe("b");
    expect(await commitItem(ops, b, result("success"))).toBe("success");
    expect((await store.getEvents("r1")).filter((e) => e.type === "step_skipped").map((e) => [e.assetKey, (e.payload as { fresh?: boolean }).fresh])).toEqual([["a", true]]);
  } finally {
    await close();
  }
});
