/**
 * How tests start a dagx process: the compiled host binary (`hostBinary()`: dist/dagx when newer
 * than the sources, else one shared build per state of the sources) — what users run, and about
 * half the CPU of a start from source (Bun transpiles every module at each start from source; the
 * binary carries bytecode). `DAGX_TEST_FROM_SOURCE=1` runs `bun --no-env-file cli/main.ts` instead
 * (to test an edit without a build, or to compare). Neither loads the cwd's `.env` (dagx reads the
 * project root's itself; the build sets `autoloadDotenv: false`).
 */
import { join } from "node:path";
import { hostBinary } from "./binary.ts";

const REPO = join(import.meta.dir, "../..");
const BUN = join(REPO, "node_modules/.bin/bun");
const CLI = join(REPO, "cli/main.ts");

/** The command that runs dagx from source, for a test that needs it (say why where it is used). */
export const FROM_SOURCE: readonly string[] = [BUN, "--no-env-file", CLI];

export function fromSource(): boolean {
  return process.env.DAGX_TEST_FROM_SOURCE === "1";
}

let binary: string | undefined;

/** The argv prefix that starts dagx (binary, or from source with DAGX_TEST_FROM_SOURCE=1); builds the binary the first time if needed. */
export async function dagxCommand(): Promise<string[]> {
  if (fromSource()) return [...FROM_SOURCE];
  binary ??= await hostBinary();
  return [binary];
}

/**
 * `dagxCommand()` for a caller that cannot wait: the first call in a process asks a child (`bun
 * tests/support/_print-host-binary.ts`, which builds under the shared lock if needed) for the path.
 */
export function dagxCommandSync(): string[] {
  if (fromSource()) return [...FROM_SOURCE];
  if (!binary) {
    const p = Bun.spawnSync([BUN, "--no-env-file", join(import.meta.dir, "_print-host-binary.ts")], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    if (p.exitCode !== 0) throw new Error(`could not build the host binary for the tests:\n${p.stderr.toString()}`);
    binary = p.stdout.toString().trim();
  }
  return [binary];
}
