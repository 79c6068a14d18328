// IO managers through the real CLI: a project's own manager declared in defineConfig({ ioManagers })
// stores an asset, its downstream reads it through ctx.sql, an unknown `io:` name is a definition
// error, and a manager that throws is user code (its file:line), not a dagx crash.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dagx, makeProject, ok, removeProject, type StepJson } from "./helpers.ts";

const dirs: string[] = [];
const project = (files: Record<string, string>) => {
  const d = makeProject(files, "dagx-iom-");
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach(removeProject));

/** An NDJSON IO manager as a user writes it: public API only, files under .dagx/data through ctx.writeFile. */
const NDJSON = `import { defineIOManager, isSqlQuery } from "dagx";

export const ndjson = defineIOManager({
  async handleOutput(ctx, value) {
    const rows = isSqlQuery(value) ? await value.rows() : (value as Record<string, unknown>[]);
    const file = await ctx.writeFile("data.ndjson", rows.map((r) => JSON.stringify(r)).join("\\n"));
    return { ...file, rows: rows.length, schema: null };
  },
  loadInput(ctx) {
    const files = ctx.upstream.locations.map((l) => ctx.path(l));
    return ctx.table(\`read_json(\${ctx.fileList(files)}, format = 'newline_delimited')\`, files);
  },
});

export const failing = defineIOManager({
  name: "failing",
  handleOutput() {
    throw new Error("bucket is gone");
  },
  loadInput: () => null,
});
`;

const CONFIG = `import { defineConfig } from "dagx";
import { ndjson } from "./ndjson.ts";
export default defineConfig({ ioManagers: { ndjson } });
`;

const ASSETS = `import { asset } from "dagx";

export const events = asset({ io: "ndjson" }, () => [
  { id: 1, kind: "click", amount: 2.5 },
  { id: 2, kind: "view", amount: 1 },
  { id: 3, kind: "click", amount: 4 },
]);

export const clicks = asset({ ins: { events } }, (ctx, { events }) =>
  ctx.sql\`select kind, count(*)::INTEGER as n, sum(amount) as total from \${events} group by kind order by kind\`);

export const loaded = asset({ ins: { events } }, async (_ctx, { events }) => (await events.rows()).length);
`;

describe("a project's own IO manager", () => {
  test("materializes through it, and the downstream reads it via ctx.sql and rows()", async () => {
    const dir = project({ "dagx.config.ts": CONFIG, "ndjson.ts": NDJSON, "events.asset.ts": ASSETS });
    const run = ok(await dagx(dir, ["materialize", "--json"])).json<{ status: string; steps: StepJson[] }>();
    expect(run.status).toBe("success");
    expect(run.steps.map((s) => [s.key, s.status])).toEqual([["events", "success"], ["clicks", "success"], ["loaded", "success"]]);
    const file = join(dir, ".dagx/data/events/data.ndjson");
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8").split("\n").map((l) => JSON.parse(l).id)).toEqual([1, 2, 3]);
    const q = ok(await dagx(dir, ["query", "select * from clicks order by kind", "--json"])).json();
    expect(q).toEqual([{ kind: "click", n: 2, total: 6.5 }, { kind: "view", n: 1, total: 1 }]);
    expect(JSON.parse(readFileSync(join(dir, ".dagx/data/loaded/value.json"), "utf8"))).toBe(3);
    // the recorded output is fresh: dagx does not second-guess a file it did not write itself
    const status = ok(await dagx(dir, ["status", "--json"])).json<{ key: string; status: string }[]>();
    expect(status.map((s) => [s.key, s.status]).sort()).toEqual([["clicks", "fresh"], ["events", "fresh"], ["loaded", "fresh"]]);
    // identical content: the same data version, so the downstream stays fresh after a re-run of events
    ok(await dagx(dir, ["materialize", "events"]));
    const stale = ok(await dagx(dir, ["materialize", "--stale", "--json"])).json<{ steps: StepJson[] }>();
    expect(stale.steps).toEqual([]);
  });

  test("an IO manager object given inline as io: is used under its name", async () => {
    const dir = project({
      "ndjson.ts": NDJSON,
      "a.asset.ts": `import { asset, defineIOManager } from "dagx";
import { ndjson } from "./ndjson.ts";
const lines = defineIOManager({ ...ndjson, name: "lines" });
export const raw = asset({ io: lines }, () => [{ x: 1 }, { x: 2 }]);
export const total = asset({ ins: { raw } }, (ctx, { raw }) => ctx.sql\`select sum(x)::INTEGER as s from \${raw}\`);
`,
    });
    ok(await dagx(dir, ["materialize"]));
    expect(ok(await dagx(dir, ["query", "select s from total", "--json"])).json()).toEqual([{ s: 3 }]);
    const logs = ok(await dagx(dir, ["status", "raw", "--json"])).json<{ key: string; status: string }[]>();
    expect(logs[0]!.status).toBe("fresh");
  });

  test("an unknown io: name is a definition error with a suggestion (exit 2)", async () => {
    const dir = project({
      "dagx.config.ts": CONFIG,
      "ndjson.ts": NDJSON,
      "a.asset.ts": `import { asset } from "dagx";\nexport const raw = asset({ io: "ndjsn" }, () => [{ x: 1 }]);\n`,
    });
    const r = await dagx(dir, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Invalid option of asset "raw" at ');
    expect(r.stderr).toContain('/a.asset.ts:2: io must be "parquet", "json" or "ndjson"');
    expect(r.stderr).toContain('got "ndjsn" — did you mean "ndjson"?');
  });

  test("a config entry that is not an IO manager is a config error naming it", async () => {
    const dir = project({ "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({ ioManagers: { s3: {} as never } });\n` });
    const r = await dagx(dir, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Invalid config at dagx.config.ts:2: IO manager "s3" is invalid: it is not made by defineIOManager');
  });

  test("wipe --data removes an output through its IO manager's remove, wherever it stored it", async () => {
    const dir = project({
      "a.asset.ts": `import { asset, defineIOManager } from "dagx";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const own = join(import.meta.dir, "outside");
const outside = defineIOManager({
  name: "outside",
  handleOutput(ctx, value) {
    mkdirSync(own, { recursive: true });
    const text = JSON.stringify(value);
    writeFileSync(join(own, \`\${ctx.assetKey}.json\`), text);
    return { location: \`\${ctx.assetKey}.json\`, rows: null, bytes: text.length, dataVersion: String(Bun.hash(text)), schema: null };
  },
  loadInput: () => null,
  remove: (_ctx, location) => rmSync(join(own, location)),
});
export const kept = asset({ io: outside }, () => ({ a: 1 }));
`,
    });
    ok(await dagx(dir, ["materialize"]));
    expect(existsSync(join(dir, "outside/kept.json"))).toBe(true);
    ok(await dagx(dir, ["wipe", "kept", "--data"]));
    expect(existsSync(join(dir, "outside/kept.json"))).toBe(false);
  });

  test("an IO manager that throws fails the step as user code, with its file:line", async () => {
    const dir = project({
      "ndjson.ts": NDJSON,
      "dagx.config.ts": `import { defineConfig } from "dagx";\nimport { failing } from "./ndjson.ts";\nexport default defineConfig({ ioManagers: { failing } });\n`,
      "a.asset.ts": `import { asset } from "dagx";\nexport const raw = asset({ io: "failing" }, () => [{ x: 1 }]);\n`,
    });
    const r = await dagx(dir, ["materialize", "--json"]);
    expect(r.code).toBe(1);
    const step = r.json<{ steps: StepJson[] }>().steps[0]!;
    expect(step.error).toBe('IO manager "failing" (handleOutput of "raw") threw: bucket is gone (at ndjson.ts:18:15)');
  });
});
