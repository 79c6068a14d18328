/**
 * `dagx dev` as a real process with a real watcher: reload in a fresh process per save (helper
 * edits take effect), graph diff, re-materialize changed + downstream, debounce, cancel + re-plan,
 * errors with file:line + code frame keeping the last good graph, other commands meanwhile, and
 * no worker left behind (SIGINT or kill -9).
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, ok, runDagx } from "./helpers.ts";
import { alive, childPids, type Live, startLive, until, liveFixtures } from "./live.ts";

setDefaultTimeout(60_000);
const fx = liveFixtures("dagx-dev-");
afterAll(() => fx.cleanup());
const project = fx.project;

async function dev(dir: string, args: string[] = []): Promise<Live> {
  const l = startLive(dir, ["dev", ...args]);
  fx.track(l);
  await l.waitFor("watching for changes", { timeoutMs: 30_000 });
  return l;
}

interface RunJson {
  runId: string;
  status: string;
  trigger: string;
}
// runs and query import no asset file: in this process, even after edits; a command that loads the
// project runs in this process before the first edit of its files, and is spawned after it
const runs = async (dir: string) => (await runDagx(dir, ["runs", "--json", "--limit", "1000"])).json<RunJson[]>();
const query = async (dir: string, sql: string) => (await runDagx(dir, ["query", sql, "--json"])).json<Record<string, unknown>[]>();
const save = (dir: string, rel: string, text: string) => writeFileSync(join(dir, rel), text);

const A_ASSET = (expr: string) => `import { asset } from "dagx";
import { factor } from "./helper.ts";
export const src = asset(() => [{ id: 1, v: ${expr} }]);
export const down = asset({ ins: { src } }, (ctx, { src }) => ctx.sql\`select v * 10 as w from \${src}\`);
`;

describe("dagx dev: reload, diff, re-materialize", () => {
  test("helper edits take effect in a fresh process; added/removed/changed are printed; changed + downstream re-materialize; an error shows file:line + frame and keeps the last good graph; other commands work meanwhile; SIGINT leaves no worker", async () => {
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    const dir = project({
      "helper.ts": "export const factor = 2;\n",
      "a.asset.ts": A_ASSET("factor"),
      "b.asset.ts": `import { asset, daily } from "dagx";
export const other = asset(() => [{ x: 1 }]);
export const events = asset({ partitions: daily({ start: "${day(3)}" }) }, (ctx) => [{ day: ctx.partition.key }]);
`,
    });
    ok(await runDagx(dir, ["materialize", "src", "down", "other"]));
    const d = await dev(dir);
    expect(d.text()).toMatch(/dagx dev 4 asset\(s\), 0 schedule\(s\), 0 sensor\(s\)/);

    // a helper module changes: the assets of the file importing it change, and the new value is used
    let m = d.mark();
    save(dir, "helper.ts", "export const factor = 3;\n");
    m = await d.waitFor(/reloaded helper\.ts ~src, ~down\n/, { from: m });
    m = await d.waitFor(/✔ up to date \(run \S+\)/, { from: m });
    expect(d.text()).not.toContain("~other");
    expect(await query(dir, "select w from down")).toEqual([{ w: 30 }]);
    const st = (await dagx(dir, ["status", "--json"])).json<{ key: string; status: string }[]>();
    expect(Object.fromEntries(st.map((x) => [x.key, x.status]))).toMatchObject({ src: "fresh", down: "fresh", other: "fresh" });

    // an asset added, then removed
    save(dir, "c.asset.ts", `import { asset } from "dagx";\nexport const extra = asset({ deps: ["down"] }, () => ({ ok: true }));\n`);
    m = await d.waitFor(/reloaded c\.asset\.ts \+extra\n/, { from: m });
    m = await d.waitFor(/✔ up to date/, { from: m });
    expect(existsSync(join(dir, ".dagx/data/extra/value.json"))).toBe(true);
    rmSync(join(dir, "c.asset.ts"));
    m = await d.waitFor(/reloaded c\.asset\.ts -extra\n/, { from: m });

    // a syntax error: file:line and a code frame; the last good graph stays
    save(dir, "a.asset.ts", `${A_ASSET("factor")}export const oops = asset(() => {\n  return [1 });\n});\n`);
    m = await d.waitFor(/Syntax error in a\.asset\.ts:6\b/, { from: m });
    m = await d.waitFor("Keeping the last good graph (4 assets) until this is fixed", { from: m });
    expect(d.text()).toContain("> 6 |   return [1 });");

    // meanwhile, from other terminals: no lock error
    const [mat, status, backfill, q] = await Promise.all([
      dagx(dir, ["materialize", "other", "--json"]),
      dagx(dir, ["status", "--json", "other"]),
      dagx(dir, ["backfill", "events", "--partitions", `${day(3)}..${day(1)}`, "--json"]),
      dagx(dir, ["query", "select count(*)::int as n from other", "--json"]),
    ]);
    for (const r of [mat, status, backfill, q]) {
      expect(r.stderr).not.toMatch(/lock/i);
      expect(r.code).toBe(0);
    }
    expect(q.json()).toEqual([{ n: 1 }]);

    // fixed: the reload resumes, against the last good graph
    save(dir, "a.asset.ts", A_ASSET("factor + 1"));
    m = await d.waitFor(/reloaded a\.asset\.ts ~src\n/, { from: m });
    m = await d.waitFor(/✔ up to date/, { from: m });
    expect(await query(dir, "select w from down")).toEqual([{ w: 40 }]);
    expect(d.text()).not.toMatch(/lock/i);

    const workers = childPids(d.pid);
    expect(workers.length).toBeGreaterThan(0); // the pre-warmed worker at least
    const t0 = Date.now();
    expect(await d.stop("SIGINT")).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8_000);
    await until(() => workers.every((p) => !alive(p)), "the workers to exit", 10_000);
  });

  test("--no-materialize only reports stale; a burst of 5 saves is one reload (debounced)", async () => {
    const dir = project({ "helper.ts": "export const factor = 2;\n", "a.asset.ts": A_ASSET("factor") });
    ok(await runDagx(dir, ["materialize"]));
    const before = (await runs(dir)).length;
    const d = await dev(dir, ["--no-materialize", "--debounce", "400ms"]);
    const m = d.mark();
    for (let i = 0; i < 5; i++) {
      save(dir, "helper.ts", `export const factor = ${10 + i};\n`);
      await Bun.sleep(40);
    }
    await d.waitFor("stale: src, down (--no-materialize)", { from: m });
    await Bun.sleep(1_500); // a second reload would show by now
    const out = d.text().slice(m);
    expect(out.split("reloaded ").length - 1).toBe(1);
    expect(out).toMatch(/reloaded helper\.ts ~src, ~down/);
    expect((await runs(dir)).length).toBe(before);
    const st = (await dagx(dir, ["status", "--json"])).json<{ key: string; status: string; causes: string[] }[]>();
    expect(st.find((x) => x.key === "src")!.status).toBe("stale");
    expect(await d.stop("SIGTERM")).toBe(0);
  });

  test("an edit to a partitioned asset says how many of its partitions are stale and gives the backfill command (not \"up to date\")", async () => {
    const REVENUE = (v: number) => `import { asset, daily } from "dagx";
export const daily_revenue = asset({ partitions: daily({ start: "2024-01-01", end: "2024-04-01" }) }, (ctx) => [{ day: ctx.partition.key, v: ${v} }]);
export const summary = asset({ ins: { daily_revenue } }, (ctx, { daily_revenue }) => ctx.sql\`select count(*)::INT as n from \${daily_revenue}\`);
`;
    const dir = project({ "a.asset.ts": REVENUE(1) });
    ok(await runDagx(dir, ["materialize", "daily_revenue", "--partitions", "*"]));
    ok(await runDagx(dir, ["materialize", "summary"]));
    const d = await dev(dir);
    let m = d.mark();
    save(dir, "a.asset.ts", REVENUE(2));
    m = await d.waitFor(/reloaded a\.asset\.ts ~daily_revenue\n/, { from: m });
    const line = "daily_revenue: 91 of 91 partitions stale — run: dagx backfill daily_revenue --partitions 2024-01-01..2024-03-31";
    await d.waitFor(line, { from: m });
    const end = await d.waitFor(/✔ [^\n]*\n/, { from: m });
    const out = d.text().slice(m, end);
    expect(out).not.toMatch(/✔ up to date/);
    // summary re-ran, but read stale partitions: status calls both stale, and so does dev
    expect(out).toMatch(/✔ run \S+ success; not up to date yet: daily_revenue, summary — run the command above\n/);
    // status agrees with what dev printed
    const st = (await dagx(dir, ["status", "daily_revenue", "--json"])).json<{ partitions: { total: number; stale: number } }[]>();
    expect(st[0]!.partitions).toMatchObject({ total: 91, stale: 91 });
    // and the printed command fixes it
    expect((await dagx(dir, line.split(" — run: dagx ")[1]!.split(" "))).code).toBe(0);
    const after = (await dagx(dir, ["status", "daily_revenue", "--json"])).json<{ partitions: { stale: number } }[]>();
    expect(after[0]!.partitions.stale).toBe(0);
    expect(await d.stop("SIGINT")).toBe(0);
  });

  test("two saves 35 ms apart: the second one is not lost (the last content always gets loaded)", async () => {
    const dir = project({ "helper.ts": "export const factor = 0;\n", "a.asset.ts": A_ASSET("factor") });
    const d = await dev(dir, ["--debounce", "5ms"]);
    for (const [first, second] of [[1, 2], [3, 4], [5, 6]] as const) {
      save(dir, "helper.ts", `export const factor = ${first};\n`);
      await Bun.sleep(35);
      save(dir, "helper.ts", `export const factor = ${second};\n`);
      await until(async () => {
        const rows = await runDagx(dir, ["query", "select w from down", "--json"]);
        return rows.code === 0 && JSON.stringify(rows.json()) === JSON.stringify([{ w: second * 10 }]);
      }, `down to use factor ${second}`, 20_000, () => d.text());
    }
    expect(await d.stop("SIGINT")).toBe(0);
  });

  test("a save during a run cancels it gracefully (ctx.signal) and re-plans: the old run is recorded canceled, a new run happens", async () => {
    // v2 sleeps 5 s unless canceled; v3, the re-planned one, finishes at once
    const slow = (v: number) => `import { asset } from "dagx";
export const slow = asset(async (ctx) => {
  await Bun.write("started-${v}", "");
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ${v === 3 ? 0 : 5_000});
    ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped by signal")); });
  });
  return [{ v: ${v} }];
});
export const after_slow = asset({ ins: { slow } }, (ctx, { slow }) => ctx.sql\`select v from \${slow}\`);
`;
    const dir = project({ "s.asset.ts": slow(1) });
    const d = await dev(dir);
    let m = d.mark();
    save(dir, "s.asset.ts", slow(2));
    await until(() => existsSync(join(dir, "started-2")), "the v2 run to start", 30_000, () => d.text());
    const savedAt = Date.now();
    save(dir, "s.asset.ts", slow(3));
    await until(() => existsSync(join(dir, "started-3")), "the re-planned v3 run to start", 30_000, () => d.text());
    expect(Date.now() - savedAt).toBeLessThan(4_500); // the old run did not sleep its 5 s out
    m = await d.waitFor(/canceling the run in progress to re-plan/, { from: m });
    await d.waitFor(/✔ up to date/, { from: m, timeoutMs: 30_000 });
    expect(d.text()).toMatch(/run \S+ canceled/);
    const dev_runs = (await runs(dir)).filter((r) => r.trigger === "dev");
    expect(dev_runs.map((r) => r.status)).toEqual(["success", "canceled"]);
    expect(await query(dir, "select v from after_slow")).toEqual([{ v: 3 }]);
    expect(await d.stop("SIGINT")).toBe(0);
  });
});

describe("dagx dev: a broken asset file", () => {
  test("a schedule selecting a group of the broken file: the file's own error (file:line, frame) first, the schedule left out as a consequence, not \"unknown group\"; fixing the file loads the project", async () => {
    const broken = `import { asset } from "dagx";\nexport const a = asset({ group: "raw" }, () => [{ x: 1 }]);\nexport const oops = 1 +;\n`;
    const dir = project({
      "broken.asset.ts": broken,
      "jobs.asset.ts": `import { asset, schedule } from "dagx";\nexport const b = asset(() => [{ y: 1 }]);\nexport const raw_daily = schedule({ cron: "0 3 * * *", select: "group:raw" });\n`,
    });
    const d = await dev(dir, ["--no-daemon"]);
    const text = d.text();
    expect(text).toMatch(/Syntax error in broken\.asset\.ts:3\b/);
    expect(text).toContain("> 3 | export const oops = 1 +;");
    expect(text).toContain('Schedule "raw_daily" at jobs.asset.ts:3 is left out: it selects "group:raw", which does not resolve while broken.asset.ts fails to load');
    expect(text.indexOf("Syntax error in broken.asset.ts:3")).toBeLessThan(text.indexOf('Schedule "raw_daily"'));
    expect(text).not.toContain("unknown group");
    const m = d.mark();
    save(dir, "broken.asset.ts", broken.replace("export const oops = 1 +;\n", ""));
    await d.waitFor(/dagx dev 2 asset\(s\), 1 schedule\(s\)/, { from: m });
    expect(await d.stop("SIGINT")).toBe(0);
  });
});

describe("dagx dev: schedules, sensors and automation", () => {
  test("runs schedules and eager automation (seeing a materialization from another terminal); holds the daemon lock; kill -9 of dev leaves no worker running", async () => {
    const dir = project({
      "a.asset.ts": `import { asset, eager, schedule } from "dagx";
export const beat = asset(() => [{ at: Date.now() }]);
export const ext = asset(() => [{ at: Date.now() }]);
export const follows = asset({ deps: [ext], automation: eager() }, () => ({ ok: true }));
export const every = schedule({ cron: "*/1 * * * * *", select: "beat" });
`,
    });
    const d = await dev(dir, ["--automation-interval", "1s"]);
    await d.waitFor(/schedule every: run \S+ success/);
    ok(await runDagx(dir, ["materialize", "ext"])); // a.asset.ts is never edited here
    await until(async () => (await runs(dir)).some((r) => r.trigger === "automation:automation" && r.status === "success"), "eager automation after ext", 30_000, () => d.text());
    expect(d.text()).toMatch(/automation: requested follows: follows: upstream "ext" updated/);

    const workers = childPids(d.pid);
    const second = await dagx(dir, ["daemon"], { timeoutMs: 20_000 });
    expect(second.code).toBe(2);
    const holder = Number(/Another dagx daemon \(pid (\d+)\)/.exec(second.stderr)?.[1]);
    expect(workers).toContain(holder);

    await d.stop("SIGKILL");
    await until(() => workers.every((p) => !alive(p)), "the dev workers to exit after kill -9 of dev", 15_000, () => workers.filter(alive).join(" "));
    // and the daemon lock went with them
    const again = startLive(dir, ["daemon"]);
    fx.track(again);
    await again.waitFor("daemon started");
    expect(await again.stop("SIGTERM")).toBe(0);
  });
});
