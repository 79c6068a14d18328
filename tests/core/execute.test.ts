import { describe, expect, test } from "bun:test";
import { type AttemptOutcome, type ExecuteDeps, executePlan, retryDelay } from "../../core/execute.ts";
import type { Plan, PlanStep } from "../../core/plan.ts";

const step = (key: string, after: string[] = []): PlanStep => ({ id: key, key, partitionKey: "", partitionKeys: null, after, reason: "selected" });
const NO_RETRY = { maxRetries: 0, delay: "1s", backoff: "exponential", jitter: false } as const;

function fakeDeps(behaviour: (key: string, attempt: number, signal: AbortSignal) => Promise<AttemptOutcome> | AttemptOutcome, retry: Record<string, unknown> = {}) {
  let now = 0;
  const events: [string, string, Record<string, unknown>][] = [];
  const sleeps: number[] = [];
  const deps: ExecuteDeps = {
    runAttempt: async (s, attempt, signal) => behaviour(s.key, attempt, signal),
    retryPolicy: () => ({ ...NO_RETRY, ...retry }) as never,
    emit: (type, s, payload) => events.push([type, s.key, payload]),
    clock: {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    },
    random: () => 0.5,
  };
  return { deps, events, sleeps };
}

const run = (plan: Plan, deps: ExecuteDeps, concurrency = 4, signal = new AbortController().signal) => executePlan(plan, deps, { concurrency, signal });

describe("executePlan()", () => {
  test("pools: at most the pool's limit of its steps at once; steps outside the pool pass the waiting ones", async () => {
    let now = 0;
    const inPool: number[] = [];
    let running = 0;
    let most = 0;
    const started: string[] = [];
    const { deps } = fakeDeps(async (k) => {
      started.push(k);
      if (k.startsWith("w")) most = Math.max(most, ++running);
      await Bun.sleep(5);
      if (k.startsWith("w")) running--;
      inPool.push(now++);
      return { ok: true, rows: 1 };
    });
    const steps = [...["w1", "w2", "w3", "w4", "w5"].map((k) => step(k)), step("free")];
    const pools = { limits: { warehouse: 2 }, poolOf: (k: string) => (k.startsWith("w") ? "warehouse" : null) };
    const r = await executePlan({ steps, fresh: [] }, deps, { concurrency: 8, signal: new AbortController().signal, pools });
    expect(r.every((x) => x.status === "success")).toBe(true);
    expect(most).toBe(2);
    // the free step did not wait behind the full pool
    expect(started.indexOf("free")).toBe(2);
  });

  test("runs upstream before downstream", async () => {
    const order: string[] = [];
    const { deps } = fakeDeps(async (k) => {
      order.push(k);
      return { ok: true, rows: 1 };
    });
    const r = await run({ steps: [step("a"), step("b", ["a"]), step("c", ["b"])], fresh: [] }, deps);
    expect(order).toEqual(["a", "b", "c"]);
    expect(r.map((x) => x.status)).toEqual(["success", "success", "success"]);
  });

  test("a failed step skips only its own downstream", async () => {
    const { deps, events } = fakeDeps((k) => (k === "a" ? { ok: false, error: "boom" } : { ok: true, rows: null }));
    const r = await run({ steps: [step("a"), step("x"), step("b", ["a"]), step("c", ["b"]), step("y", ["x"])], fresh: [] }, deps);
    expect(Object.fromEntries(r.map((x) => [x.key, x.status]))).toEqual({ a: "failed", x: "success", b: "skipped", c: "skipped", y: "success" });
    expect(events.find((e) => e[0] === "step_skipped" && e[1] === "c")![2].reason).toBe('upstream "b" failed');
  });

  test("a step blocked by an earlier run's failed check is skipped with the reason, and so is its downstream; ignoreBlocking runs them", async () => {
    const ran: string[] = [];
    const { deps, events } = fakeDeps((k) => (ran.push(k), { ok: true, rows: null }));
    const blocked = { ...step("b"), blocked: 'check "c" of "a" failed in run R' };
    const plan = { steps: [blocked, step("d", ["b"]), step("x")], fresh: [] };
    const r = await run(plan, deps);
    expect(r.map((x) => [x.key, x.status, x.status === "skipped" ? x.reason : null])).toEqual([
      ["b", "skipped", 'blocked: check "c" of "a" failed in run R'],
      ["d", "skipped", 'blocked: check "c" of "a" failed in run R'],
      ["x", "success", null],
    ]);
    expect(ran).toEqual(["x"]);
    expect(events.filter((e) => e[0] === "step_skipped").map((e) => e[1])).toEqual(["b", "d"]);
    ran.length = 0;
    expect((await executePlan(plan, deps, { concurrency: 2, signal: new AbortController().signal, ignoreBlocking: true })).map((x) => x.status)).toEqual(["success", "success", "success"]);
  });

  test("ignoreBlocking: a blocking check failing in this run does not skip the downstream", async () => {
    const { deps } = fakeDeps((k) => (k === "a" ? { ok: true, rows: 1, checks: [{} as never], blocked: 'check "u" of "a" failed' } : { ok: true, rows: 1 }));
    const plan = { steps: [step("a"), step("b", ["a"])], fresh: [] };
    expect((await run(plan, deps)).map((x) => x.status)).toEqual(["success", "skipped"]);
    expect((await executePlan(plan, deps, { concurrency: 2, signal: new AbortController().signal, ignoreBlocking: true })).map((x) => x.status)).toEqual(["success", "success"]);
  });

  test("never runs more than `concurrency` steps at once", async () => {
    let running = 0;
    let peak = 0;
    const { deps } = fakeDeps(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return { ok: true, rows: null };
    });
    await run({ steps: Array.from({ length: 12 }, (_, i) => step(`s${i}`)), fresh: [] }, deps, 3);
    expect(peak).toBe(3);
  });

  test("retries with exponential backoff, then succeeds", async () => {
    const { deps, sleeps, events } = fakeDeps((_k, attempt) => (attempt < 3 ? { ok: false, error: `try ${attempt}` } : { ok: true, rows: 5 }), { maxRetries: 3, delay: "100ms", backoff: "exponential", jitter: false });
    const r = await run({ steps: [step("a")], fresh: [] }, deps);
    expect(r[0]).toMatchObject({ status: "success", attempts: 3 });
    expect(sleeps).toEqual([100, 200]);
    expect(events.filter((e) => e[0] === "step_retry").length).toBe(2);
  });

  test("gives up after maxRetries and reports the last error", async () => {
    const { deps } = fakeDeps((_k, attempt) => ({ ok: false, error: `try ${attempt}` }), { maxRetries: 2, delay: 10, backoff: "constant", jitter: false });
    const r = await run({ steps: [step("a")], fresh: [] }, deps);
    expect(r[0]).toMatchObject({ status: "failed", attempts: 3, error: "try 3" });
  });

  test("retryDelay() applies linear growth and jitter between 50% and 100%", () => {
    const p = { maxRetries: 5, delay: "1s", backoff: "linear", jitter: true } as const;
    expect(retryDelay(p, 3, () => 0)).toBe(1500);
    expect(retryDelay(p, 3, () => 1)).toBe(3000);
    expect(retryDelay({ ...p, backoff: "exponential", jitter: false }, 4, Math.random)).toBe(8000);
  });

  test("cancel: running steps see the signal, no new step starts, the rest is canceled", async () => {
    const ac = new AbortController();
    const started: string[] = [];
    const { deps } = fakeDeps(async (k, _a, signal) => {
      started.push(k);
      if (k === "a") {
        ac.abort();
        return signal.aborted ? { ok: false, error: "aborted" } : { ok: true, rows: null };
      }
      return { ok: true, rows: null };
    });
    const r = await run({ steps: [step("a"), step("b", ["a"]), step("c")], fresh: [] }, deps, 1, ac.signal);
    expect(started).toEqual(["a"]);
    expect(r.map((x) => x.status)).toEqual(["canceled", "skipped", "canceled"]);
  });

  test("early cutoff: a step reported fresh is skipped and its downstream still runs", async () => {
    const { deps } = fakeDeps(() => ({ ok: true, rows: null }));
    deps.checkFresh = async (s) => (s.key === "b" ? "fresh" : null);
    const r = await run({ steps: [step("a"), step("b", ["a"]), step("c", ["b"])], fresh: [] }, deps);
    expect(r.map((x) => x.status)).toEqual(["success", "skipped", "success"]);
  });
});
