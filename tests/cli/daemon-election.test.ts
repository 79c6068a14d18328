/**
 * `dagx daemon` on a Postgres state, several at once (issue 17 item 3): real `dagx daemon`
 * processes in separate copies of one project (standing in for machines) share a real Postgres.
 * One is elected and ticks a schedule of every second; the others stand by. Each test checks the
 * ticks table: no (schedule, tick time) slot is ever recorded twice.
 * - kill -9 of the leader: its session ends, a standby takes over within seconds;
 * - a frozen leader (SIGSTOP: its socket stays open, its heartbeat stops) is deposed by a standby
 *   (pg_terminate_backend of its session); thawed (SIGCONT), it notices and commits no tick;
 * - a Postgres restart: the leader loses its session, one daemon leads afterwards.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import { type PostgresServer, startPostgres } from "../support/postgres.ts";
import { runDagx } from "./helpers.ts";
import { type Live, liveFixtures, startLive, until } from "./live.ts";

setDefaultTimeout(60_000);
const fx = liveFixtures("dagx-election-");
let pg: PostgresServer;
let admin: SQL;
beforeAll(async () => {
  pg = await startPostgres();
  admin = new SQL(pg.url, { max: 1 });
});
afterAll(async () => {
  await fx.cleanup();
  await admin?.close();
  await pg?.stop();
});

const FILES = {
  "a.asset.ts": `import { asset, schedule } from "dagx";
export const a = asset(() => [{ at: Date.now() }]);
export const every = schedule({ cron: "*/1 * * * * *", select: "a" });
`,
};
const TIMEOUT = "4s";
let schemas = 0;

/** A deployment: a schema of its own, and `n` project copies ("machines") on it. */
function deployment(n: number) {
  const schema = `e${++schemas}`;
  const env = { DAGX_STATE_URL: `${pg.url}?schema=${schema}` };
  const dirs = Array.from({ length: n }, () => fx.project(FILES));
  const start = (i: number): Live => fx.track(startLive(dirs[i]!, ["daemon", "--leader-timeout", TIMEOUT, "--max-runs", "1"], env));
  const ticks = async () => Number(((await admin.unsafe(`SELECT count(*)::int AS n FROM ${schema}.ticks WHERE name = 'every'`)) as { n: number }[])[0]!.n);
  /** Slots ticked more than once (must stay empty). */
  const duplicates = async () => (await admin.unsafe(`SELECT tick_at, count(*)::int AS n FROM ${schema}.ticks WHERE name = 'every' GROUP BY tick_at HAVING count(*) > 1`)) as { tick_at: string; n: number }[];
  const status = async (i = 0) => (await runDagx(dirs[i]!, ["daemon", "status", "--json"], { env })).json<Status>();
  return { schema, env, dirs, start, ticks, duplicates, status };
}
interface Status {
  election: string;
  leader: { host: string; pid: number; since: string; lastBeatAt: string; term: number; stale: boolean } | null;
  standbys: { host: string; pid: number; since: string; lastBeatAt: string }[];
  timeoutMs: number;
}
const ELECTED = "elected leader (term ";
const TICKED = /schedule every: tick \S+ requested a run/g;
const tickLines = (text: string) => text.match(TICKED)?.length ?? 0;

/** Start two daemons; resolve with [leader, standby] once one leads and the other stands by. */
async function pair(d: ReturnType<typeof deployment>): Promise<[Live, Live]> {
  const a = d.start(0);
  await a.waitFor(ELECTED);
  const b = d.start(1);
  await b.waitFor(`standby: leader is `);
  return [a, b];
}

describe("dagx daemon on a Postgres state: one leader, standbys, fencing", () => {
  test("two daemons: one ticks, the other stands by naming it; status shows both; kill -9 of the leader: the standby ticks within seconds, no slot twice", async () => {
    const d = deployment(3);
    const [leader, standby] = await pair(d);
    expect(standby.text()).toMatch(new RegExp(`standby: leader is \\S+ pid ${leader.pid} since \\d{4}-`));
    await until(async () => (await d.ticks()) >= 3, "3 ticks");
    const s = await d.status(2);
    expect(s).toMatchObject({ election: "postgres", leader: { pid: leader.pid, stale: false }, standbys: [{ pid: standby.pid }], timeoutMs: 4000 });
    expect(Object.keys(s.leader!).sort()).toEqual(["host", "lastBeatAt", "pid", "since", "stale", "term"]);
    const human = await runDagx(d.dirs[2]!, ["daemon", "status"], { env: d.env });
    expect(human.stdout).toContain(`leader   `);
    expect(human.stdout).toContain(`pid ${leader.pid}`);
    expect(human.stdout).toContain(`standby  `);
    expect(tickLines(standby.text())).toBe(0);

    const killedAt = Date.now();
    leader.proc.kill("SIGKILL");
    await standby.waitFor(ELECTED, { timeoutMs: 10_000 });
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThan(5_000);
    const before = await d.ticks();
    await until(async () => (await d.ticks()) >= before + 2, "ticks by the new leader", 10_000);
    expect(tickLines(standby.text())).toBeGreaterThan(0);
    expect(await d.duplicates()).toEqual([]);
    expect((await d.status(2)).leader?.pid).toBe(standby.pid);
  });

  test("a frozen leader (SIGSTOP) is deposed by the standby; thawed (SIGCONT), it stops ticking at once and stands by; no slot twice", async () => {
    const d = deployment(2);
    const [leader, standby] = await pair(d);
    await until(async () => (await d.ticks()) >= 2, "2 ticks");
    leader.proc.kill("SIGSTOP");
    await standby.waitFor(/standby: deposing leader \S+ pid \d+: no heartbeat/, { timeoutMs: 15_000 });
    await standby.waitFor(ELECTED, { timeoutMs: 5_000 });
    const before = await d.ticks();
    await until(async () => (await d.ticks()) >= before + 2, "ticks by the new leader", 10_000);
    const mark = leader.mark();
    leader.proc.kill("SIGCONT");
    await leader.waitFor(/leadership lost \(term \d+\)/, { from: mark, timeoutMs: 10_000 });
    await leader.waitFor(`standby: leader is `, { from: mark, timeoutMs: 10_000 });
    await Bun.sleep(1500); // time for a tick it might still try
    expect(tickLines(leader.text().slice(mark))).toBe(0);
    expect(await d.duplicates()).toEqual([]);
    const s = await d.status();
    expect(s.leader?.pid).toBe(standby.pid);
    expect(s.standbys.map((x) => x.pid)).toEqual([leader.pid]);
  });

  test("Postgres restarts mid-run: the leader loses its session, one daemon leads afterwards, no slot twice", async () => {
    const d = deployment(2);
    const [a, b] = await pair(d);
    await until(async () => (await d.ticks()) >= 2, "2 ticks");
    const marks = [a.mark(), b.mark()];
    await pg.restart();
    await a.waitFor(/leadership lost \(term \d+\)|evaluation failed|standing by/, { from: marks[0], timeoutMs: 20_000 });
    // one of the two is elected again, and ticks resume
    await until(() => a.text().slice(marks[0]).includes(ELECTED) || b.text().slice(marks[1]).includes(ELECTED), "a new election", 15_000);
    const before = await d.ticks();
    await until(async () => (await d.ticks()) >= before + 2, "ticks after the restart", 15_000);
    const s = await d.status();
    expect([a.pid, b.pid]).toContain(s.leader!.pid);
    expect(s.standbys.map((x) => x.pid)).toEqual([s.leader!.pid === a.pid ? b.pid : a.pid]);
    expect(await d.duplicates()).toEqual([]);
  });
});
