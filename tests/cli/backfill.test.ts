// Backfills through the real CLI (DESIGN §5, §6, §8): persistent records with per-partition status,
// the concurrency cap, upstream before downstream per partition, plain progress off a TTY, Ctrl-C,
// `backfill cancel` from another process, single-run assets, and kill -9 followed by --resume
// (no partition that had succeeded runs again, none is skipped, state consistent).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BACKFILL_PIPELINE } from "../support/projects.ts";
import { type CliResult, runDagx, makeProject, removeProject, ok, type StepJson } from "./helpers.ts";
import { pollPause } from "./live.ts";
import { dagxCommandSync } from "../support/dagx-command.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

interface Counts {
  total: number;
  success: number;
  failed: number;
  pending: number;
  skipped: number;
  canceled: number;
}
interface BackfillJson {
  backfillId: string;
  runId: string | null;
  status: string;
  alreadyDone: number;
  counts: Counts;
  steps: StepJson[];
}
interface ListJson {
  backfillId: string;
  status: string;
  selection: string;
  partitions: string;
  counts: Counts;
}
interface ShowJson extends ListJson {
  steps: { key: string; partition: string | null; status: string; runId: string | null; error: string | null }[];
}
interface StatusJson {
  key: string;
  status: string;
  causes: string[];
  partitions?: { total: number; materialized: number; missing: number; failed: number; stale: number; ranges: { materialized: string } };
}

const day = (d: number) => `2024-01-${String(d).padStart(2, "0")}`;
const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => day(from + i));

function project(): string {
  const dir = makeProject(BACKFILL_PIPELINE, "dagx-backfill-");
  dirs.push(dir);
  return dir;
}

/** exec.log lines as [asset, partitions, event]. */
function execLog(dir: string, file = "exec.log"): [string, string, string][] {
  const p = join(dir, file);
  if (!existsSync(p)) return [];
  return readFileSync(p, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(" ") as [string, string, string]);
}
/** How many times each partition of `asset` started. */
function starts(dir: string, asset: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [a, p, e] of execLog(dir)) if (a === asset && e === "start") out.set(p, (out.get(p) ?? 0) + 1);
  return out;
}

async function status(dir: string): Promise<Map<string, StatusJson>> {
  return new Map(ok(await runDagx(dir, ["status", "--json"])).json<StatusJson[]>().map((s) => [s.key, s]));
}
async function list(dir: string): Promise<ListJson[]> {
  return ok(await runDagx(dir, ["backfill", "list", "--json"])).json<ListJson[]>();
}
async function show(dir: string, id: string): Promise<ShowJson> {
  return ok(await runDagx(dir, ["backfill", "show", id, "--json"])).json<ShowJson>();
}

/** Start `dagx backfill …` in the background; stdout and stderr are collected. */
function spawnBackfill(dir: string, args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([...dagxCommandSync(), "backfill", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", CI: "1", ...env } });
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  return { proc, stdout, stderr };
}

async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t0 = performance.now();
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(pollPause(performance.now() - t0));
  }
}

describe("backfill lifecycle", () => {
  test("a range over daily and monthly assets: plain progress, the summary, list and show, status and query; resuming a finished one runs nothing", async () => {
    const dir = project();
    const r = await runDagx(dir, ["backfill", "raw+ and not whole", "--partitions", "2024-01", "--concurrency", "3", "--json"], { env: { NAP: "30" } });
    ok(r);
    const out = r.json<BackfillJson>();
    expect(out.status).toBe("success");
    // the order of steps and the concurrency cap: tests/io/run/backfill.test.ts
    expect(out.steps.length).toBe(63);
    expect(out.steps.every((s) => s.status === "success")).toBe(true);
    expect(existsSync(join(dir, ".dagx/data/raw/date=2024-01-31/data.parquet"))).toBe(true);

    // not a TTY: plain lines, no bar, no escape codes
    expect(r.stderr).toContain(`Backfill 63 partition step(s) run ${out.runId}`);
    expect(r.stderr).toMatch(/backfill \d+\/63 done · \d+ running · 0 failed/);
    expect(r.stderr).toContain(`✔ Backfill ${out.backfillId} success · 63/63 done, 0 failed, 0 pending, 0 skipped, 0 canceled`);
    expect(r.stderr).not.toContain("\r");
    expect(r.stderr).not.toContain("\x1b[");

    // the record: list, show (by id or a unique part), per-partition status
    const l = await list(dir);
    expect(l.map((b) => [b.backfillId, b.status, b.selection, b.partitions])).toEqual([[out.backfillId, "success", "raw+ and not whole", "2024-01"]]);
    const human = ok(await runDagx(dir, ["backfill", "list"]));
    expect(human.stdout).toMatch(new RegExp(`${out.backfillId}\\s+success`));
    const s = await show(dir, out.backfillId.slice(-8));
    expect(s.backfillId).toBe(out.backfillId);
    expect(s.status).toBe("success");
    expect(s.counts).toEqual({ total: 63, success: 63, failed: 0, pending: 0, skipped: 0, canceled: 0 });
    expect(s.steps.filter((x) => x.key === "per_month")).toEqual([{ key: "per_month", partition: "2024-01", status: "success", runId: out.runId, error: null }]);
    const showHuman = ok(await runDagx(dir, ["backfill", "show", out.backfillId]));
    expect(showHuman.stdout).toContain("63/63 done, 0 failed, 0 pending");

    const st = await status(dir);
    for (const k of ["raw", "agg"]) expect([k, st.get(k)!.status, st.get(k)!.partitions!.materialized]).toEqual([k, "fresh", 31]);
    expect(st.get("per_month")!.status).toBe("fresh");
    const month = ok(await runDagx(dir, ["query", "select days from per_month", "--json"])).json();
    expect(month).toEqual([{ days: 31 }]);

    // resuming a finished backfill runs nothing
    const before = execLog(dir).length;
    const again = ok(await runDagx(dir, ["backfill", "--resume", out.backfillId, "--json"])).json<BackfillJson>();
    expect([again.status, again.alreadyDone, again.steps]).toEqual(["success", 63, []]);
    expect(execLog(dir).length).toBe(before);
  }, 30_000);

  test("a failed partition: exit 1, the error and the resume command printed, show lists it; --resume finishes", async () => {
    const dir = project();
    const r = await runDagx(dir, ["backfill", "raw", "agg", "--partitions", "2024-01-01..2024-01-04", "-j", "1", "--json"], { env: { FAIL_ON: "2024-01-02" } });
    expect(r.code).toBe(1);
    const out = r.json<BackfillJson>();
    expect(out.status).toBe("failed");
    const st = Object.fromEntries(out.steps.map((s) => [`${s.key}[${s.partition}]`, s.status]));
    expect(st["raw[2024-01-02]"]).toBe("failed");
    expect(st["agg[2024-01-02]"]).toBe("skipped");
    expect(st["agg[2024-01-03]"]).toBe("success");
    expect(r.stderr).toContain("raw [2024-01-02] failed: raw broke on 2024-01-02");
    expect(r.stderr).toContain(`Resume: dagx backfill --resume ${out.backfillId}`);
    const s = await show(dir, out.backfillId);
    expect(s.status).toBe("failed");
    expect(s.counts).toMatchObject({ total: 8, success: 6, failed: 1, skipped: 1 });
    expect(s.steps.find((x) => x.key === "raw" && x.partition === "2024-01-02")!.error).toContain("raw broke on 2024-01-02");
    const human = ok(await runDagx(dir, ["backfill", "show", out.backfillId]));
    expect(human.stdout).toContain("✗ raw [2024-01-02] raw broke on 2024-01-02");

    // what a resume runs: tests/io/run/backfill.test.ts
    const resumed = await runDagx(dir, ["backfill", "--resume", out.backfillId]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`✔ Backfill ${out.backfillId} success · 8/8 done, 0 failed, 0 pending, 0 skipped, 0 canceled (6 already done before this run)`);
    expect((await list(dir))[0]!.status).toBe("success");
  });

  test("usage errors exit 2: no range, a bad range, an unknown id, a bad concurrency", async () => {
    const dir = project();
    const cases: [string[], string][] = [
      [["backfill", "raw"], "backfill needs --partitions RANGE"],
      [["backfill", "raw", "--partitions", "2023-12-01..2024-01-02"], '"2023-12-01" is before the start "2024-01-01"'],
      [["backfill", "raw", "--partitions", "2024-01-05..2024-01-01"], "the start is after the end"],
      [["backfill", "raw", "--partitions", "2024-01-01", "-j", "0"], 'Invalid --concurrency "0"'],
      [["backfill", "show"], "Give a backfill id"],
    ];
    for (const [args, msg] of cases) {
      const r = await runDagx(dir, args);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
      expect(r.stderr).toContain(msg);
    }
    for (const args of [["backfill", "show", "nope"], ["backfill", "--resume", "nope"], ["backfill", "cancel", "nope"]]) {
      const r = await runDagx(dir, args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('No backfill "nope"');
    }
    expect(await list(dir)).toEqual([]);
    expect(execLog(dir)).toEqual([]);
  });
});

describe("single-run backfills", () => {
  test("the whole range in one step: ctx.partition.keys has every key, rows split by their date column into per-partition files", async () => {
    const dir = project();
    ok(await runDagx(dir, ["backfill", "raw", "--partitions", "2024-01-01..2024-01-05"]));
    const r = ok(await runDagx(dir, ["backfill", "whole", "whole_rows", "--partitions", "2024-01-01..2024-01-05", "--json"]));
    const out = r.json<BackfillJson>();
    expect(out.status).toBe("success");
    // one step each, reported with the last key
    expect(out.steps.map((s) => [s.key, s.partition, s.status])).toEqual([
      ["whole", "2024-01-05", "success"],
      ["whole_rows", "2024-01-05", "success"],
    ]);
    const calls = readFileSync(join(dir, "single.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(calls).toEqual([{ key: "2024-01-05", keys: days(1, 5), start: "2024-01-01T00:00:00.000Z", end: "2024-01-06T00:00:00.000Z", files: 5 }]);
    for (const k of ["whole", "whole_rows"]) {
      expect(days(1, 5).map((d) => existsSync(join(dir, `.dagx/data/${k}/date=${d}/data.parquet`)))).toEqual([true, true, true, true, true]);
    }
    const rows = ok(await runDagx(dir, ["query", "select date as d, total, n from whole order by d", "--json"])).json();
    expect(rows).toEqual(days(1, 5).map((d) => ({ d, total: 10, n: 1 })));
    expect(ok(await runDagx(dir, ["query", "select date as d, i from whole_rows order by d", "--json"])).json()).toEqual(days(1, 5).map((d, i) => ({ d, i })));
    // the date column went into the folder name, not into the files
    const cols = ok(await runDagx(dir, ["query", `select * from read_parquet('${join(dir, ".dagx/data/whole/date=2024-01-03/data.parquet")}', hive_partitioning = false)`, "--json"])).json();
    expect(cols).toEqual([{ total: 10, n: 1 }]);

    // per-partition state: each partition materialized and fresh, each recorded in the backfill
    const st = await status(dir);
    expect(st.get("whole")!.partitions).toMatchObject({ materialized: 5, stale: 0, failed: 0 });
    expect(st.get("whole")!.causes).toEqual(["26 of 31 partition(s) missing"]);
    const s = await show(dir, out.backfillId);
    expect(s.counts).toMatchObject({ total: 10, success: 10 });
    expect(s.steps.filter((x) => x.key === "whole").map((x) => x.partition)).toEqual(days(1, 5));

    // a change in one upstream partition makes only that partition of the single-run asset stale
    ok(await runDagx(dir, ["materialize", "raw", "--partition", "2024-01-03"], { env: { NAP: "1" } }));
    expect((await status(dir)).get("whole")!.partitions!.stale).toBe(0); // same data: fresh
  });

  test("a single-run table without the partition column fails with the fix", async () => {
    const dir = project();
    const r = await runDagx(dir, ["backfill", "no_date", "--partitions", "2024-01-01..2024-01-03", "--json"]);
    expect(r.code).toBe(1);
    const step = r.json<BackfillJson>().steps[0]!;
    expect(step.status).toBe("failed");
    expect(step.error).toContain('needs the partition column(s) "date"');
    const s = await show(dir, r.json<BackfillJson>().backfillId);
    expect(s.counts).toMatchObject({ total: 3, failed: 3 });
    expect((await status(dir)).get("no_date")!.partitions).toMatchObject({ failed: 3, materialized: 0 });
  });
});

describe("single-run backfills: parameters and side effects", () => {
  const SINGLE = {
    "single.asset.ts": [
      `import { appendFileSync } from "node:fs";`,
      `import { asset, daily } from "dagx";`,
      `const DAYS = { start: "2024-01-01", end: "2024-02-01" };`,
      `// the natural code: the window's Date bounds and the key list as bound parameters`,
      `export const windowed = asset({ partitions: daily(DAYS), backfill: "single-run" }, (ctx) => ctx.sql\``,
      `  select strftime(d, '%Y-%m-%d') as date, epoch_ms(d)::BIGINT as ms`,
      `  from range(\${ctx.partition.start}, \${ctx.partition.end}, interval 1 day) t(d)`,
      `  where strftime(d, '%Y-%m-%d') in (select unnest(\${ctx.partition.keys}))\`);`,
      `// Dagster's documented pattern: the asset writes its own storage for the window, returns nothing`,
      `export const side = asset({ partitions: daily(DAYS), backfill: "single-run" }, (ctx) => {`,
      `  appendFileSync(ctx.path("side.log"), ctx.partition.keys.join(",") + "\\n");`,
      `});`,
      ``,
    ].join("\n"),
  };

  test("ctx.sql with ctx.partition.start / end (Date) and ctx.partition.keys (array) binds them as in every other step", async () => {
    const dir = makeProject(SINGLE, "dagx-single-[p=*]-");
    dirs.push(dir);
    const r = await runDagx(dir, ["backfill", "windowed", "--partitions", "2024-01-02..2024-01-04", "--json"]);
    expect(r.json<BackfillJson>().steps.map((s) => [s.status, s.error ?? null])).toEqual([["success", null]]);
    const rows = ok(await runDagx(dir, ["query", "select date as d, ms from windowed order by d", "--json"])).json();
    expect(rows).toEqual(days(2, 4).map((d) => ({ d, ms: Date.parse(`${d}T00:00:00Z`) })));
  });

  test("a single-run asset that returns nothing is recorded per partition of the range", async () => {
    const dir = makeProject(SINGLE, "dagx-single-[p=*]-");
    dirs.push(dir);
    const r = await runDagx(dir, ["backfill", "side", "--partitions", "2024-01-01..2024-01-05", "--json"]);
    const out = r.json<BackfillJson>();
    expect(out.steps.map((s) => [s.key, s.partition, s.status, s.error ?? null])).toEqual([["side", "2024-01-05", "success", null]]);
    expect(readFileSync(join(dir, "side.log"), "utf8")).toBe(`${days(1, 5).join(",")}\n`);
    const st = (await status(dir)).get("side")!;
    expect(st.partitions).toMatchObject({ total: 31, materialized: 5, stale: 0, failed: 0 });
    expect(st.partitions!.ranges.materialized).toBe("2024-01-01..2024-01-05");
    expect((await show(dir, out.backfillId)).counts).toMatchObject({ total: 5, success: 5 });
  });
});

describe("stopping a running backfill", () => {
  test("Ctrl-C (SIGINT): graceful cancel, exit 130, backfill canceled; --resume finishes without redoing work", async () => {
    const dir = project();
    const { proc, stdout, stderr } = spawnBackfill(dir, ["raw", "--partitions", "2024-01-01..2024-01-12", "-j", "1", "--json"], { HOLD_FROM: day(4) });
    await until("3 partitions to finish and the 4th to start", () => execLog(dir).length >= 7);
    proc.kill("SIGINT");
    const t0 = Date.now();
    expect(await proc.exited).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await stderr).toContain("Canceling the backfill");
    const out = JSON.parse(await stdout) as BackfillJson;
    expect(out.status).toBe("canceled");
    expect(out.steps.some((s) => s.status === "canceled")).toBe(true);
    const ran = out.steps.filter((s) => s.status === "success").length;
    expect(ran).toBe(3);

    expect((await list(dir))[0]!.status).toBe("canceled");
    const s = await show(dir, out.backfillId);
    expect(s.status).toBe("canceled");
    expect(s.counts.success).toBe(ran);
    // one vocabulary: what the run canceled is "canceled" in show and list too, never "pending"
    const canceled = out.steps.filter((x) => x.status === "canceled").length;
    expect(s.counts).toEqual({ total: 12, success: ran, failed: 0, pending: 0, skipped: 0, canceled });
    expect(out.counts).toEqual(s.counts);
    expect((await list(dir))[0]!.counts).toEqual(s.counts);
    expect((await status(dir)).get("raw")!.partitions!.materialized).toBe(ran);
    const runs = ok(await runDagx(dir, ["runs", "--json"])).json<{ status: string }[]>();
    expect(runs[0]!.status).toBe("canceled");

    const before = starts(dir, "raw");
    const resumed = ok(await runDagx(dir, ["backfill", "--resume", out.backfillId, "--json"])).json<BackfillJson>();
    expect(resumed.status).toBe("success");
    expect(resumed.alreadyDone).toBe(ran);
    expect(resumed.steps.length).toBe(12 - ran);
    const after = starts(dir, "raw");
    for (const st of out.steps.filter((x) => x.status === "success")) expect(after.get(st.partition!)).toBe(1);
    for (const d of days(1, 12)) expect(after.get(d)).toBe((before.get(d) ?? 0) + (out.steps.find((x) => x.partition === d)?.status === "success" ? 0 : 1));
    expect((await status(dir)).get("raw")!.partitions!.materialized).toBe(12);
    expect((await show(dir, out.backfillId)).counts).toMatchObject({ total: 12, success: 12 });
  }, 40_000);

  test("`backfill cancel ID` from another process stops it within seconds; resuming a running one is refused", async () => {
    const dir = project();
    const { proc, stdout, stderr } = spawnBackfill(dir, ["raw", "--partitions", "2024-01-01..2024-01-31", "-j", "1", "--json"], { HOLD_FROM: day(3) });
    try {
      await until("2 partitions to finish and the 3rd to start", () => execLog(dir).length >= 5);
      const running = await until("the backfill to be listed as running", async () => (await list(dir)).find((b) => b.status === "running"));
      const refused = await runDagx(dir, ["backfill", "--resume", running.backfillId]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("is still running");
      const c = await runDagx(dir, ["backfill", "cancel", running.backfillId.slice(0, 20), "--json"]);
      ok(c);
      expect(c.json()).toEqual({ backfillId: running.backfillId, cancelRequested: true });
      expect(c.stderr).toContain("Cancel requested");
      const t0 = Date.now();
      expect(await proc.exited).toBe(130);
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      proc.kill(9);
    }
    const out = JSON.parse(await stdout) as BackfillJson;
    expect(out.status).toBe("canceled");
    expect(await stderr).toContain(`Resume: dagx backfill --resume ${out.backfillId}`);
    const done = out.steps.filter((s) => s.status === "success").length;
    expect(done).toBe(2);
    expect(starts(dir, "raw").size).toBe(3);
    const s = await show(dir, out.backfillId);
    expect([s.status, s.counts.success]).toEqual(["canceled", done]);
    // the run's summary, show and list count the same recorded partitions
    const canceled = out.steps.filter((x) => x.status === "canceled").length;
    expect(canceled).toBe(29);
    expect(s.counts).toEqual({ total: 31, success: done, failed: 0, pending: 0, skipped: 0, canceled });
    expect(out.counts).toEqual(s.counts);
    expect((await list(dir))[0]!.counts).toEqual(s.counts);
    const line = `${done}/31 done, 0 failed, 0 pending, 0 skipped, ${canceled} canceled`;
    expect(await stderr).toContain(line);
    const human = ok(await runDagx(dir, ["backfill", "show", out.backfillId]));
    expect(human.stdout + human.stderr).toContain(line);
    // cancel of a backfill that is not running changes nothing
    const again = ok(await runDagx(dir, ["backfill", "cancel", out.backfillId]));
    expect(again.stdout).toContain("is not running (canceled)");
  }, 40_000);
});

describe("kill -9 in the middle of a backfill", () => {
  test("the backfill shows abandoned; --resume runs only what had not succeeded, skips none, and leaves state consistent", async () => {
    const dir = project();
    const N = 15;
    const { proc } = spawnBackfill(dir, ["raw", "agg", "--partitions", `2024-01-01..${day(N)}`, "-j", "1"], { HOLD_FROM: day(6) });
    let id = "";
    try {
      // wait until a few partitions are committed (status sees them), then SIGKILL mid-backfill (raw holds from the 6th)
      await until("4 committed raw partitions", async () => {
        const st = await runDagx(dir, ["status", "raw", "--json"]);
        return st.code === 0 && (st.json<StatusJson[]>()[0]!.partitions?.materialized ?? 0) >= 4;
      });
      id = (await list(dir))[0]!.backfillId;
    } finally {
      proc.kill(9);
    }
    await proc.exited;
    expect(proc.signalCode).toBe("SIGKILL");

    const l = await list(dir);
    expect(l.map((b) => [b.backfillId, b.status])).toEqual([[id, "abandoned"]]);
    expect(ok(await runDagx(dir, ["backfill", "list"])).stdout).toMatch(new RegExp(`${id}\\s+abandoned`));
    const abandoned = await show(dir, id);
    expect(abandoned.status).toBe("abandoned");
    // the process died: what it had not finished is pending (and list counts the same)
    expect(abandoned.counts.pending).toBeGreaterThan(0);
    expect(l[0]!.counts).toEqual(abandoned.counts);
    // canceling an abandoned backfill turns its pending partitions into canceled ones
    expect(ok(await runDagx(dir, ["backfill", "cancel", id])).stdout).toContain("marked canceled");
    const canceled = await show(dir, id);
    expect(canceled.status).toBe("canceled");
    expect(canceled.counts).toEqual({ ...abandoned.counts, pending: 0, canceled: abandoned.counts.canceled + abandoned.counts.pending });
    const runs = ok(await runDagx(dir, ["runs", "--json"])).json<{ status: string }[]>();
    expect(runs.map((r) => r.status)).toEqual(["abandoned"]);

    // what had succeeded = what state committed (a step that ended without its row may run again)
    const committed = new Set(
      ok(await runDagx(dir, ["query", "select date as d from raw", "--json"])).json<{ d: string }[]>().map((r) => r.d),
    );
    expect(committed.size).toBeGreaterThanOrEqual(4);
    expect(committed.size).toBeLessThan(N);
    const before = starts(dir, "raw");

    const r = await runDagx(dir, ["backfill", "--resume", id.slice(-12), "--json"]);
    ok(r);
    const out = r.json<BackfillJson>();
    expect([out.backfillId, out.status]).toEqual([id, "success"]);
    expect(out.alreadyDone).toBeGreaterThanOrEqual(committed.size);

    const after = starts(dir, "raw");
    for (const d of days(1, N)) {
      // succeeded before the kill: not again; the rest: exactly once more
      expect([d, after.get(d)]).toEqual([d, committed.has(d) ? before.get(d) : (before.get(d) ?? 0) + 1]);
    }
    for (const d of committed) expect(after.get(d)).toBe(1);
    const aggAfter = starts(dir, "agg");
    for (const d of days(1, N)) expect(aggAfter.get(d)).toBeGreaterThanOrEqual(1);

    // consistent state: every partition materialized and fresh, the backfill fully successful
    const st = await status(dir);
    for (const k of ["raw", "agg"]) {
      expect([k, st.get(k)!.partitions!.materialized, st.get(k)!.partitions!.stale, st.get(k)!.partitions!.failed]).toEqual([k, N, 0, 0]);
      expect(st.get(k)!.partitions!.ranges.materialized).toBe(`2024-01-01..${day(N)}`);
    }
    const s = await show(dir, id);
    expect(s.status).toBe("success");
    expect(s.counts).toEqual({ total: 2 * N, success: 2 * N, failed: 0, pending: 0, skipped: 0, canceled: 0 });
    expect((await list(dir)).map((b) => [b.backfillId, b.status])).toEqual([[id, "success"]]);
    const agg = ok(await runDagx(dir, ["query", "select count(*)::INT as n, min(n)::INT as lo, max(n)::INT as hi from agg", "--json"])).json();
    expect(agg).toEqual([{ n: N, lo: 1, hi: 1 }]);
  }, 45_000);
});
