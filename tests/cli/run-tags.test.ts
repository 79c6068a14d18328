// Run tags through the real CLI: `materialize --tag k=v` (repeatable), shown by `runs` (table and
// JSON) and `logs`, filtered by `runs --tag`; bad tags are usage errors (exit 2) naming the value.
import { afterAll, describe, expect, test } from "bun:test";
import { runDagx, makeProject, ok, removeProject } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

interface RunJson {
  runId: string;
  status: string;
  tags: Record<string, string>;
}

describe("run tags", () => {
  const dir = makeProject({ "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => [{ x: 1 }]);\n` }, "dagx-tags-[x]=*-");
  dirs.push(dir);

  test("materialize --tag (repeatable) records the tags; runs shows them and --tag filters (every tag must match); logs shows them", async () => {
    const first = ok(await runDagx(dir, ["materialize", "a", "--tag", "team=data", "--tag=ticket=OPS-1", "--json"])).json<{ runId: string }>();
    const second = ok(await runDagx(dir, ["materialize", "a", "--tag", "team=web", "--json"])).json<{ runId: string }>();
    const plain = ok(await runDagx(dir, ["materialize", "a", "--json"])).json<{ runId: string }>();
    const all = ok(await runDagx(dir, ["runs", "--json"])).json<RunJson[]>();
    expect(all.map((r) => [r.runId, r.tags])).toEqual([
      [plain.runId, {}],
      [second.runId, { team: "web" }],
      [first.runId, { team: "data", ticket: "OPS-1" }],
    ]);
    expect(ok(await runDagx(dir, ["runs", "--tag", "team=data", "--json"])).json<RunJson[]>().map((r) => r.runId)).toEqual([first.runId]);
    expect(ok(await runDagx(dir, ["runs", "--tag", "team=data", "--tag", "ticket=OPS-1", "--json"])).json<RunJson[]>().map((r) => r.runId)).toEqual([first.runId]);
    expect(ok(await runDagx(dir, ["runs", "--tag", "team=data", "--tag", "ticket=OPS-2", "--json"])).json<RunJson[]>()).toEqual([]);
    const table = ok(await runDagx(dir, ["runs", "--tag", "team=web"]));
    const text = table.stdout + table.stderr;
    expect(text).toContain(second.runId);
    expect(text).not.toContain(first.runId);
    expect(text).toMatch(/TAGS/);
    expect(text).toContain("team=web");
    const none = ok(await runDagx(dir, ["runs", "--tag", "team=nobody"]));
    expect(none.stdout + none.stderr).toContain("No runs with tags team=nobody");
    const logs = ok(await runDagx(dir, ["logs", first.runId]));
    expect(logs.stdout + logs.stderr).toContain("tags team=data, ticket=OPS-1");
    expect(ok(await runDagx(dir, ["logs", first.runId, "--json"])).json<{ run: RunJson }>().run.tags).toEqual({ team: "data", ticket: "OPS-1" });
  });

  test("a malformed tag, or a reserved one on a run, is a usage error (exit 2) naming it, before anything runs", async () => {
    const before = ok(await runDagx(dir, ["runs", "--json"])).json<RunJson[]>().length;
    for (const [arg, message] of [
      ["team", 'Invalid --tag "team": expected KEY=VALUE, e.g. --tag team=data'],
      ["bad key=x", 'Invalid --tag "bad key=x": the key may hold only letters, digits and _ - . / (starting with a letter, digit or _)'],
      ["dagx/schedule=x", 'Invalid --tag "dagx/schedule=x": keys starting with "dagx/" are reserved for dagx\'s own tags: choose another key'],
    ] as const) {
      const r = await runDagx(dir, ["materialize", "a", "--tag", arg]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      // a filter may name dagx's own tags (dagx/schedule=nightly): only the syntax is refused
      const q = await runDagx(dir, ["runs", "--tag", arg]);
      expect(q.code).toBe(arg.startsWith("dagx/") ? 0 : 2);
    }
    expect(ok(await runDagx(dir, ["runs", "--json"])).json<RunJson[]>().length).toBe(before);
  });
});
