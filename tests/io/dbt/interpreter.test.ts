// Which dbt executables run through the dbt worker (io/dbt/_worker.ts): a Python console script's
// interpreter is read from its first lines, in each form pip writes; anything else is spawned per
// command. Without dbt or Python: the files are written here.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dbtInterpreter, workerUsable } from "../../../io/dbt/_worker.ts";

const dir = mkdtempSync(join(tmpdir(), "dagx-dbt-interp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

test("a console script names its interpreter: #!/…/python, #!/usr/bin/env python3, pip's #!/bin/sh form", () => {
  mkdirSync(join(dir, "venv/bin"), { recursive: true });
  const venvPython = script("venv/bin/python3.11", "");
  expect(dbtInterpreter([script("dbt-a", `#!${venvPython}\n# -*- coding: utf-8 -*-\nimport sys\n`)], undefined)).toBe(venvPython);
  mkdirSync(join(dir, "a/very/long/path/venv/bin"), { recursive: true });
  const long = script("a/very/long/path/venv/bin/python", "");
  expect(dbtInterpreter([script("dbt-b", `#!/bin/sh\n'''exec' "${long}" "$0" "$@"\n' '''\nimport sys\n`)], undefined)).toBe(long);
  mkdirSync(join(dir, "path"), { recursive: true });
  const onPath = script("path/python3", "#!/bin/sh\n");
  expect(dbtInterpreter([script("dbt-c", "#!/usr/bin/env python3\nimport sys\n")], join(dir, "path"))).toBe(onPath);
  // a bare name is looked up on the PATH dbt would be run with
  script("path/dbt", `#!${venvPython}\n`);
  expect(dbtInterpreter(["dbt"], join(dir, "path"))).toBe(venvPython);
});

test("anything else is spawned per command: an argv, a shell wrapper, a binary, a missing or relative path, a missing interpreter", () => {
  expect(dbtInterpreter(["uv", "run", "dbt"], undefined)).toBeNull();
  expect(dbtInterpreter([script("wrapper", "#!/bin/sh\nexec dbt \"$@\"\n")], undefined)).toBeNull();
  expect(dbtInterpreter([script("binary", "\u007fELF\u0002\u0001\u0001")], undefined)).toBeNull();
  expect(dbtInterpreter([join(dir, "no-such-dbt")], undefined)).toBeNull();
  expect(dbtInterpreter(["venv/bin/dbt"], undefined)).toBeNull();
  expect(dbtInterpreter(["no-such-dbt-anywhere"], join(dir, "path"))).toBeNull();
  // a venv removed under its scripts: spawning the script says what is wrong
  expect(dbtInterpreter([script("orphan", `#!${join(dir, "gone/bin/python")}\n`)], undefined)).toBeNull();
});

test("DAGX_DBT_WORKER=0 turns the worker off", () => {
  const saved = process.env.DAGX_DBT_WORKER;
  try {
    process.env.DAGX_DBT_WORKER = "0";
    expect(workerUsable("/usr/bin/python3")).toBe(false);
    delete process.env.DAGX_DBT_WORKER;
    expect(workerUsable("/usr/bin/python3")).toBe(true);
    expect(workerUsable(null)).toBe(false);
  } finally {
    if (saved === undefined) delete process.env.DAGX_DBT_WORKER;
    else process.env.DAGX_DBT_WORKER = saved;
  }
});

const python3 = Bun.which("python3");
test.skipIf(!python3)("a Python without dbt: the worker says so once, and the script itself runs per command", async () => {
  // a console script of a Python that has no dbt module: it answers like a failing dbt
  const fake = script("fake-dbt", `#!${python3}\nimport sys\nprint("fake dbt ran:", " ".join(sys.argv[1:2]))\nsys.exit(2)\n`);
  const project = join(dir, "proj");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "dbt_project.yml"), "name: p\nprofile: p\n");
  const { parseDbtProject } = await import("../../../io/dbt/index.ts");
  const inv = { dir: project, executable: fake, workDir: join(dir, ".dagx/dbt"), env: { PYTHONPATH: "" } };
  await expect(parseDbtProject(inv)).rejects.toThrow(/dbt parse failed for .* \(exit 2\): fake dbt ran: parse/);
  expect(workerUsable(python3)).toBe(false); // not asked again in this process
});
