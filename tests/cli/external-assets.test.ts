import { afterAll, describe, expect, test } from "bun:test";
import { makeProject, removeProject, runDagx, writeFile } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const FILES = {
  ".dagx/.keep": "",
  "feed.csv": "id,amount\n1,2\n2,3\n",
  "a.asset.ts": `import { asset, externalAsset } from "dagx";
import { readFileSync } from "node:fs";
export const feed = externalAsset({
  key: "vendor/feed", group: "vendor", owners: ["team:vendor"], kinds: ["csv"], description: "Dropped by the vendor",
  observe: (ctx) => ({ dataVersion: String(Bun.hash(readFileSync(ctx.path("feed.csv")))), metadata: { file: "feed.csv" } }),
});
export const silent = externalAsset({ key: "vendor/silent" });
export const broken = externalAsset({ key: "vendor/broken", observe: () => { throw new Error("vendor API down"); } });
export const clean = asset({ deps: [feed] }, (ctx) => ctx.sql\`select * from read_csv(\${ctx.path("feed.csv")})\`);
export const report = asset({ ins: { clean } }, (ctx, { clean }) => ctx.sql\`select count(*) as n from \${clean}\`);
`,
};

type Status = { key: string; status: string; causes?: string[] };
const statusOf = async (d: string) => Object.fromEntries((await runDagx(d, ["status", "--json"])).json<Status[]>().map((s) => [s.key, s.status]));

describe("external assets", () => {
  test("an external asset in ins is a definition error naming deps (exit 2)", async () => {
    const d = makeProject({ ".dagx/.keep": "", "a.asset.ts": `import { asset, externalAsset } from "dagx";
export const feed = externalAsset({ key: "vendor/feed" });
export const clean = asset({ ins: { feed } }, () => [{ a: 1 }]);
` });
    dirs.push(d);
    const r = await runDagx(d, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is the external asset "vendor/feed", which dagx does not store: list it in deps');
  });

  test("are listed, traced and shown in status, never materialized", async () => {
    const d = makeProject(FILES);
    dirs.push(d);
    const list = (await runDagx(d, ["list", "--json"])).json<{ key: string; external?: boolean; group: string; kinds: string[] }[]>();
    expect(list.find((a) => a.key === "vendor/feed")).toMatchObject({ external: true, group: "vendor", kinds: ["csv"] });
    expect(list.find((a) => a.key === "clean")!.external).toBeUndefined();
    expect((await runDagx(d, ["lineage", "report"])).stdout).toContain("vendor/feed");
    expect((await runDagx(d, ["list", "kind:csv", "--json"])).json<{ key: string }[]>().map((a) => a.key)).toEqual(["vendor/feed"]);

    const alone = await runDagx(d, ["materialize", "vendor/feed"]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("vendor/feed is external: dagx does not materialize it — `dagx observe vendor/feed` records its current version");

    // never observed: the downstream still runs (no "missing upstream"), and the plan leaves the external asset out
    const plan = await runDagx(d, ["materialize", "vendor/feed+", "--dry-run", "--json"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).not.toContain('"vendor/feed"');
    expect((await runDagx(d, ["materialize", "+report"])).code).toBe(0);
    const st = await statusOf(d);
    expect(st).toMatchObject({ "vendor/feed": "missing", clean: "fresh", report: "fresh" });
    expect((await runDagx(d, ["materialize", "--stale", "--json"])).code).toBe(0);
    expect(await statusOf(d)).toMatchObject({ clean: "fresh", report: "fresh" });
  });

  test("observe records the version; downstream goes stale when it changes, stays fresh when not", async () => {
    const d = makeProject(FILES);
    dirs.push(d);
    const first = await runDagx(d, ["observe", "vendor/feed", "--json"]);
    expect(first.code).toBe(0);
    const o = first.json<{ runId: string; observed: { key: string; dataVersion: string; changed: boolean; previous: string | null }[] }>();
    expect(o.observed).toHaveLength(1);
    expect(o.observed[0]).toMatchObject({ key: "vendor/feed", previous: null, changed: true });
    expect((await statusOf(d))["vendor/feed"]).toBe("fresh");
    const feed = (await runDagx(d, ["status", "vendor/feed", "--json"])).json<{ external?: boolean; lastMaterialization: { observation?: boolean; metadata: unknown; dataVersion: string } }[]>()[0]!;
    expect(feed).toMatchObject({ external: true, lastMaterialization: { observation: true, metadata: { file: "feed.csv" }, dataVersion: o.observed[0]!.dataVersion } });
    const human = await runDagx(d, ["status"]);
    expect(human.stdout).toContain("vendor/feed");

    expect((await runDagx(d, ["materialize", "vendor/feed+"])).code).toBe(0);
    expect(await statusOf(d)).toMatchObject({ clean: "fresh", report: "fresh" });

    // same content: the same version, nothing stale
    const again = (await runDagx(d, ["observe", "vendor/feed", "--json"])).json<typeof o>();
    expect(again.observed[0]).toMatchObject({ dataVersion: o.observed[0]!.dataVersion, changed: false });
    expect(await statusOf(d)).toMatchObject({ clean: "fresh", report: "fresh" });

    // the vendor drops a new file: observed as changed, downstream stale until rematerialized
    writeFile(d, "feed.csv", "id,amount\n1,2\n2,3\n3,9\n");
    const changed = (await runDagx(d, ["observe", "vendor/feed", "--json"])).json<typeof o>();
    expect(changed.observed[0]!.changed).toBe(true);
    const stale = (await runDagx(d, ["status", "--json"])).json<Status[]>();
    expect(stale.find((s) => s.key === "clean")).toMatchObject({ status: "stale" });
    expect(stale.find((s) => s.key === "report")!.status).toBe("stale");
    const run = await runDagx(d, ["materialize", "--stale", "--json"]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('"key": "vendor/feed"');
    expect(await statusOf(d)).toMatchObject({ "vendor/feed": "fresh", clean: "fresh", report: "fresh" });
    const rows = await runDagx(d, ["query", "select n from report", "--json"]);
    expect(rows.stdout).toContain("3");
  });

  test("observe refuses what it cannot observe (exit 2)", async () => {
    const d = makeProject(FILES);
    dirs.push(d);
    const notExternal = await runDagx(d, ["observe", "clean"]);
    expect(notExternal.code).toBe(2);
    expect(notExternal.stderr).toContain("only external assets are observed");
    const noObserver = await runDagx(d, ["observe", "vendor/silent"]);
    expect(noObserver.code).toBe(2);
    expect(noObserver.stderr).toContain("no `observe` function");
    const broken = await runDagx(d, ["observe", "vendor/broken"]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('Observer of "vendor/broken" threw: vendor API down');
    expect(broken.stderr).toMatch(/a\.asset\.ts:\d+/);
    expect((await statusOf(d))["vendor/broken"]).toBe("missing");
  });
});
