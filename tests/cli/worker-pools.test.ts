/**
 * Concurrency pools (issue 17 item 2): `pools: { warehouse: 2 }` in dagx.config.ts and
 * `pool: "warehouse"` on assets limit the steps running at once in a local run and across real
 * `dagx worker` processes on a real Postgres (each worker its own copy of the project, a machine's
 * stand-in, sharing one data folder). Each step records its start and end time in its output; the
 * test checks how many overlap.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startPostgres, type PostgresServer } from "../support/postgres.ts";
import { workerFixtures } from "../support/workers.ts";
import { ok, runDagx } from "./helpers.ts";

let pg: PostgresServer;
const fx = workerFixtures("dagx-pools-");
const machine = (data: string | null) => fx.machine(FILES, data);
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

const KEYS = Array.from({ length: 8 }, (_, i) => `w${i}`);
const FILES: Record<string, string> = {
  "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({\n  concurrency: 8,\n  pools: { warehouse: 2 },\n});\n`,
  "w.asset.ts": [
    `import { asset } from "dagx";`,
    `const step = async () => { const start = Date.now(); await Bun.sleep(300); return { start, end: Date.now() }; };`,
    ...KEYS.map((k) => `export const ${k} = asset({ pool: "warehouse" }, step);`),
    // not in the pool: runs beside the pooled steps
    `export const free = asset(step);`,
  ].join("\n"),
};

/** The most steps of `keys` running at once, from the start/end times in their outputs. */
function maxOverlap(dataDir: string, keys: readonly string[]): number {
  // a local run writes value.json; a worker attempt its own value-<run>-a<epoch>.json (docs/workers.md, fenced outputs): one per step here
  const spans = keys.map((k) => {
    const files = readdirSync(join(dataDir, k)).filter((f) => /^value(-.+)?\.json$/.test(f));
    expect(files.length).toBe(1);
    return JSON.parse(readFileSync(join(dataDir, k, files[0]!), "utf8")) as { start: number; end: number };
  });
  let most = 0;
  for (const s of spans) most = Math.max(most, spans.filter((o) => o.start <= s.start && s.start < o.end).length);
  return most;
}

describe("pools", () => {
  test("a local run honours the pool: never more than 2 of its steps at once, other steps beside them", async () => {
    const dir = machine(null);
    const r = ok(await runDagx(dir, ["materialize", ...KEYS, "free", "--json"])).json<{ status: string }>();
    expect(r.status).toBe("success");
    expect(maxOverlap(join(dir, ".dagx", "data"), KEYS)).toBe(2);
    expect(maxOverlap(join(dir, ".dagx", "data"), [...KEYS, "free"])).toBe(3);
  }, 30_000);

  test("an unknown pool is a definitions error naming the asset's file:line and the known pools; a bad limit is a config error at its line", async () => {
    const dir = fx.machine({ ...FILES, "x.asset.ts": `import { asset } from "dagx";\n\nexport const x = asset({ pool: "warehous" }, () => 1);\n` }, null);
    const r = await runDagx(dir, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pool "warehous" is not declared`);
    expect(r.stderr).toContain("x.asset.ts:3");
    expect(r.stderr).toContain(`"warehouse"`);
    const bad = fx.machine({ ...FILES, "dagx.config.ts": FILES["dagx.config.ts"]!.replace("warehouse: 2", "warehouse: 0") }, null);
    const c = await runDagx(bad, ["list"]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain("dagx.config.ts:4");
    expect(c.stderr).toContain("pools.warehouse must be a whole number ≥ 1");
  });

  test("3 workers × concurrency 4 on 8 steps of a pool of 2: never more than 2 at once across the workers", async () => {
    const data = fx.temp("dagx-pools-data-");
    const env = { DAGX_STATE_URL: `${pg.url}?schema=pools`, DAGX_WORKERS_SHARED_STORAGE: "1", NO_COLOR: "1", CI: "1" };
    const workers = [0, 1, 2].map(() => {
      return fx.startWorker(machine(data), env, { concurrency: 4 }).proc;
    });
    try {
      const r = ok(await runDagx(machine(data), ["materialize", ...KEYS, "--queue", "--json"], { env })).json<{ status: string; steps: { status: string }[] }>();
      expect(r.status).toBe("success");
      expect(r.steps.every((s) => s.status === "success")).toBe(true);
      expect(maxOverlap(data, KEYS)).toBe(2);
    } finally {
      for (const w of workers) w.kill("SIGTERM");
      for (const w of workers) await w.exited;
    }
  }, 30_000);
});
