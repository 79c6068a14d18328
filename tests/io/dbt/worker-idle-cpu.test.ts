// The dbt worker (io/dbt/_worker.ts) is unref'd while idle, so it never keeps dagx alive; while a
// command runs (and while dbt is imported) it must be ref'd: under `bun test`, awaiting only an
// unref'd child busy-polls the event loop — a whole core for as long as dbt runs (measured ~2.5 s
// of the test process's CPU per worker start in tests/integration/dbt). A fake `dbt` module whose
// dbtRunner sleeps stands in for dbt (no venv needed); the test process's own CPU is measured.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInWorker } from "../../../io/dbt/_worker.ts";

const python3 = Bun.which("python3");
const dir = mkdtempSync(join(tmpdir(), "dagx-dbt-idle-cpu-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.skipIf(!python3)("waiting on a dbt command (and on dbt's import) does not spin the test process", async () => {
  const fake = join(dir, "fake");
  mkdirSync(join(fake, "dbt/cli"), { recursive: true });
  writeFileSync(join(fake, "dbt/__init__.py"), "");
  writeFileSync(join(fake, "dbt/cli/__init__.py"), "");
  // import takes 0.5 s, each command 1 s, both asleep
  writeFileSync(
    join(fake, "dbt/cli/main.py"),
    "import time\ntime.sleep(0.5)\nclass _R:\n    exception = None\n    success = True\nclass dbtRunner:\n    def invoke(self, args):\n        time.sleep(1.0)\n        print('ran', args[0], flush=True)\n        return _R()\n",
  );
  const python = join(dir, "python3");
  writeFileSync(python, `#!/bin/sh\nPYTHONPATH=${JSON.stringify(fake)} exec ${JSON.stringify(python3)} "$@"\n`);
  chmodSync(python, 0o755);

  for (const command of ["parse", "build"]) { // a new worker, then the idle one again
    const lines: string[] = [];
    const cpu = process.cpuUsage();
    const started = Date.now();
    const r = await runInWorker(python, [command], dir, { PATH: process.env.PATH }, (l) => lines.push(l));
    const used = process.cpuUsage(cpu);
    expect(r).toEqual({ exitCode: 0 });
    expect(lines).toContain(`ran ${command}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect((used.user + used.system) / 1e6).toBeLessThan(0.5); // spinning: ~1–1.5 s
  }
}, 30_000);
