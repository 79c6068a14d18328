/** `dagx partitions add|remove|list`: the real CLI on a temp project with dynamic partitions. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runDagx, makeProject, removeProject } from "./helpers.ts";

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
    expect((await runDagx(dir, ["partitions", "list", "customers", "--json"])).json()).toEqual([]);
    const added = await runDagx(dir, ["partitions", "add", "customers", "acme", "globex", "acme", "--json"]);
    expect(added.code).toBe(0);
    expect(added.json()).toEqual({ name: "customers", added: 2, keys: ["acme", "globex"] });
    const again = await runDagx(dir, ["partitions", "add", "customers", "initech", "acme"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Added 1 key(s) to dynamic partitions "customers" (1 already present)');
    expect((await runDagx(dir, ["partitions", "list", "customers", "--json"])).json()).toEqual(["acme", "globex", "initech"]);
    const removed = await runDagx(dir, ["partitions", "remove", "customers", "globex", "nope", "--json"]);
    expect(removed.json()).toEqual({ name: "customers", removed: 1, keys: ["globex", "nope"], forgottenMaterializations: 0 });
    const listed = await runDagx(dir, ["partitions", "list", "customers"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split("\n")).toEqual(["acme", "initech"]);
  });

  test("a name used as a dimension of a multi-partition is known", async () => {
    const r = await runDagx(dir, ["partitions", "add", "regions", "eu", "--json"]);
    expect(r.code).toBe(0);
    expect((await runDagx(dir, ["partitions", "list", "regions", "--json"])).json()).toEqual(["eu"]);
  });

  test("a bad key exits 2 naming the key and why, and adds nothing", async () => {
    for (const [key, why] of [["a/b", "/"], ["eu|us", "|"], ["..", ".."]] as const) {
      const r = await runDagx(dir, ["partitions", "add", "regions", "ok", key]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Invalid partition key ${JSON.stringify(key)}`);
      expect(r.stderr).toContain(why);
      expect(r.stderr).not.toContain("    at ");
    }
    expect((await runDagx(dir, ["partitions", "list", "regions", "--json"])).json()).not.toContain("ok");
  });

  test("add refuses (exit 2) a key whose encoded folder name would pass 255 bytes; a key just under the limit materializes", async () => {
    const d = makeProject({
      ".dagx/.keep": "",
      "a.asset.ts": [
        'import { asset, daily, dynamicPartitions, multiPartitions } from "dagx";',
        'export const per_customer = asset({ partitions: dynamicPartitions("customers") }, (ctx) => [{ k: ctx.partition?.key }]);',
        'export const per_account = asset({ partitions: dynamicPartitions("accounts") }, (ctx) => [{ k: ctx.partition?.key }]);',
        'export const by_account = asset({ partitions: multiPartitions({ date: daily({ start: "2024-01-01" }), customer_account: dynamicPartitions("accounts") }) }, () => [{ v: 1 }]);',
        "",
      ].join("\n"),
    }, "dagx parts=[*]-");
    try {
      // "partition=" is 10 bytes: 245 ASCII characters fit, 246 do not; a CJK character takes 9 bytes (%XX%XX%XX)
      const ascii = "a".repeat(245);
      const cjk = "顧".repeat(27);
      for (const key of ["a".repeat(246), "顧".repeat(28)]) {
        const r = await runDagx(d, ["partitions", "add", "customers", "ok", key]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("Invalid partition key");
        expect(r.stderr).toMatch(/would be 2\d\d bytes, over the 255-byte limit/);
        expect(r.stderr).not.toContain("    at ");
      }
      expect((await runDagx(d, ["partitions", "list", "customers", "--json"])).json()).toEqual([]);
      expect((await runDagx(d, ["partitions", "add", "customers", ascii, cjk])).code).toBe(0);
      const run = await runDagx(d, ["materialize", "per_customer", "--partitions", "*", "--json"]);
      expect(run.code).toBe(0);
      const q = await runDagx(d, ["query", "select k from per_customer order by k", "--json"]);
      expect(q.json<{ k: string }[]>().map((r) => r.k)).toEqual([ascii, cjk]);
      // a set used as a multi-partition dimension gets that dimension's folder name ("customer_account=", 17 bytes)
      const r = await runDagx(d, ["partitions", "add", "accounts", "b".repeat(240)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('"customer_account=…" would be 257 bytes');
    } finally {
      removeProject(d);
    }
  });

  test("materialize --stale runs what it can while a dynamic set has no key yet, and says what waits and how to add keys", async () => {
    const d = makeProject({
      ".dagx/.keep": "",
      "a.asset.ts": [
        'import { asset, dynamicPartitions } from "dagx";',
        "export const plain = asset(() => [{ v: 1 }]);",
        'export const per_customer = asset({ partitions: dynamicPartitions("customers") }, (ctx) => [{ k: ctx.partition?.key }]);',
        "export const down = asset({ ins: { per_customer } }, (ctx, { per_customer }) => ctx.sql`select count(*)::INT as n from ${per_customer}`);",
        "export const down2 = asset({ ins: { down } }, (ctx, { down }) => ctx.sql`select n from ${down}`);",
        "",
      ].join("\n"),
    }, "dagx-stale-");
    try {
      type Run = { status: string; steps: { key: string; status: string }[]; waiting: { key: string; reason: string }[] };
      const r = await runDagx(d, ["materialize", "--stale", "--json"]);
      expect(r.code).toBe(0);
      const out = r.json<Run>();
      expect(out.steps.map((s) => [s.key, s.status])).toEqual([["plain", "success"]]);
      expect(out.waiting.map((w) => w.key)).toEqual(["down", "down2"]);
      expect(out.waiting[0]!.reason).toBe('upstream "per_customer" has no partitions yet: dynamic partitions "customers" has no keys; add some with `dagx partitions add customers KEY…`');
      expect(out.waiting[1]!.reason).toBe('upstream "down" waits: upstream "per_customer" has no partitions yet');
      expect(r.stderr).toContain('down: waits — upstream "per_customer" has no partitions yet: dynamic partitions "customers" has no keys; add some with `dagx partitions add customers KEY…`');
      expect(r.stderr).not.toContain("is not selected");
      // asked for by name, it is refused with the same reason (exit 2), not "include it with +down"
      const named = await runDagx(d, ["materialize", "down"]);
      expect(named.code).toBe(2);
      expect(named.stderr).toContain('Cannot materialize "down": upstream "per_customer" has no partitions yet: dynamic partitions "customers" has no keys; add some with `dagx partitions add customers KEY…`');
      expect(named.stderr).not.toContain("+down");
      // once a key exists, --stale brings everything up to date
      expect((await runDagx(d, ["partitions", "add", "customers", "acme"])).code).toBe(0);
      const after = (await runDagx(d, ["materialize", "--stale", "--json"])).json<Run>();
      expect(after.steps.map((s) => [s.key, s.status])).toEqual([["per_customer", "success"], ["down", "success"], ["down2", "success"]]);
      expect(after.waiting).toEqual([]);
    } finally {
      removeProject(d);
    }
  });

  test("an unknown name exits 2 with did-you-mean; so do a bad action and missing words", async () => {
    const r = await runDagx(dir, ["partitions", "add", "custmers", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown dynamic partitions "custmers" — did you mean "customers"?');
    const action = await runDagx(dir, ["partitions", "lst", "customers"]);
    expect(action.code).toBe(2);
    expect(action.stderr).toContain('did you mean "list"?');
    for (const args of [["partitions"], ["partitions", "add"], ["partitions", "add", "customers"], ["partitions", "list", "customers", "extra"]]) {
      const usage = await runDagx(dir, args);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain("dagx partitions");
    }
  });

  test("--help describes the command with an example", async () => {
    const r = await runDagx(dir, ["partitions", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toContain("dagx partitions add customers acme");
  });
});
