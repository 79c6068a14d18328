/**
 * `dagx state migrate` copies a project's DuckDB state into Postgres: afterwards the Postgres store
 * answers every read as the file did (runs, events, materializations and their history, partition
 * summaries, backfills, ticks and run requests, dynamic partitions, checks), and a second copy into
 * the now non-empty state is refused.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StateStore } from "../../../core/state-store.ts";
import { createDuckDBStateStore, createPostgresStateStore } from "../../../io/state/index.ts";
import { ok, runDagx } from "../../cli/helpers.ts";
import { makeBackfill, makeBackfillPartition } from "./backfills.contract.ts";
import { makeCheckResult } from "./checks.contract.ts";
import { makeRequest, makeTick } from "./instigators.contract.ts";
import { makeMaterialization } from "./materializations.contract.ts";
import { makeEvent, makeRun } from "./runs.contract.ts";
import { postgresPerFile } from "./fresh-stores.ts";

const pg = postgresPerFile();
const dir = mkdtempSync(join(tmpdir(), "dagx-pgcopy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything the comparison reads, from one store. */
async function snapshot(s: StateStore) {
  const runs = await s.listRuns();
  return {
    runs,
    events: await Promise.all(runs.map((r) => s.getEvents(r.runId))),
    latest: await s.latestMaterializations(),
    failures: await s.latestFailures(),
    superseded: await s.supersededOutputs(""),
    hourly: { ...(await s.partitionSummary("hourly", "cv1", { fingerprint: false })), fingerprint: "" },
    keyed: { ...(await s.partitionSummary("keyed", "cv1", { fingerprint: false })), fingerprint: "" },
    backfills: await s.listBackfills(),
    backfill: await s.getBackfill("b1"),
    ticks: await s.listTicks(),
    requests: await s.listRunRequests(),
    instigators: await s.listInstigators(),
    dynamic: await s.listDynamicPartitions("regions"),
    checks: await s.latestCheckResults(),
  };
}

test("dagx state migrate copies runs, materializations, partitions and backfills; a second copy is refused", async () => {
  const file = join(dir, ".dagx", "state.duckdb");
  const duck = createDuckDBStateStore(file);
  await duck.createRun(makeRun("r1", { status: "success", endedAt: 2000, tags: { team: "data" } }));
  await duck.createRun(makeRun("r2", { startedAt: 3000 }));
  const hours = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 997 !== 5);
  await duck.write({
    events: [makeEvent("r1", 1), makeEvent("r1", 2, { type: "step_failed", assetKey: "hourly", partitionKey: "h4000", payload: { error: "boom", ordinal: 4000 } })],
    materializations: [
      ...hours.map((i) => makeMaterialization("hourly", { partitionKey: `h${i}`, ordinal: i, codeVersion: i < 100 ? "cv0" : "cv1", path: `hourly/${i}` })),
      makeMaterialization("keyed", { partitionKey: "eu", at: 1000, path: "keyed/eu-1" }),
      makeMaterialization("keyed", { partitionKey: "eu", at: 1500, path: "keyed/eu-2" }),
      makeMaterialization("keyed", { partitionKey: "us", codeVersion: "cv0", path: "keyed/us" }),
    ],
  });
  await duck.createBackfill(makeBackfill("b1"), [makeBackfillPartition("b1", "hourly", "h1"), makeBackfillPartition("b1", "hourly", "h2", { status: "success", runId: "r1" })]);
  await duck.recordTick(makeTick("nightly"), [makeRequest("q1", { runKey: "k1" }), makeRequest("q2", { runKey: null })], { cursor: "c1" });
  await duck.addDynamicPartitions("regions", ["eu", "us", "apac"], 1000);
  await duck.recordCheckResults([makeCheckResult("keyed", "not_empty", { partitionKey: "eu" })]);
  const before = await snapshot(duck);
  await duck.close();

  const url = pg.url();
  const r = ok(await runDagx(dir, ["state", "migrate", "--json"], { env: { DAGX_STATE_URL: url } }));
  expect(r.json<{ copied: Record<string, number> }>().copied).toMatchObject({ runs: 2, events: 2, materializations: hours.length + 3, latest_materializations: hours.length + 2, backfills: 1, ticks: 1 });

  const store = createPostgresStateStore(url);
  try {
    const after = await snapshot(store);
    expect(after).toEqual(before);
    expect(after.hourly.materializedCount).toBe(hours.length);
    expect(after.superseded.map((m) => m.path)).toEqual(["keyed/eu-1"]);
  } finally {
    await store.close();
  }

  const again = await runDagx(dir, ["state", "migrate"], { env: { DAGX_STATE_URL: url } });
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("holds runs, materializations or backfills already");
  expect(again.stderr).not.toContain(pg.server().password);
}, 60_000);
