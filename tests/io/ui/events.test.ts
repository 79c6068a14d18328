/**
 * The live change stream: a change made by another process (a spawned `dagx materialize`) reaches
 * an open stream within 1 s; heartbeats keep it open; a reload of definitions is announced.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { dagx, ok } from "../../cli/helpers.ts";
import type { ChangeEvent } from "../../../core/ui-api.ts";
import type { UiServer } from "../../../io/ui/index.ts";
import { copyShop, readEvents, removeDir, startTestServer, TOKEN } from "./_server.ts";

let dir: string;
let server: UiServer;

beforeAll(async () => {
  dir = copyShop();
  server = await startTestServer(dir, { heartbeatMs: 200 });
});
afterAll(async () => {
  await server?.close();
  removeDir(dir);
});

const open = () => fetch(`${server.origin}/api/events`, { headers: { Cookie: `dagx_token=${TOKEN}`, Origin: server.origin } });

test("a materialization by another process reaches the stream within 1 s of its state writes", async () => {
  const res = await open();
  expect(res.status).toBe(200);
  // spawned on purpose: the change must come from another process, through the state file
  const child = dagx(dir, ["materialize", "--json"]);
  let exitedAt = 0;
  const done = child.then((r) => ((exitedAt = Date.now()), r));
  // read until 1 s after the process ended (heartbeats every 200 ms wake the reader)
  const seen = readEvents(res, () => exitedAt > 0 && Date.now() > exitedAt + 1000, 60_000);
  const r = ok(await done);
  const { events } = await seen;
  const changes = events.filter((e) => e.event === "change").map((e) => ({ ...(JSON.parse(e.data) as ChangeEvent), at: e.at }));
  expect(changes.length).toBeGreaterThan(0);
  const runId = r.json<{ runId: string }>().runId;
  // the run's end (status success) and its materializations arrive: the last event within 1 s of the process exit
  const assets = changes.filter((c) => c.topics.includes("assets"));
  expect(assets.length).toBeGreaterThan(0);
  expect(assets.at(-1)!.at - exitedAt).toBeLessThan(1000);
  expect(changes.some((c) => c.topics.includes("runs"))).toBe(true);
  // after the last change, the run is over in the state: a refetch then shows it finished
  const after = await fetch(`${server.origin}/api/runs/${runId}`, { headers: { "X-Dagx-Token": TOKEN } });
  expect(((await after.json()) as { run: { status: string } }).run.status).toBe("success");
}, 90_000);

test("heartbeat comments keep the stream open; nothing is sent while nothing changes", async () => {
  const res = await open();
  const { events, comments } = await readEvents(res, (_e, c) => c.filter((x) => x === "heartbeat").length >= 2, 5000);
  expect(comments.filter((x) => x === "heartbeat").length).toBeGreaterThanOrEqual(2);
  expect(events.filter((e) => e.event === "change")).toEqual([]);
});

test("publish reaches every open stream (what a reload of definitions sends)", async () => {
  const [a, b] = [await open(), await open()];
  setTimeout(() => server.feed.publish({ topics: ["definitions", "assets"] }), 100);
  const [ra, rb] = await Promise.all([a, b].map((res) => readEvents(res, (events) => events.length > 0, 3000)));
  for (const r of [ra!, rb!]) expect(JSON.parse(r.events[0]!.data)).toEqual({ topics: ["definitions", "assets"] });
});

test("the stream outlives Bun's idle timeout (no heartbeat in the window)", async () => {
  const quiet = await startTestServer(dir, { idleTimeoutSec: 1, heartbeatMs: 60_000 });
  try {
    const res = await fetch(`${quiet.origin}/api/events`, { headers: { Cookie: `dagx_token=${TOKEN}`, Origin: quiet.origin } });
    setTimeout(() => quiet.feed.publish({ topics: ["runs"] }), 6000);
    // 6 s of silence on a server whose idle timeout is 1 s (Bun closed such a stream after ~4 s), then an event still arrives
    const { events } = await readEvents(res, (e) => e.length > 0, 9000);
    expect(events.map((e) => JSON.parse(e.data))).toEqual([{ topics: ["runs"] }]);
  } finally {
    await quiet.close();
  }
}, 30_000);
