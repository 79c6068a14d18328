import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import {
  applyConfigArgs,
  applyConfigFile,
  configHashOf,
  isConfigSchema,
  parseConfigValue,
  plainConfigHash,
  resolvedConfigForRecord,
  type RunConfigInput,
  splitConfigPath,
  type StandardSchemaV1,
  validateRunConfig,
} from "../../core/run-config.ts";
import { normalizeSensorResult } from "../../core/automation/index.ts";
import { earlyCutoff } from "../../core/materialization.ts";
import { assetStatus, configChanged } from "../../core/status/asset-status.ts";
import type { MaterializationRecord } from "../../core/types.ts";

const KEYS = ["orders", "raw/orders", "a.b", "a", "settings"];
const schema = v.object({ limit: v.optional(v.number(), 100), region: v.optional(v.picklist(["eu", "us"]), "eu"), nested: v.optional(v.object({ depth: v.optional(v.number(), 1) }), {}) });
const target = (key: string, s: StandardSchemaV1<unknown, unknown> | null = schema) => ({ key, schema: s });
const identityHash = (t: string) => t;

describe("parseConfigValue()", () => {
  test("JSON when it parses, else the text", () => {
    expect([parseConfigValue("5"), parseConfigValue("true"), parseConfigValue("null"), parseConfigValue('"5"'), parseConfigValue("[1,2]"), parseConfigValue('{"a":1}')]).toEqual([5, true, null, "5", [1, 2], { a: 1 }]);
    expect([parseConfigValue("eu"), parseConfigValue("007"), parseConfigValue(""), parseConfigValue("a=b"), parseConfigValue("{oops")]).toEqual(["eu", "007", "", "a=b", "{oops"]);
  });
});

describe("splitConfigPath()", () => {
  test("takes the longest asset key the path starts with (keys may hold dots and slashes)", () => {
    expect(splitConfigPath("orders.limit", KEYS)).toEqual({ key: "orders", fields: ["limit"] });
    expect(splitConfigPath("raw/orders.nested.depth", KEYS)).toEqual({ key: "raw/orders", fields: ["nested", "depth"] });
    expect(splitConfigPath("a.b.c", KEYS)).toEqual({ key: "a.b", fields: ["c"] });
    expect(splitConfigPath("a.c", KEYS)).toEqual({ key: "a", fields: ["c"] });
    expect(splitConfigPath("settings", KEYS)).toEqual({ key: "settings", fields: [] });
    expect(splitConfigPath("ordersx.limit", KEYS)).toBeNull();
  });
});

describe("applyConfigArgs()", () => {
  test("builds nested objects, a later argument wins, the file's values stay under them", () => {
    const into: RunConfigInput = {};
    expect(applyConfigFile({ orders: { limit: 1, region: "us" } }, "run.json", into)).toEqual([]);
    expect(applyConfigArgs(["orders.limit=5", "orders.nested.depth=3", "orders.limit=7", "settings={\"x\":1}"], KEYS, into)).toEqual([]);
    expect(into).toEqual({ orders: { limit: 7, region: "us", nested: { depth: 3 } }, settings: { x: 1 } });
  });

  test("reports every bad argument: no =, an unknown asset with did-you-mean, an empty field, a path through a value", () => {
    const into: RunConfigInput = {};
    const problems = applyConfigArgs(["orders", "ordres.limit=1", "orders..x=1", "orders.limit=1", "orders.limit.deep=2"], KEYS, into);
    expect(problems.map((p) => p.message)).toEqual([
      'Invalid --config "orders": expected ASSET.FIELD=VALUE, e.g. --config orders.limit=10',
      'Invalid --config "ordres.limit=1": no asset "ordres" — did you mean "orders"?',
      'Invalid --config "orders..x=1": empty field name',
      'Invalid --config "orders.limit.deep=2": "orders.limit" is already given a value that is not an object',
    ]);
  });

  test("a --config-file that is not an object of config by asset is refused", () => {
    expect(applyConfigFile([1], "run.json", {})[0]!.message).toContain('Invalid --config-file "run.json": expected a JSON object');
  });
});

describe("validateRunConfig()", () => {
  test("applies the schema's defaults when nothing is given, and validates given values", async () => {
    const r = await validateRunConfig({ orders: { limit: 5 } }, [target("orders"), target("raw/orders"), target("settings", null)], new Set(KEYS));
    expect(r).toEqual({
      ok: true,
      values: new Map<string, unknown>([
        ["orders", { limit: 5, region: "eu", nested: { depth: 1 } }],
        ["raw/orders", { limit: 100, region: "eu", nested: { depth: 1 } }],
      ]),
    });
  });

  test("reports every problem at once: the schema's messages with field paths, unknown fields, assets not in the run or without a schema", async () => {
    const given = { orders: { limit: "x", regoin: "us", nested: { dpth: 2 } }, "raw/orders": { region: "mars" }, settings: { a: 1 }, "a.b": { b: 1 }, ordrs: {} };
    const r = await validateRunConfig(given, [target("orders"), target("raw/orders"), target("settings", null)], new Set(KEYS));
    if (r.ok) throw new Error("expected problems");
    expect(r.problems.map((p) => [p.asset, p.path, p.message])).toEqual([
      ["a.b", "", 'Config for asset "a.b", which this run does not materialize: add it to the selection or drop its config'],
      ["orders", "limit", 'Invalid type: Expected number but received "x"'],
      ["orders", "nested.dpth", 'unknown field — did you mean "depth"?'],
      ["orders", "regoin", 'unknown field — did you mean "region"?'],
      ["ordrs", "", 'Config for unknown asset "ordrs" — did you mean "orders"?'],
      ["raw/orders", "region", 'Invalid type: Expected ("eu" | "us") but received "mars"'],
      ["settings", "", 'Config for asset "settings", which declares no config schema: add `config` to its asset() options or drop its config'],
    ]);
  });

  test("a required field without default is reported when the run gives none", async () => {
    const r = await validateRunConfig({}, [target("orders", v.object({ date: v.string() }))], new Set(KEYS));
    expect(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(['date: Invalid key: Expected "date" but received undefined']);
  });

  test("a schema that keeps extra keys (looseObject) allows them; an async Standard Schema and one that throws work", async () => {
    const loose = v.looseObject({ a: v.optional(v.number(), 1) });
    const asyncSchema: StandardSchemaV1<unknown, { n: number }> = { "~standard": { version: 1, vendor: "t", validate: async () => ({ value: { n: 1 } }) } };
    const throwing: StandardSchemaV1 = { "~standard": { version: 1, vendor: "t", validate: () => { throw new Error("boom"); } } };
    const ok = await validateRunConfig({ orders: { extra: true } }, [target("orders", loose), target("a", asyncSchema)], new Set(KEYS));
    expect(ok).toEqual({ ok: true, values: new Map<string, unknown>([["orders", { a: 1, extra: true }], ["a", { n: 1 }]]) });
    const bad = await validateRunConfig({}, [target("orders", throwing)], new Set(KEYS));
    expect(bad.ok ? null : bad.problems[0]!.message).toBe("the config schema threw: boom");
  });

  test("isConfigSchema() accepts Standard Schemas only", () => {
    expect([isConfigSchema(schema), isConfigSchema({ limit: 1 }), isConfigSchema(null), isConfigSchema({ "~standard": { version: 2, validate: () => {} } })]).toEqual([true, false, false, false]);
  });
});

describe("resolvedConfigForRecord() and the config hash", () => {
  test("is plain JSON with sorted keys: the hash does not depend on key order", () => {
    const a = resolvedConfigForRecord({ b: 1, a: { d: new Date(0), c: [1, undefined] }, skip: undefined, big: 10n });
    expect(JSON.stringify(a)).toBe('{"a":{"c":[1,null],"d":"1970-01-01T00:00:00.000Z"},"b":1,"big":"10"}');
    expect(configHashOf(resolvedConfigForRecord({ x: 1, y: 2 }), identityHash)).toBe(configHashOf(resolvedConfigForRecord({ y: 2, x: 1 }), identityHash));
    expect(configHashOf(resolvedConfigForRecord({ x: 1 }), identityHash)).not.toBe(configHashOf(resolvedConfigForRecord({ x: 2 }), identityHash));
  });

  test("passes every string through the redaction hook before anything is recorded or hashed", () => {
    const redact = (t: string) => t.replaceAll("s3cr3t", "[redacted]");
    expect(resolvedConfigForRecord({ url: "https://u:s3cr3t@host", list: ["s3cr3t"] }, redact)).toEqual({ list: ["[redacted]"], url: "https://u:[redacted]@host" });
  });

  test("plainConfigHash() is the hash of the schema's defaults, null without a schema or without a plain run", async () => {
    const defaults = resolvedConfigForRecord({ limit: 100, region: "eu", nested: { depth: 1 } });
    expect(await plainConfigHash(schema, identityHash)).toBe(configHashOf(defaults, identityHash));
    expect(await plainConfigHash(null, identityHash)).toBeNull();
    expect(await plainConfigHash(v.object({ date: v.string() }), identityHash)).toBeNull();
  });
});

describe("assetStatus(): config changed", () => {
  const rec = (configHash?: string): MaterializationRecord => ({
    assetKey: "orders", partitionKey: "", runId: "r", at: 1, dataVersion: "d", codeVersion: "c1", inputVersions: {}, path: "", format: "json", rows: null, bytes: null, schema: null, metadata: null, ...(configHash ? { configHash } : {}),
  });
  const status = (m: MaterializationRecord, plain: string | null) =>
    assetStatus("orders", { graph: { order: ["orders"], upstream: new Map(), codeVersion: () => "c1", configHash: () => plain, mapping: () => { throw new Error("unused"); } }, latest: new Map([["orders", m]]), failures: new Map(), drifted: new Set() }, () => ({ version: null, status: undefined }));

  test("stale when the recorded hash differs from a plain run's, fresh when equal", () => {
    expect(status(rec("aaaaaaaaaaaa"), "bbbbbbbbbbbb")).toMatchObject({ status: "stale", causes: ["config changed (aaaaaaaa → bbbbbbbb)"] });
    expect(status(rec("aaaaaaaaaaaa"), "aaaaaaaaaaaa").status).toBe("fresh");
  });

  test("either side unknown compares as unchanged (no schema, a row from before schema 8, no plain run)", () => {
    expect(status(rec(), "bbbb").status).toBe("fresh");
    expect(status(rec("aaaa"), null).status).toBe("fresh");
    expect([configChanged(undefined, "x"), configChanged("x", undefined), configChanged(null, null), configChanged("x", "y")]).toEqual([false, false, false, true]);
  });
});

describe("earlyCutoff() with config", () => {
  const m: MaterializationRecord = { assetKey: "a", partitionKey: "", runId: "r", at: 1, dataVersion: "d", codeVersion: "c1", inputVersions: {}, path: "", format: "json", rows: null, bytes: null, schema: null, metadata: null, configHash: "h1" };
  const latest = new Map([["a", m]]);
  test("runs the step when the run's config hash differs from the one recorded; skips it when equal or the asset has no config", () => {
    expect(earlyCutoff({ codeVersion: "c1", deps: [] }, latest, "a", "h2")).toBeNull();
    expect(earlyCutoff({ codeVersion: "c1", deps: [] }, latest, "a", "h1")).toStartWith("fresh");
    expect(earlyCutoff({ codeVersion: "c1", deps: [] }, latest, "a")).toStartWith("fresh");
  });
});

describe("normalizeSensorResult(): a run request's config", () => {
  const s = { name: "files", select: ["orders"] };
  test("keeps an object of config by asset key, refuses any other value", () => {
    const ok = normalizeSensorResult({ runRequests: [{ config: { orders: { limit: 1 } } }, {}] }, s);
    expect(ok.ok ? ok.requests.map((r) => r.config ?? null) : ok.error).toEqual([{ orders: { limit: 1 } }, null]);
    const bad = normalizeSensorResult({ runRequests: [{ config: "limit=1" }] }, s);
    expect(bad.ok ? "ok" : bad.error).toContain('runRequests[0].config must be an object of config by asset key, like { orders: { limit: 10 } } (got "limit=1")');
  });
});
