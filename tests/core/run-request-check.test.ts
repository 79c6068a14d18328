import { describe, expect, test } from "bun:test";
import { addedKeyProblem, runRequestProblem } from "../../core/automation/index.ts";
import { createPartitionSpace, daily, dynamicPartitions, monthly, multiPartitions, type PartitionSpace } from "../../core/partitions/index.ts";
import { parseTagArgs, tagProblem, userTagProblem } from "../../core/tags.ts";

const at = Date.parse("2024-03-05T12:00:00Z");
const spaces = (keys: string[] = ["acme"]) =>
  new Map<string, PartitionSpace>([
    ["days", createPartitionSpace(daily({ start: "2024-01-01" }), { now: at })],
    ["months", createPartitionSpace(monthly({ start: "2024-01-01" }), { now: at })],
    ["files", createPartitionSpace(dynamicPartitions("files"), { now: at, dynamicKeys: () => keys })],
    ["grid", createPartitionSpace(multiPartitions({ date: daily({ start: "2024-01-01" }), client: dynamicPartitions("files") }), { now: at, dynamicKeys: () => keys })],
  ]);

describe("runRequestProblem()", () => {
  test("accepts an unpartitioned selection without partitions, and partitions that resolve", () => {
    expect(runRequestProblem({ keys: ["plain"], partitions: null }, spaces())).toBeNull();
    expect(runRequestProblem({ keys: ["days", "plain"], partitions: "latest" }, spaces())).toBeNull();
    expect(runRequestProblem({ keys: ["files"], partitions: "acme" }, spaces())).toBeNull();
  });

  test("refuses no assets, a partitioned asset without partitions, partitions without a partitioned asset", () => {
    expect(runRequestProblem({ keys: [], partitions: null }, spaces())).toBe("selects no assets");
    expect(runRequestProblem({ keys: ["plain", "days", "months"], partitions: null }, spaces())).toBe('selects the partitioned asset "days" (daily(start=2024-01-01)) and 1 more but gives no partitions: add partitions: "latest" (the newest partition) or a range like "2024-01-01..2024-01-31"');
    expect(runRequestProblem({ keys: ["plain"], partitions: "latest" }, spaces())).toBe('partitions "latest" is given but no selected asset is partitioned (plain): remove partitions');
  });

  test("checks keys against the spaces at the request's instant; with several definitions a part that fits one of them is enough", () => {
    expect(runRequestProblem({ keys: ["days"], partitions: "2024-03-05" }, spaces())).toBe('partitions "2024-03-05" of "days": "2024-03-05" is after the last partition "2024-03-04" of daily(start=2024-01-01)');
    expect(runRequestProblem({ keys: ["days", "months"], partitions: "2024-02..2024-02" }, spaces())).toBeNull();
    expect(runRequestProblem({ keys: ["days", "months"], partitions: "2025-01-01" }, spaces())).toMatch(/^partitions "2025-01-01" of "days": /);
    expect(runRequestProblem({ keys: ["files"], partitions: "nope" }, spaces())).toBe('partitions "nope" of "files": unknown partition "nope" of dynamicPartitions(files)');
    expect(runRequestProblem({ keys: ["files"], partitions: "a..b..c" }, spaces())).toMatch(/^partitions "a\.\.b\.\.c": /);
  });

  test("checks the user's tags", () => {
    expect(runRequestProblem({ keys: ["plain"], partitions: null, tags: { team: "data" } }, spaces())).toBeNull();
    expect(runRequestProblem({ keys: ["plain"], partitions: null, tags: { "dagx/tick": "x" } }, spaces())).toMatch(/^tag "dagx\/tick": keys starting with "dagx\/" are reserved/);
  });
});

describe("addedKeyProblem()", () => {
  test("applies the core key rules and the folder limit of every asset using the definition (a multi dimension too)", () => {
    expect(addedKeyProblem("files", "acme", spaces())).toBeNull();
    expect(addedKeyProblem("files", "a/b", spaces())).toBe('it contains "/" or "\\"');
    expect(addedKeyProblem("files", "x".repeat(245), spaces())).toBeNull(); // partition=xxx… is 255 bytes
    expect(addedKeyProblem("files", "x".repeat(246), spaces())).toMatch(/^it is too long: its folder name "partition=…" would be 256 bytes, over the 255-byte limit/);
    expect(addedKeyProblem("files", "ü".repeat(50), spaces())).toMatch(/^it is too long: its folder name "partition=…" would be 310 bytes/);
    const onlyGrid = new Map([...spaces()].filter(([k]) => k === "grid"));
    expect(addedKeyProblem("files", "x".repeat(246), onlyGrid)).toBeNull(); // client=… is shorter than partition=…
    expect(addedKeyProblem("files", "x".repeat(249), onlyGrid)).toMatch(/^it is too long: its folder name "client=…" would be 256 bytes/);
    expect(addedKeyProblem("other", "x".repeat(300), new Map())).toMatch(/would be 310 bytes, over the 255-byte limit/);
  });
});

describe("tags", () => {
  test("tagProblem() / userTagProblem() say what is wrong", () => {
    expect(tagProblem("team", "data")).toBeNull();
    expect(tagProblem("dagx/schedule", "nightly")).toBeNull();
    expect(tagProblem("", "x")).toBe("the key is empty");
    expect(tagProblem("a b", "x")).toMatch(/^the key may hold only/);
    expect(tagProblem("k", "a\nb")).toMatch(/control character/);
    expect(userTagProblem("dagx/schedule", "x")).toMatch(/reserved/);
  });

  test("parseTagArgs() reads KEY=VALUE (a value may hold '='; a later key wins) and names a bad one", () => {
    expect(parseTagArgs(["team=data", "q=a=b", "team=web", "empty="], "--tag")).toEqual({ team: "web", q: "a=b", empty: "" });
    expect(() => parseTagArgs(["team"], "--tag")).toThrow('Invalid --tag "team": expected KEY=VALUE, e.g. --tag team=data');
    expect(() => parseTagArgs(["dagx/x=1"], "--tag")).toThrow(/^Invalid --tag "dagx\/x=1": keys starting with "dagx\/" are reserved/);
  });
});
