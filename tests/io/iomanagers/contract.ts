/**
 * The IO manager contract (DESIGN §12): every IO manager — the built-ins and any other — runs this
 * suite: write and read back with types, the handle as a relation in ctx.sql, replace one partition
 * atomically, a failed write leaves the previous output, identical content gives an identical data
 * version, remove deletes. Usage: `testIOManager({ name, create, … })`.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { createSqlTag, isTableInput, type SqlTag, type TableInput } from "../../../core/context.ts";
import type { IOManager, StoredInput, StoredOutput } from "../../../core/io-manager.ts";
import { inputContext, outputContext, type StepIO } from "../../../io/iomanagers/index.ts";
import { makeLogger } from "../../../io/run/step-context.ts";
import { createSqlRunner, runUserSql } from "../../../io/run/user-sql.ts";
import { createStorage } from "../../../io/storage/index.ts";

/** A fresh project folder and DuckDB connection, and the calls a step makes to a manager. */
export interface Harness {
  root: string;
  /** A folder of the manager's own, outside the project. */
  dir: string;
  io: StepIO;
  /** `ctx.sql` of a step. */
  sql: SqlTag;
  write(manager: IOManager, key: string, partitionKey: string, value: unknown): Promise<StoredOutput>;
  read(manager: IOManager, key: string, outputs: readonly { partitionKey: string; location: string }[]): Promise<unknown>;
  /** Every file under the project and the manager's folder, relative. */
  files(): string[];
  /** End the step (run what it deferred with atEnd) and remove the folders. */
  close(): Promise<void>;
}

export async function createHarness(): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), "dagx-iom-"));
  const dir = mkdtempSync(join(tmpdir(), "dagx-iom-own-"));
  const storage = createStorage(root);
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  const conn = async () => c;
  const ends: (() => Promise<void> | void)[] = [];
  const io: StepIO = { storage, runId: "run-1", log: makeLogger(() => {}), conn, resolveRef: () => null, runSql: (q, exec) => runUserSql(q, () => null, exec), atEnd: (fn) => void ends.push(fn) };
  const segments = (pk: string) => (pk ? [`date=${pk}`] : []);
  const walk = (base: string, rel = ""): string[] =>
    readdirSync(join(base, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(base, join(rel, e.name)) : [join(rel, e.name)]));
  return {
    root,
    dir,
    io,
    sql: createSqlTag(createSqlRunner(conn, () => null)),
    write: async (manager, key, pk, value) => manager.handleOutput(outputContext(io, key, pk, segments(pk)), value),
    read: async (manager, key, outputs) => {
      const stored: StoredInput = {
        assetKey: key,
        locations: outputs.map((o) => o.location),
        partitionKeys: outputs.map((o) => o.partitionKey),
        dimensions: outputs.some((o) => o.partitionKey) ? ["date"] : [],
        keyValues: (i) => (outputs[i]!.partitionKey ? [outputs[i]!.partitionKey] : []),
        schemas: outputs.map(() => null),
        columns: null,
      };
      return manager.loadInput(inputContext(io, "reader", stored));
    },
    files: () => [...walk(root).map((f) => `project/${f}`), ...walk(dir).map((f) => `own/${f}`)],
    close: async () => {
      // the step ends: what its input handles hold (a warehouse attachment) is released first
      for (const end of ends.splice(0)) await end();
      c.closeSync();
      instance.closeSync();
      rmSync(root, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ContractSubject {
  name: string;
  /** A fresh manager; `dir` is a folder of its own, outside the project. */
  create(h: Harness): IOManager;
  /** Does loadInput give a table handle (usable in ctx.sql, rows()) or the value itself? */
  reads: "table" | "value";
  /** Two different values it stores; `sample` reads back as `expected` (for tables: `rows()`). */
  sample: unknown;
  expected: unknown;
  other: unknown;
  otherExpected: unknown;
  /** A value whose storing fails (in the middle, where the manager can fail). */
  failing(h: Harness): unknown;
  /** Absolute path of a stored location, to see that remove deleted it. */
  pathOf(h: Harness, location: string): string;
  /** Whether a stored location exists, for a manager whose outputs are not files (default: the file at `pathOf`). */
  exists?(h: Harness, location: string): Promise<boolean>;
  /** Each write gets a location of its own (an object store's unique key per materialization): a replaced partition's location changes. @default false */
  newLocationPerWrite?: boolean;
}

/** Register the contract tests for one IO manager. */
export function testIOManager(s: ContractSubject): void {
  describe(`${s.name} satisfies the IO manager contract`, () => {
    let open: Harness[] = [];
    const setup = async () => {
      const h = await createHarness();
      open.push(h);
      return { h, m: s.create(h) };
    };
    afterEach(async () => {
      for (const h of open) await h.close();
      open = [];
    });
    const readBack = async (value: unknown) => (s.reads === "table" ? (expect(isTableInput(value)).toBe(true), await (value as TableInput).rows()) : value);

    test("handleOutput() stores a value and loadInput() reads it back with its types", async () => {
      const { h, m } = await setup();
      const out = await h.write(m, "orders", "", s.sample);
      expect(typeof out.location).toBe("string");
      expect(out.dataVersion).toBeTruthy();
      expect(await readBack(await h.read(m, "orders", [{ partitionKey: "", location: out.location }]))).toEqual(s.expected as never);
    });

    if (s.reads === "table") {
      test("loadInput() gives a handle that ctx.sql interpolates as a relation", async () => {
        const { h, m } = await setup();
        const out = await h.write(m, "orders", "", s.sample);
        const handle = await h.read(m, "orders", [{ partitionKey: "", location: out.location }]);
        const [row] = await h.sql`select count(*)::INTEGER as n from ${handle}`.rows();
        expect(row).toEqual({ n: (s.expected as unknown[]).length });
      });

      test("handleOutput() receives a ctx.sql query as it is and stores its result", async () => {
        const { h, m } = await setup();
        const out = await h.write(m, "totals", "", h.sql`select 42::INTEGER as answer, ${"x"} as label`);
        expect(await readBack(await h.read(m, "totals", [{ partitionKey: "", location: out.location }]))).toEqual([{ answer: 42, label: "x" }]);
      });
    }

    test("replacing one partition leaves the others, and no temp file behind", async () => {
      const { h, m } = await setup();
      // a manager may add the partition's key as a column ("date"): the data is compared without it
      const partition = async (pk: string, location: string) => {
        const got = await readBack(await h.read(m, "events", [{ partitionKey: pk, location }]));
        return s.reads === "table" ? (got as Record<string, unknown>[]).map(({ date: _date, ...r }) => r) : got;
      };
      const first = await h.write(m, "events", "2024-01-01", s.sample);
      const second = await h.write(m, "events", "2024-01-02", s.sample);
      const again = await h.write(m, "events", "2024-01-01", s.other);
      expect(await partition("2024-01-01", again.location)).toEqual(s.otherExpected as never);
      expect(await partition("2024-01-02", second.location)).toEqual(s.expected as never);
      if (s.newLocationPerWrite) expect(again.location).not.toBe(first.location);
      else expect(again.location).toBe(first.location);
      expect(h.files().filter((f) => f.includes(".tmp"))).toEqual([]);
    });

    test("a failed write leaves the previous output readable", async () => {
      const { h, m } = await setup();
      const out = await h.write(m, "orders", "", s.sample);
      await expect(h.write(m, "orders", "", s.failing(h))).rejects.toThrow();
      expect(await readBack(await h.read(m, "orders", [{ partitionKey: "", location: out.location }]))).toEqual(s.expected as never);
      expect(h.files().filter((f) => f.includes(".tmp"))).toEqual([]);
    });

    test("identical content gives an identical data version, other content another", async () => {
      const { h, m } = await setup();
      const a = await h.write(m, "orders", "", s.sample);
      const b = await h.write(m, "orders", "", s.sample);
      const c = await h.write(m, "orders", "", s.other);
      expect(b.dataVersion).toBe(a.dataVersion);
      expect(c.dataVersion).not.toBe(a.dataVersion);
    });

    test("remove() deletes the stored output", async () => {
      const { h, m } = await setup();
      const out = await h.write(m, "orders", "", s.sample);
      const exists = (location: string) => (s.exists ? s.exists(h, location) : Bun.file(s.pathOf(h, location)).exists());
      expect(await exists(out.location)).toBe(true);
      await m.remove?.(outputContext(h.io, "orders", "", []), out.location);
      expect(await exists(out.location)).toBe(m.remove === undefined);
    });
  });
}
