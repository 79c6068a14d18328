// io/dbt's errors without dbt installed: a missing executable or project folder says what to fix.
import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DbtError, parseDbtProject } from "../../../io/dbt/index.ts";

const dir = mkdtempSync(join(tmpdir(), "dagx-dbt-err-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a folder without dbt_project.yml is a definitions error naming the folder", async () => {
  const p = parseDbtProject({ dir, workDir: join(dir, ".dagx/dbt") });
  await expect(p).rejects.toThrow(DbtError);
  await expect(parseDbtProject({ dir, workDir: join(dir, ".dagx/dbt") })).rejects.toThrow(/there is no dbt_project\.yml — point dbtProject/);
});

test("a dbt executable that does not exist says how to configure one", async () => {
  cpSync(join(import.meta.dir, "../../../examples/dbt-shop/dbt"), join(dir, "proj"), { recursive: true });
  const p = parseDbtProject({ dir: join(dir, "proj"), workDir: join(dir, ".dagx/dbt"), executable: join(dir, "no-such-dbt") });
  await expect(p).rejects.toThrow(/Cannot start dbt .*no-such-dbt.*install dbt-core and an adapter/);
});
