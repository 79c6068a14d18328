// core/dbt/split.ts without dbt: which nodes share a `dbt build` step.
import { expect, test } from "bun:test";
import { type SplitNode, splitDbtNodes } from "../../../core/dbt/split.ts";

const node = (key: string, deps: string[] = [], signature = "", selected = true): SplitNode => ({ key, deps, signature, selected });
const none = () => undefined;

test("a project with no dagx asset between its nodes is one step", () => {
  const groups = splitDbtNodes([node("a", ["orders"]), node("b", ["a"]), node("c")], (k) => (k === "orders" ? [] : undefined), "p");
  expect(groups).toEqual([{ keys: ["a", "b", "c"], signature: "", deps: ["orders"] }]);
});

test("a dagx asset between two nodes splits them; the later step depends on it and on the earlier nodes", () => {
  const ups = (k: string) => (k === "x" ? ["a"] : undefined);
  const groups = splitDbtNodes([node("a"), node("b", ["x", "a"]), node("c", ["a"])], ups, "p");
  expect(groups).toEqual([
    { keys: ["a", "c"], signature: "", deps: [] },
    { keys: ["b"], signature: "", deps: ["x", "a"] },
  ]);
});

test("partitioned nodes get steps of their own, and an unpartitioned node below them a later one", () => {
  const groups = splitDbtNodes([node("seed"), node("p", ["seed"], "daily"), node("q", ["p"], "daily"), node("r", ["q"]), node("s")], none, "p");
  expect(groups.map((g) => g.keys)).toEqual([["seed", "s"], ["p", "q"], ["r"]]);
});

test("unselected nodes are not built, but order still follows them", () => {
  const ups = (k: string) => (k === "x" ? ["u"] : undefined);
  const groups = splitDbtNodes([node("a"), node("u", ["a"], "", false), node("b", ["x"])], ups, "p");
  expect(groups).toEqual([
    { keys: ["a"], signature: "", deps: [] },
    { keys: ["b"], signature: "", deps: ["x"] },
  ]);
});

test("a cycle through a dagx asset names its path", () => {
  const ups = (k: string) => (k === "x" ? ["b"] : undefined);
  expect(() => splitDbtNodes([node("a", ["x"]), node("b", ["a"])], ups, '"dbt"')).toThrow('Cycle through the dbt project "dbt": a → b → x → a');
});
