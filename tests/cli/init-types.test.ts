import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERSION } from "../../cli/version.ts";
import { dagxDts, typeDeclarationsText } from "../../io/project/type-declarations.ts";
import { scaffoldFiles } from "../../io/project/scaffold.ts";
import { generateDagxDts } from "../../scripts/gen-types.ts";
import { runDagx, REPO } from "./helpers.ts";

const TSC = join(REPO, "node_modules/.bin/tsc");
let tmp = "";
let shop = "";

function tsc(project: string): { code: number; output: string } {
  const r = Bun.spawnSync([TSC, "--noEmit", "-p", join(project, "tsconfig.json")], { cwd: project, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, output: r.stdout.toString() + r.stderr.toString() };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "dagx-init-"));
  shop = join(tmp, "shop");
  const r = await runDagx(tmp, ["init", "shop"]);
  if (r.code !== 0) throw new Error(`dagx init failed (${r.code}):\n${r.stderr}`);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("dagx types declarations", () => {
  test("io/project/dagx.d.ts is up to date with core/public.ts (else run: bun scripts/gen-types.ts)", () => {
    expect(dagxDts()).toBe(generateDagxDts());
  });

  test("the generated module exports exactly core/public.ts's names", async () => {
    const api = await import("../../core/public.ts");
    const exported = /export \{ ([^}]*) \};/.exec(dagxDts())?.[1]?.split(", ") ?? [];
    expect(exported.sort()).toEqual(Object.keys(api).sort());
    expect(dagxDts().startsWith('declare module "dagx" {\n')).toBe(true);
  });
});

describe("dagx init", () => {
  test("dagx init writes the scaffold and the type declarations", () => {
    for (const f of scaffoldFiles("shop")) expect(readFileSync(join(shop, f.path), "utf8")).toBe(f.content);
    const dts = readFileSync(join(shop, ".dagx/types/dagx.d.ts"), "utf8");
    // the module, with Register filled from the scaffold's dagx.config.ts
    expect(dts).toBe(typeDeclarationsText(VERSION, "../../dagx.config"));
    expect(dts).toContain('config: typeof import("../../dagx.config").default;');
    const tsconfig = JSON.parse(readFileSync(join(shop, "tsconfig.json"), "utf8"));
    expect(tsconfig.compilerOptions.paths).toEqual({ dagx: ["./.dagx/types/dagx.d.ts"] });
    expect(readFileSync(join(shop, ".gitignore"), "utf8")).toContain(".dagx/");
  });

  test("dagx init prints what it created and the next steps", async () => {
    const r = await runDagx(tmp, ["init", "other"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Created a dagx project in other");
    expect(r.stdout).toContain("  orders.asset.ts\n");
    expect(r.stderr).toContain("  cd other\n  dagx materialize\n");
  });

  test("the scaffolded project type-checks with tsc and nothing installed", () => {
    const r = tsc(shop);
    expect(r.output).toBe("");
    expect(r.code).toBe(0);
  });

  test("tsc catches misuse of typed inputs and internal names in a scaffolded project", () => {
    const file = join(shop, "broken.asset.ts");
    writeFileSync(
      file,
      [
        'import { asset, compileSql } from "dagx";',
        'import { orders } from "./orders.asset";',
        "export const broken = asset({ ins: { orders } }, async (_ctx, { orders }) => {",
        "  const total: number = await orders.rows();",
        "  return total + (await orders.rows())[0]!.amout;",
        "});",
        'export const wrong = asset({ ins: { nope: "orders" } }, () => 1);',
        "",
      ].join("\n"),
    );
    try {
      const r = tsc(shop);
      expect(r.code).not.toBe(0);
      expect(r.output).toContain("broken.asset.ts(1,17): error TS2459: Module '\"dagx\"' declares 'compileSql' locally, but it is not exported.");
      expect(r.output).toContain("broken.asset.ts(4,9): error TS2322: Type 'Order[]' is not assignable to type 'number'.");
      expect(r.output).toContain("Property 'amout' does not exist on type 'Order'. Did you mean 'amount'?");
      expect(r.output).toContain("broken.asset.ts(7,");
    } finally {
      rmSync(file);
    }
  });

  test("dagx init refuses to overwrite existing files, listing them, unless --force", async () => {
    const before = readFileSync(join(shop, "orders.asset.ts"), "utf8");
    writeFileSync(join(shop, "orders.asset.ts"), "// mine\n");
    const r = await runDagx(tmp, ["init", "shop"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Refusing to overwrite 7 existing file(s) in");
    expect(r.stderr).toContain("dagx.config.ts, data/orders.csv, orders.asset.ts, revenue.asset.ts, tsconfig.json, .gitignore, README.md: pass --force");
    expect(readFileSync(join(shop, "orders.asset.ts"), "utf8")).toBe("// mine\n");
    const forced = await runDagx(tmp, ["init", "shop", "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("orders.asset.ts (overwritten)");
    expect(readFileSync(join(shop, "orders.asset.ts"), "utf8")).toBe(before);
  });

  test("dagx init --json reports the files", async () => {
    const r = await runDagx(tmp, ["init", "json-project", "--json"]);
    expect(r.json<{ created: string[] }>().created).toContain(".dagx/types/dagx.d.ts");
  });
});

describe("dagx types", () => {
  test("dagx types rewrites the declarations; --out writes elsewhere", async () => {
    rmSync(join(shop, ".dagx/types"), { recursive: true, force: true });
    const r = await runDagx(shop, ["types"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Wrote .dagx/types/dagx.d.ts");
    expect(readFileSync(join(shop, ".dagx/types/dagx.d.ts"), "utf8")).toBe(typeDeclarationsText(VERSION, "../../dagx.config"));
    expect((await runDagx(shop, ["types"])).stdout).toContain("Up to date: .dagx/types/dagx.d.ts");
    const custom = await runDagx(shop, ["types", "--out", "types/dagx.d.ts", "--json"]);
    expect(custom.json()).toMatchObject({ path: join(shop, "types/dagx.d.ts"), changed: true });
    expect(readFileSync(join(shop, "types/dagx.d.ts"), "utf8")).toContain('config: typeof import("../dagx.config").default;');
    rmSync(join(shop, "types"), { recursive: true });
  });
});

describe("dagx lineage on the scaffold", () => {
  test("dagx lineage draws the tree and the other formats", async () => {
    const tree = await runDagx(shop, ["lineage", "orders"]);
    expect(tree.code).toBe(0);
    expect(tree.stdout).toStartWith("● orders\n├── daily_revenue\n└── top_customers\n");
    const dot = await runDagx(shop, ["lineage", "daily_revenue", "--format", "dot"]);
    expect(dot.stdout).toContain('"orders" -> "daily_revenue";');
    const json = await runDagx(shop, ["lineage", "top_customers", "--json", "--upstream", "1", "--downstream", "0"]);
    expect(json.json()).toEqual({
      nodes: [
        { key: "orders", group: "raw", kinds: ["duckdb", "csv"], selected: false },
        { key: "top_customers", group: "analytics", kinds: [], selected: true },
      ],
      edges: [{ from: "orders", to: "top_customers" }],
    });
  });

  test("dagx lineage usage errors exit 2 with a fix", async () => {
    const none = await runDagx(shop, ["lineage"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Missing selection: `dagx lineage` needs one, e.g. `dagx lineage orders`");
    const bad = await runDagx(shop, ["lineage", "orders", "--downstream", "-1"]);
    expect(bad.code).toBe(2);
    const fmt = await runDagx(shop, ["lineage", "orders", "--format", "png"]);
    expect(fmt.stderr).toContain('Unknown --format "png": use one of tree, dot, mermaid, json');
    const unknown = await runDagx(shop, ["lineage", "ordres"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean "orders"?');
  });
});

describe("the scaffold end to end", () => {
  test("dagx materialize then dagx query daily_revenue, as the README says", async () => {
    const run = await runDagx(shop, ["materialize"]);
    expect(run.code).toBe(0);
    const r = await runDagx(shop, ["query", "select * from daily_revenue order by day desc limit 2", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual([
      { day: "2024-01-05T00:00:00.000Z", orders: 4, revenue: 489.93 },
      { day: "2024-01-04T00:00:00.000Z", orders: 3, revenue: 371.69 },
    ]);
    const top = await runDagx(shop, ["query", "select customer from top_customers order by rank", "--format", "csv"]);
    expect(top.stdout).toBe("customer\nada\nbarbara\nmargaret\n");
  });
});
