/**
 * The run's DuckDB instance (io/run/compute-instance.ts): warmed up while the run reads its state
 * when the selection looks like SQL, taken by the first step that needs it, always closed — used
 * or not — and a warm-up that fails only matters to a step that needs the instance.
 */
import { afterAll, afterEach, describe, expect, spyOn, test } from "bun:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { createComputeInstance, mayUseDuckDB } from "../../../io/run/compute-instance.ts";
import { runMaterialize } from "../../../io/run/materialize.ts";
import { loadProject } from "../../../io/project/project.ts";
import { createMemoryStateStore } from "../../../io/state/memory-store.ts";
import { makeProject, removeProject } from "../../cli/helpers.ts";
import { duckDBWorksUnderWay } from "../../../io/platform/index.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const isClosed = async (i: DuckDBInstance) => {
  try {
    (await i.connect()).closeSync();
    return false;
  } catch (e) {
    return /closed/.test(String(e));
  }
};

describe("createComputeInstance()", () => {
  test("the heavy work it announces when taken ends when it closes (the allocator returns freed pages at once again), and only once", async () => {
    const before = duckDBWorksUnderWay();
    const a = createComputeInstance();
    const b = createComputeInstance();
    await a.get();
    await b.get();
    expect(duckDBWorksUnderWay()).toBe(before + 2);
    await a.close();
    await a.close();
    expect(duckDBWorksUnderWay()).toBe(before + 1);
    await b.close();
    expect(duckDBWorksUnderWay()).toBe(before);
    const warmedOnly = createComputeInstance();
    warmedOnly.warm();
    await warmedOnly.close();
    expect(duckDBWorksUnderWay()).toBe(before);
  });

  test("get() takes the warmed instance: one creation", async () => {
    let created = 0;
    const c = createComputeInstance(() => (created++, DuckDBInstance.create(":memory:")));
    c.warm();
    c.warm();
    const a = await c.get();
    expect(await c.get()).toBe(a);
    expect(created).toBe(1);
    await c.close();
    expect(await isClosed(a)).toBe(true);
  });

  test("close() closes a warmed instance no step used", async () => {
    let instance: DuckDBInstance | null = null;
    const c = createComputeInstance(async () => (instance = await DuckDBInstance.create(":memory:")));
    c.warm();
    await c.close();
    expect(instance).not.toBeNull();
    expect(await isClosed(instance!)).toBe(true);
    await c.close(); // twice: nothing more
    await expect(c.get()).rejects.toThrow("used after the run closed it");
  });

  test("a failed warm-up is silent; get() tries again and reports that attempt's error", async () => {
    let n = 0;
    const failing = createComputeInstance(() => Promise.reject(new Error(`no memory (attempt ${++n})`)));
    failing.warm();
    await Bun.sleep(5); // the rejection has happened: no unhandled rejection (it would fail this test)
    expect(n).toBe(1);
    await expect(failing.get()).rejects.toThrow("no memory (attempt 2)");
    await failing.close();

    let tries = 0;
    const flaky = createComputeInstance(() => (++tries === 1 ? Promise.reject(new Error("transient")) : DuckDBInstance.create(":memory:")));
    flaky.warm();
    const i = await flaky.get();
    expect(tries).toBe(2);
    await flaky.close();
    expect(await isClosed(i)).toBe(true);
  });

  test("never warmed nor used: close() creates nothing", async () => {
    let created = 0;
    const c = createComputeInstance(() => (created++, DuckDBInstance.create(":memory:")));
    await c.close();
    expect(created).toBe(0);
  });
});

describe("runMaterialize() and the run's DuckDB", () => {
  const spies: { mockRestore(): void }[] = [];
  afterEach(() => spies.splice(0).forEach((s) => s.mockRestore()));
  /** Every DuckDB instance created while `fn` runs. */
  async function instancesDuring(fn: () => Promise<unknown>): Promise<DuckDBInstance[]> {
    const made: DuckDBInstance[] = [];
    const create = DuckDBInstance.create.bind(DuckDBInstance);
    spies.push(spyOn(DuckDBInstance, "create").mockImplementation(async (...args: Parameters<typeof DuckDBInstance.create>) => {
      const i = await create(...args);
      made.push(i);
      return i;
    }));
    await fn();
    spies.pop()!.mockRestore();
    return made;
  }

  async function sqlProject() {
    const dir = makeProject({
      "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`,
      "a.asset.ts": `import { asset } from "dagx";\nexport const nums = asset((ctx) => ctx.sql\`select range as n from range(5)\`);\nexport const plain = asset(() => 1);\n`,
    });
    dirs.push(dir);
    return loadProject(dir, { exactRoot: true, now: () => performance.now() });
  }
  const options = (keys: string[], extra: { stale?: boolean; dryRun?: boolean } = {}) => ({
    selectionText: keys.join(" "), selected: new Set(keys), stale: extra.stale ?? false, concurrency: 1, dryRun: extra.dryRun ?? false, trigger: "cli", signal: new AbortController().signal, now: () => Date.now(),
  });

  test("mayUseDuckDB() says yes for ctx.sql and Parquet assets, no for plain values", async () => {
    const project = await sqlProject();
    expect(mayUseDuckDB(project.graph, ["nums"])).toBe(true);
    expect(mayUseDuckDB(project.graph, ["plain"])).toBe(false);
    expect(mayUseDuckDB(project.graph, ["plain", "nums"])).toBe(true);
    expect(mayUseDuckDB(project.graph, ["unknown"])).toBe(false);
  });

  test("a SQL run uses one instance and closes it; a run with nothing to do closes the one it warmed; plain values and dry runs create none", async () => {
    const project = await sqlProject();
    const store = createMemoryStateStore();
    let outcome: Awaited<ReturnType<typeof runMaterialize>> | null = null;
    const ran = await instancesDuring(async () => (outcome = await runMaterialize(project, store, options(["nums"]))));
    expect(outcome!.status).toBe("success");
    expect(ran.length).toBe(1);
    expect(await isClosed(ran[0]!)).toBe(true);

    const nothing = await instancesDuring(async () => (outcome = await runMaterialize(project, store, options(["nums"], { stale: true }))));
    expect(outcome!.status).toBe("nothing");
    expect(nothing.length).toBe(1); // warmed while the state was read, before the plan was known
    expect(await isClosed(nothing[0]!)).toBe(true);

    expect(await instancesDuring(() => runMaterialize(project, store, options(["nums"], { dryRun: true })))).toEqual([]);
    expect(await instancesDuring(() => runMaterialize(project, store, options(["plain"])))).toEqual([]);
  });
});
