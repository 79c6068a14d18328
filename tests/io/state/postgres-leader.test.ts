/**
 * The daemon election's parts on a real Postgres (the processes are in tests/cli/daemon-election.test.ts):
 * one of two campaigns leads, the other stands by naming it; a tick under a stale term is refused
 * with NotLeaderError and writes nothing; resigning hands the lead over; status names both.
 */
import { SQL } from "bun";
import { describe, expect, test } from "bun:test";
import { NotLeaderError } from "../../../core/errors.ts";
import type { TickRecord } from "../../../core/types.ts";
import { createDaemonElection, createPostgresStateStore, readDaemonStatus } from "../../../io/state/index.ts";
import { postgresPerFile } from "./fresh-stores.ts";

const pg = postgresPerFile();
const tick = (tickAt: number): TickRecord => ({ name: "s", kind: "schedule", tickAt, evaluatedAt: tickAt, status: "skipped", reason: null, requestIds: [] });

describe("daemon election over Postgres", () => {
  test("one leads, one stands by; a tick under an old term is refused and writes nothing; resign hands over", async () => {
    const url = pg.url();
    const logs: string[][] = [[], []];
    const elections = [0, 1].map((i) => createDaemonElection(url, { timeoutMs: 2000, host: `m${i}`, pid: 100 + i, log: (l) => logs[i]!.push(l) }));
    const stop = new AbortController();
    const first = await elections[0]!.campaign(stop.signal);
    expect(first).not.toBeNull();
    const second = elections[1]!.campaign(stop.signal);
    await Bun.sleep(600);
    expect(logs[1]!.some((l) => l.startsWith("standby: leader is m0 pid 100 since "))).toBe(true);
    const status = await readDaemonStatus(url);
    expect(status).toMatchObject({ election: "postgres", leader: { host: "m0", pid: 100, term: first!.term, stale: false }, standbys: [{ host: "m1", pid: 101 }], timeoutMs: 2000 });

    const store = createPostgresStateStore(url);
    try {
      await store.recordTick(tick(1000), [], { lastTickAt: 1000 }, { term: first!.term });
      const refused = await store.recordTick(tick(2000), [], { lastTickAt: 2000 }, { term: first!.term - 1 }).then(() => null, (e: unknown) => e);
      expect(refused).toBeInstanceOf(NotLeaderError);
      await first!.resign();
      const next = await second;
      expect(next!.term).toBe(first!.term + 1);
      expect(next!.holds()).toBe(true);
      // the old leader's term is fenced out from now on
      const late = await store.recordTick(tick(3000), [], { lastTickAt: 3000 }, { term: first!.term }).then(() => null, (e: unknown) => e);
      expect(late).toBeInstanceOf(NotLeaderError);
      expect((await store.listTicks({ name: "s" })).map((t) => t.tickAt)).toEqual([1000]);
      await next!.resign();
      expect((await readDaemonStatus(url)).leader).toBeNull();
    } finally {
      stop.abort();
      await store.close();
      await Promise.all(elections.map((e) => e.close()));
    }
  });

  test("a leader busy for longer than the timeout (its event loop free) keeps beating: never deposed, never lapses", async () => {
    const url = pg.url();
    const logs: string[] = [];
    const a = createDaemonElection(url, { timeoutMs: 1000, host: "a", pid: 1, log: () => {} });
    const b = createDaemonElection(url, { timeoutMs: 1000, host: "b", pid: 2, log: (l) => logs.push(l) });
    const stop = new AbortController();
    try {
      const leader = (await a.campaign(stop.signal))!;
      let elected = false;
      void b.campaign(stop.signal).then((l) => (elected = l !== null));
      await Bun.sleep(3500); // 3.5 timeouts of "work" (an awaited sensor, a slow query) in the leader's process
      expect(leader.holds()).toBe(true);
      expect(leader.lost.aborted).toBe(false);
      expect(elected).toBe(false);
      expect(logs.filter((l) => l.includes("deposing"))).toEqual([]);
      await leader.resign();
    } finally {
      stop.abort();
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("a tick transaction left open by a vanished leader (idle in transaction, holding the leader row) is ended: the next election still happens", async () => {
    const url = pg.url();
    const a = createDaemonElection(url, { timeoutMs: 1000, host: "a", pid: 1, log: () => {} });
    const b = createDaemonElection(url, { timeoutMs: 1000, host: "b", pid: 2, log: () => {} });
    const stop = new AbortController();
    const raw = new SQL(`${pg.server().url}`, { max: 1, connection: { search_path: new URL(url).searchParams.get("schema")!, application_name: "dagx" } });
    try {
      const first = (await a.campaign(stop.signal))!;
      // what the leader's tick does first (checkTerm), then its socket goes silent: the transaction stays open
      const stuck = await raw.reserve();
      await stuck.unsafe("BEGIN");
      await stuck.unsafe("SELECT term FROM daemon_leader WHERE id = 1 FOR SHARE");
      await a.close(); // the leader's election session ends (as when a standby terminates it)
      expect(first.lost.aborted).toBe(true);
      const t0 = performance.now();
      const next = (await b.campaign(stop.signal))!;
      expect(next.term).toBe(first.term + 1);
      expect(performance.now() - t0).toBeLessThan(8000);
      const gone = await stuck.unsafe("SELECT 1").then(() => false, () => true);
      expect(gone).toBe(true);
      stuck.release();
    } finally {
      stop.abort();
      await Promise.all([a.close(), b.close()]);
      await raw.close();
    }
  });

  test("an unreachable or refusing server: the standby says so and retries, never showing the password", async () => {
    const server = pg.server();
    const secret = "Wr0ngElection-xyz";
    const logs: string[] = [];
    const e = createDaemonElection(server.url.replace(`:${server.password}@`, `:${secret}@`), { timeoutMs: 1000, host: "h", pid: 1, log: (l) => logs.push(l) });
    const stop = new AbortController();
    const campaign = e.campaign(stop.signal);
    await Bun.sleep(800);
    stop.abort();
    expect(await campaign).toBeNull();
    await e.close();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs[0]).toContain(`standby: election on the Postgres state ${server.user}@127.0.0.1:${server.port}/${server.database} failed:`);
    expect(logs.join("\n")).not.toContain(secret);
  });
});

