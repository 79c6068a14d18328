// Partition mappings through the CLI (DESIGN §5, §7): what a user sees of per-partition
// staleness (the status table, `materialize --stale`) and mapping errors (exit 2). What each
// mapping reads and which partitions go stale: tests/io/status/partition-mappings.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, ok, removeProject, runDagx, type StepJson } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

interface RunJson {
  status: string;
  steps: StepJson[];
}

describe("a changed upstream partition", () => {
  test("status shows the stale range of a rolling window and its cause; materialize --stale runs exactly those partitions, then nothing", async () => {
    const dir = makeProject(
      {
        "a.asset.ts": [
          `import { existsSync, readFileSync } from "node:fs";`,
          `import { asset, daily, timeWindow } from "dagx";`,
          `const DAYS = daily({ start: "2024-01-01", end: "2024-02-01" });`,
          `const version = (ctx: any) => { const f = ctx.path("versions/" + ctx.partition.key); return existsSync(f) ? readFileSync(f, "utf8").trim() : "v1"; };`,
          `export const orders = asset({ partitions: DAYS }, (ctx) => ctx.sql\`select \${ctx.partition.key}::DATE as d, \${version(ctx)} as v\`);`,
          `export const rolling = asset({ ins: { orders }, partitions: DAYS, mappings: { orders: timeWindow({ offset: [-6, 0] }) } }, (ctx, { orders }) => ctx.sql\`select count(*)::INT as n from \${orders}\`);`,
          `export const total = asset({ ins: { orders } }, (ctx, { orders }) => ctx.sql\`select count(*)::INT as n from \${orders}\`);`,
          ``,
        ].join("\n"),
      },
      "dagx-mappings-",
    );
    dirs.push(dir);
    ok(await runDagx(dir, ["materialize", "orders", "rolling", "--partitions", "*"]));
    ok(await runDagx(dir, ["materialize", "total"]));
    mkdirSync(join(dir, "versions"));
    writeFileSync(join(dir, "versions", "2024-01-10"), "v2");
    ok(await runDagx(dir, ["materialize", "orders", "--partition", "2024-01-10"]));

    const line = ok(await runDagx(dir, ["status"])).stdout.split("\n").find((l) => l.startsWith("rolling "))!;
    expect(line).toMatch(/^rolling\s+stale\s/);
    expect(line).toContain("31/31 parts");
    expect(line).toContain("2024-01-01..2024-01-31 materialized, 2024-01-10..2024-01-16 stale");
    const st = ok(await runDagx(dir, ["status", "rolling", "--json"])).json<{ causes: string[]; partitions: { stale: number } }[]>();
    expect(st[0]).toMatchObject({ causes: ['upstream "orders" has newer data for 2024-01-10..2024-01-16'], partitions: { stale: 7 } });

    const run = ok(await runDagx(dir, ["materialize", "--stale", "--json"])).json<RunJson>();
    expect(run.status).toBe("success");
    expect(run.steps.map((s) => `${s.key}[${s.partition ?? ""}]`).sort()).toEqual([...Array.from({ length: 7 }, (_, i) => `rolling[2024-01-${10 + i}]`), "total[]"]);
    const again = ok(await runDagx(dir, ["materialize", "--stale", "--json"])).json<RunJson>();
    expect([again.status, again.steps]).toEqual(["nothing", []]);
  });
});

describe("mapping errors", () => {
  test("partitions that do not line up without a mapping, or a mapping that does not fit, exit 2 naming the asset", async () => {
    const base = `import { asset, daily, dimension, multiPartitions, staticPartitions, timeWindow } from "dagx";\nexport const regions = asset({ partitions: staticPartitions(["eu", "us"]) }, (ctx) => [{ r: ctx.partition.key }]);\n`;
    const cases: [string, string[]][] = [
      [`export const by_day = asset({ ins: { regions }, partitions: daily({ start: "2024-01-01" }) }, () => [{ a: 1 }]);\n`, ['Asset "by_day"', 'reads "regions" but their partitions do not line up', "mappings: { regions: allPartitions() }"]],
      [`export const copy = asset({ ins: { regions }, partitions: staticPartitions(["eu"]), mappings: { regions: timeWindow({ offset: -1 }) } }, () => [{ a: 1 }]);\n`, ['Asset "copy"', 'maps "regions" with timeWindow()']],
      [`export const cube = asset({ ins: { regions }, partitions: multiPartitions({ d: daily({ start: "2024-01-01" }), region: staticPartitions(["eu", "us"]) }), mappings: { regions: dimension("regoin") } }, () => [{ a: 1 }]);\n`, ['Asset "cube"', 'has no dimension "regoin"', 'did you mean "region"']],
      [`export const bad = asset({ ins: { regions }, partitions: staticPartitions(["eu"]), mappings: { region: timeWindow() } }, () => [{ a: 1 }]);\n`, ['Mapping "region" of asset "bad"', "names no input"]],
      [`export const bad = asset({ ins: { regions }, partitions: staticPartitions(["eu"]), mappings: { regions: timeWindow({ offset: [0, -6] }) } }, () => [{ a: 1 }]);\n`, ["Invalid timeWindow() offset", "[-6, 0]"]],
    ];
    for (const [text, parts] of cases) {
      const dir = makeProject({ "a.asset.ts": base + text }, "dagx-mapping-err-");
      dirs.push(dir);
      const r = await runDagx(dir, ["materialize", "regions", "--partitions", "*"]);
      expect([text, r.code]).toEqual([text, 2]);
      for (const p of parts) expect(r.stderr).toContain(p);
      expect(r.stderr).not.toContain("    at ");
    }
  });
});
