import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, runDagx, makeProject, removeProject, writeFile } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));
const project = (files: Record<string, string>) => {
  const d = makeProject({ ".dagx/.keep": "", ...files });
  dirs.push(d);
  return d;
};

type Status = {
  key: string;
  status: string;
  group: string;
  owners: string[];
  tags: Record<string, string>;
  kinds: string[];
  description: string | null;
  freshness: { state: string; reason: string } | null;
  lastMaterialization: { rows: number | null; bytes: number | null; durationMs: number | null; schema: { name: string; type: string }[] | null; schemaChange: { added: string[]; removed: string[]; changed: { name: string; from: string; to: string }[] } | null; metadata: Record<string, unknown> | null } | null;
};

describe("metadata and governance", () => {
  test("every materialization carries rows, bytes, schema and duration; ctx.output adds user metadata", async () => {
    const d = project({
      "a.asset.ts": `import { asset } from "dagx";
export const orders = asset({ group: "raw", owners: ["team:data"], tags: { domain: "sales" }, kinds: ["duckdb"], description: "Orders" },
  (ctx) => ctx.output([{ id: 1, amount: 2.5 }, { id: 2, amount: 4 }], { metadata: { source: "unit-test", files: 3 } }));
`,
    });
    expect((await runDagx(d, ["materialize"])).code).toBe(0);
    const [s] = (await runDagx(d, ["status", "--json"])).json<Status[]>();
    expect(s).toMatchObject({ key: "orders", group: "raw", owners: ["team:data"], tags: { domain: "sales" }, kinds: ["duckdb"], description: "Orders" });
    const m = s!.lastMaterialization!;
    expect(m.rows).toBe(2);
    expect(m.bytes).toBeGreaterThan(100);
    expect(m.durationMs).toBeGreaterThanOrEqual(0);
    expect(m.schema!.map((c) => c.name)).toEqual(["id", "amount"]);
    expect(m.metadata).toEqual({ source: "unit-test", files: 3 });
    const human = await runDagx(d, ["status", "orders"]);
    expect(human.stdout).toContain("owners        team:data");
    expect(human.stdout).toContain("tags          domain=sales");
    expect(human.stdout).toMatch(/schema\s+id BIGINT, amount DOUBLE/);
    expect(human.stdout).toMatch(/source\s+unit-test/);
    const logs = (await runDagx(d, ["logs", "latest", "--json"])).json<{ events: { type: string; payload: Record<string, unknown> }[] }>();
    const mat = logs.events.find((e) => e.type === "materialization")!;
    expect(mat.payload.rows).toBe(2);
    expect((mat.payload.metadata as Record<string, unknown>).source).toBe("unit-test");
  });

  test("a schema change between materializations is reported in status and as an event", async () => {
    const d = project({ "a.asset.ts": `import { asset } from "dagx";\nexport const t = asset(() => [{ id: 1, name: "a", score: 1 }]);\n` });
    expect((await runDagx(d, ["materialize"])).code).toBe(0);
    writeFile(d, "a.asset.ts", `import { asset } from "dagx";\nexport const t = asset(() => [{ id: 1, score: 1.5, city: "x" }]);\n`);
    // the edited file in a fresh process (this one keeps the module it imported)
    expect((await dagx(d, ["materialize"])).code).toBe(0);
    const [s] = (await dagx(d, ["status", "--json"])).json<Status[]>();
    expect(s!.lastMaterialization!.schemaChange).toEqual({ added: ["city"], removed: ["name"], changed: [{ name: "score", from: "BIGINT", to: "DOUBLE" }] });
    expect((await dagx(d, ["status", "t"])).stdout).toMatch(/schema change\s+\+city, -name, score BIGINT→DOUBLE/);
    const logs = (await runDagx(d, ["logs", "latest", "--json"])).json<{ events: { type: string }[] }>();
    expect(logs.events.some((e) => e.type === "schema_change")).toBe(true);
  });

  test("list shows owners, tags, kinds, groups and descriptions in JSON", async () => {
    const d = project({ "a.asset.ts": `import { asset } from "dagx";\nexport const x = asset({ group: "g1", owners: ["ana@example.com"], tags: { pii: "yes" }, kinds: ["python"], description: "X" }, () => 1);\n` });
    const [x] = (await runDagx(d, ["list", "--json"])).json<Record<string, unknown>[]>();
    expect(x).toMatchObject({ key: "x", group: "g1", owners: ["ana@example.com"], tags: { pii: "yes" }, kinds: ["python"], description: "X" });
  });
});

describe("freshness", () => {
  test("status shows fresh, then overdue for a stricter policy, and a cron deadline", async () => {
    const d = project({
      "a.asset.ts": `import { asset } from "dagx";
export const a = asset({ freshness: { maxLag: "1h", warnAfter: "30m" } }, () => 1);
export const b = asset({ freshness: { maxLag: "1s" } }, () => 2);
export const c = asset({ freshness: { cron: "* * * * * *", maxLag: "1s" } }, () => 3);
export const never = asset({ freshness: { maxLag: "1d" } }, () => 4);
`,
    });
    expect((await runDagx(d, ["materialize", "a", "b", "c"])).code).toBe(0);
    await Bun.sleep(2100);
    const st = Object.fromEntries((await runDagx(d, ["status", "--json"])).json<Status[]>().map((s) => [s.key, s.freshness]));
    expect(st.a!.state).toBe("fresh");
    expect(st.b!.state).toBe("overdue");
    expect(st.b!.reason).toContain("more than maxLag");
    expect(st.c!.state).toBe("overdue");
    expect(st.c!.reason).toContain("deadline");
    expect(st.never).toMatchObject({ state: "overdue", reason: "never materialized" });
    expect((await runDagx(d, ["status"])).stdout).toContain("FRESHNESS");
  });

  test("an invalid freshness policy is a definition error naming the asset", async () => {
    const d = project({ "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset({ freshness: { maxLag: "soon" } }, () => 1);\n` });
    const r = await runDagx(d, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Invalid freshness of asset "a" at .*a\.asset\.ts:2/);
  });
});

describe("dagx gc", () => {
  test("removes old runs, events and orphan outputs but leaves every current output readable", async () => {
    const d = project({
      "a.asset.ts": `import { asset, daily } from "dagx";
export const t = asset(() => [{ v: 1 }]);
export const j = asset(() => ({ ok: true }));
export const p = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-04" }) }, (ctx) => [{ day: ctx.partition.key }]);
`,
    });
    for (let i = 0; i < 3; i++) expect((await runDagx(d, ["materialize", "t", "j"])).code).toBe(0);
    expect((await runDagx(d, ["materialize", "p", "--partitions", "*"])).code).toBe(0);
    // an orphan output (no materialization points at it) and a leftover temp file, both old
    const orphanDir = join(d, ".dagx/data/gone");
    writeFile(d, ".dagx/data/gone/data.parquet", "x");
    writeFile(d, ".dagx/data/t/.tmp-1-abc-data.parquet", "x");
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(orphanDir, "data.parquet"), old, old);
    utimesSync(join(d, ".dagx/data/t/.tmp-1-abc-data.parquet"), old, old);
    writeFileSync(join(d, ".dagx/data/recent-orphan.json"), "{}");
    const r = await runDagx(d, ["gc", "--keep", "0s", "--json"]);
    expect(r.code).toBe(0);
    const res = r.json<{ runs: number; events: number; materializations: number; orphanFiles: number; tempFiles: number }>();
    expect(res.runs).toBe(4);
    expect(res.events).toBeGreaterThan(10);
    expect(res.materializations).toBe(4);
    expect(res.orphanFiles).toBe(1);
    expect(res.tempFiles).toBe(1);
    expect(existsSync(orphanDir)).toBe(false);
    expect(existsSync(join(d, ".dagx/data/recent-orphan.json"))).toBe(true);
    const st = (await runDagx(d, ["status", "--json"])).json<Status[]>();
    expect(st.map((s) => s.status)).toEqual(["fresh", "fresh", "fresh"]);
    const q = await runDagx(d, ["query", "select (select count(*) from t) as t, (select count(*) from p) as p", "--json"]);
    expect(q.json<{ t: number; p: number }[]>()).toEqual([{ t: 1, p: 3 }]);
    expect(readdirSync(join(d, ".dagx/data/p")).sort()).toEqual(["date=2024-01-01", "date=2024-01-02", "date=2024-01-03"]);
  });

  test("gc --dry-run counts exactly what gc then removes (old runs, non-latest history, orphan and temp files)", async () => {
    const d = makeProject({
      ".dagx/.keep": "",
      "a.asset.ts": `import { asset, daily } from "dagx";
export const t = asset(() => [{ v: 1 }]);
export const j = asset(() => ({ ok: true }));
export const p = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-04" }) }, (ctx) => [{ day: ctx.partition.key }]);
`,
    }, "dagx gc=[*]-");
    dirs.push(d);
    for (let i = 0; i < 3; i++) expect((await runDagx(d, ["materialize", "t", "j"])).code).toBe(0);
    expect((await runDagx(d, ["materialize", "p", "--partitions", "*"])).code).toBe(0);
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const rel of [".dagx/data/gone/data.parquet", ".dagx/data/t/.tmp-1-abc-data.parquet", ".dagx/data/p/date=2023-12-31/data.parquet"]) {
      writeFile(d, rel, "x");
      utimesSync(join(d, rel), old, old);
    }
    type Gc = { runs: number; events: number; materializations: number; ticks: number; runRequests: number; backfills: number; orphanFiles: number; orphanBytes: number; tempFiles: number; dryRun: boolean };
    const counts = ({ dryRun: _, ...c }: Gc) => c;
    const dry = (await runDagx(d, ["gc", "--keep", "0s", "--dry-run", "--json"])).json<Gc>();
    expect(dry.dryRun).toBe(true);
    expect(dry.runs).toBe(4);
    expect(dry.materializations).toBe(4);
    // the dry run removed nothing: a second dry run counts the same
    expect(counts((await runDagx(d, ["gc", "--keep", "0s", "--dry-run", "--json"])).json<Gc>())).toEqual(counts(dry));
    expect(existsSync(join(d, ".dagx/data/gone/data.parquet"))).toBe(true);
    const real = (await runDagx(d, ["gc", "--keep", "0s", "--json"])).json<Gc>();
    expect(counts(real)).toEqual(counts(dry));
    const human = await runDagx(d, ["gc", "--keep", "0s", "--dry-run"]);
    expect(human.stdout + human.stderr).toContain("Would remove: 0 run(s), 0 event(s), 0 history row(s)");
  });

  test("--keep parses durations and rejects nonsense with exit 2", async () => {
    const d = project({ "a.asset.ts": `import { asset } from "dagx";\nexport const t = asset(() => 1);\n` });
    const r = await runDagx(d, ["gc", "--keep", "forever"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Invalid --keep "forever"');
  });
});
