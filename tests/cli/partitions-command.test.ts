/** `dagx partitions add|remove|list`: the real CLI on a temp project with dynamic partitions. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dagx, makeProject, removeProject } from "./helpers.ts";

let dir = "";

beforeAll(() => {
  dir = makeProject({
    "customers.asset.ts": [
      'import { asset, daily, dynamicPartitions, multiPartitions } from "dagx";',
      'export const per_customer = asset({ partitions: dynamicPartitions("customers") }, (ctx) => [{ k: ctx.partition?.key }]);',
      "export const by_region = asset(",
      '  { partitions: multiPartitions({ date: daily({ start: "2024-01-01" }), region: dynamicPartitions("regions") }) },',
      "  (ctx) => [{ k: ctx.partition?.key }],",
      ");",
      "",
    ].join("\n"),
  });
});
afterAll(() => removeProject(dir));

describe("dagx partitions", () => {
  test("add, list and remove keys, with --json", async () => {
    expect((await dagx(dir, ["partitions", "list", "customers", "--json"])).json()).toEqual([]);
    const added = await dagx(dir, ["partitions", "add", "customers", "acme", "globex", "acme", "--json"]);
    expect(added.code).toBe(0);
    expect(added.json()).toEqual({ name: "customers", added: 2, keys: ["acme", "globex"] });
    const again = await dagx(dir, ["partitions", "add", "customers", "initech", "acme"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Added 1 key(s) to dynamic partitions "customers" (1 already present)');
    expect((await dagx(dir, ["partitions", "list", "customers", "--json"])).json()).toEqual(["acme", "globex", "initech"]);
    const removed = await dagx(dir, ["partitions", "remove", "customers", "globex", "nope", "--json"]);
    expect(removed.json()).toEqual({ name: "customers", removed: 1, keys: ["globex", "nope"] });
    const listed = await dagx(dir, ["partitions", "list", "customers"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split("\n")).toEqual(["acme", "initech"]);
  });

  test("a name used as a dimension of a multi-partition is known", async () => {
    const r = await dagx(dir, ["partitions", "add", "regions", "eu", "--json"]);
    expect(r.code).toBe(0);
    expect((await dagx(dir, ["partitions", "list", "regions", "--json"])).json()).toEqual(["eu"]);
  });

  test("a bad key exits 2 naming the key and why, and adds nothing", async () => {
    for (const [key, why] of [["a/b", "/"], ["eu|us", "|"], ["..", ".."]] as const) {
      const r = await dagx(dir, ["partitions", "add", "regions", "ok", key]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Invalid partition key ${JSON.stringify(key)}`);
      expect(r.stderr).toContain(why);
      expect(r.stderr).not.toContain("    at ");
    }
    expect((await dagx(dir, ["partitions", "list", "regions", "--json"])).json()).not.toContain("ok");
  });

  test("an unknown name exits 2 with did-you-mean; so do a bad action and missing words", async () => {
    const r = await dagx(dir, ["partitions", "add", "custmers", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown dynamic partitions "custmers" — did you mean "customers"?');
    const action = await dagx(dir, ["partitions", "lst", "customers"]);
    expect(action.code).toBe(2);
    expect(action.stderr).toContain('did you mean "list"?');
    for (const args of [["partitions"], ["partitions", "add"], ["partitions", "add", "customers"], ["partitions", "list", "customers", "extra"]]) {
      const usage = await dagx(dir, args);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain("dagx partitions");
    }
  });

  test("--help describes the command with an example", async () => {
    const r = await dagx(dir, ["partitions", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toContain("dagx partitions add customers acme");
  });
});
