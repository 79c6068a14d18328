/**
 * web/graph/model.ts and web/graph/layout.ts (pure, no DOM): which groups open, the edges between
 * groups, and a layout whose nodes never overlap and sit inside their group's box; 10,000 assets
 * closed by group lay out at once.
 */
import { describe, expect, test } from "bun:test";
import type { ApiAsset } from "../../core/ui-api.ts";
import { computeLayout, NODE_H, NODE_W } from "../../web/graph/layout.ts";
import { buildGraphModel, defaultOpenGroups, MAX_OPEN_GROUP, OPEN_ALL_UP_TO } from "../../web/graph/model.ts";

function asset(key: string, group: string | null, deps: string[] = []): ApiAsset {
  return {
    key, group, deps, downstream: [], description: null, owners: [], tags: {}, kinds: [], codeVersion: "v", location: "/x.asset.ts:1", step: null,
    partitionsDefinition: null, status: "missing", causes: [], runningRuns: [], freshness: null, checks: null, lastMaterialization: null, lastFailure: null, partitions: null,
  };
}

/** `groups` groups of `per` assets: a tree inside each, the first of group g reads the last of group g−1. */
function project(groups: number, per: number): ApiAsset[] {
  const out: ApiAsset[] = [];
  for (let g = 0; g < groups; g++)
    for (let i = 0; i < per; i++) out.push(asset(`g${g}_${i}`, `group_${g}`, [...(i > 0 ? [`g${g}_${Math.floor((i - 1) / 2)}`] : []), ...(g > 0 && i === 0 ? [`g${g - 1}_${per - 1}`] : [])]));
  return out;
}

const overlap = (a: { x: number; y: number; w: number; h: number }, b: { x: number; y: number; w: number; h: number }) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe("defaultOpenGroups", () => {
  test(`opens every group up to ${OPEN_ALL_UP_TO} assets, none above`, () => {
    expect(defaultOpenGroups(project(3, 100), null)).toEqual(new Set(["group_0", "group_1", "group_2"]));
    expect(defaultOpenGroups(project(4, 100), null)).toEqual(new Set());
  });
  test("a large project with one group keeps it open; a small selection of a large project opens its groups", () => {
    expect(defaultOpenGroups(project(1, 400), null)).toEqual(new Set(["group_0"]));
    expect(defaultOpenGroups(project(10, 100), new Set(["g3_1", "g4_2"]))).toEqual(new Set(["group_3", "group_4"]));
  });
});

describe("buildGraphModel", () => {
  test("edges into a closed group end at the group, once", () => {
    const assets = [asset("a", "x"), asset("b", "x", ["a"]), asset("c", "y", ["a", "b"]), asset("d", "y", ["a"])];
    const m = buildGraphModel(assets, null, new Set(["x"]));
    expect(m.innerEdges).toEqual([["a", "b"]]);
    expect(m.crossEdges).toEqual([
      [{ kind: "node", id: "a" }, { kind: "group", id: "y" }],
      [{ kind: "node", id: "b" }, { kind: "group", id: "y" }],
    ]);
    expect(m.request.groups.find((g) => g.id === "y")!.members).toEqual([]);
    expect(m.request.groupEdges).toEqual([["x", "y"]]);
  });
  test("a selection keeps its assets and the edges between them; ungrouped assets are in 'default'", () => {
    const assets = [asset("a", null), asset("b", null, ["a"]), asset("c", null, ["b"])];
    const m = buildGraphModel(assets, new Set(["a", "c"]), new Set(["default"]));
    expect([...m.groups.keys()]).toEqual(["default"]);
    expect(m.shown).toBe(2);
    expect(m.innerEdges).toEqual([]);
    expect(m.request.boxed).toBe(false);
  });
  test(`a group of more than ${MAX_OPEN_GROUP} assets stays closed even when asked open`, () => {
    const m = buildGraphModel(project(1, MAX_OPEN_GROUP + 1), null, new Set(["group_0"]));
    expect(m.tooLarge).toEqual(new Set(["group_0"]));
    expect(m.open.size).toBe(0);
    expect(m.request.boxed).toBe(true);
  });
  test("the signature changes with the shape, not with statuses", () => {
    const a = project(2, 5);
    const b = a.map((x) => ({ ...x, status: "fresh" as const }));
    const open = new Set(["group_0", "group_1"]);
    expect(buildGraphModel(a, null, open).signature).toBe(buildGraphModel(b, null, open).signature);
    expect(buildGraphModel(a, null, open).signature).not.toBe(buildGraphModel(a, null, new Set(["group_0"])).signature);
  });
});

describe("computeLayout", () => {
  test("nodes never overlap, sit inside their open group, and run left to right along edges", () => {
    const assets = project(3, 30);
    const m = buildGraphModel(assets, null, new Set(["group_0", "group_1", "group_2"]));
    const l = computeLayout(m.request);
    const rects = Object.entries(l.nodes).map(([k, p]) => ({ k, x: p.x, y: p.y, w: NODE_W, h: NODE_H }));
    expect(rects.length).toBe(90);
    for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) expect(overlap(rects[i]!, rects[j]!)).toBe(false);
    for (const r of rects) {
      const g = l.groups[`group_${r.k.split("_")[0]!.slice(1)}`]!;
      expect(r.x >= g.x && r.y >= g.y && r.x + r.w <= g.x + g.w + 0.5 && r.y + r.h <= g.y + g.h + 0.5).toBe(true);
    }
    const groups = Object.values(l.groups);
    for (let i = 0; i < groups.length; i++) for (let j = i + 1; j < groups.length; j++) expect(overlap(groups[i]!, groups[j]!)).toBe(false);
    for (const [a, b] of m.innerEdges) expect(l.nodes[a]!.x).toBeLessThan(l.nodes[b]!.x);
    expect(l.groups.group_0!.x).toBeLessThan(l.groups.group_1!.x);
  });
  test("10,000 assets closed by group lay out in well under a second", () => {
    const assets = project(100, 100);
    const m = buildGraphModel(assets, null, defaultOpenGroups(assets, null));
    const t = performance.now();
    const l = computeLayout(m.request);
    expect(performance.now() - t).toBeLessThan(1000);
    expect(Object.keys(l.groups).length).toBe(100);
    expect(Object.keys(l.nodes).length).toBe(0);
  });
});
