#!/usr/bin/env bun
/**
 * dagx entry point: wires lazy subcommands, handles --help/--version, turns errors into
 * messages and exit codes. `run()` is one invocation against a terminal (the process's, or a
 * test's); only this file ends the process: after the command, or at a second Ctrl-C.
 */
import { type CommandDef, defineCommand, renderUsage, runCommand } from "citty";
import { didYouMean } from "../core/suggest.ts";
import { reportError } from "./errors.ts";
import { listenForInterrupts } from "./interrupt.ts";
import { colorStreams, createOutput } from "./output.ts";
import { processTerminal, redactedTerminal, type Terminal } from "./terminal.ts";
import { redactConsole } from "../io/secrets/index.ts";
import { VERSION, versionInfo, versionLine } from "./version.ts";

type Loader = () => Promise<CommandDef>;
const lazy = (load: () => Promise<{ default: CommandDef<any> }>): Loader => () => load().then((m) => m.default as CommandDef);

export const COMMANDS: Record<string, Loader> = {
  init: lazy(() => import("./commands/init.ts")),
  list: lazy(() => import("./commands/list.ts")),
  materialize: lazy(() => import("./commands/materialize.ts")),
  observe: lazy(() => import("./commands/observe.ts")),
  check: lazy(() => import("./commands/check.ts")),
  status: lazy(() => import("./commands/status.ts")),
  lineage: lazy(() => import("./commands/lineage.ts")),
  runs: lazy(() => import("./commands/runs.ts")),
  logs: lazy(() => import("./commands/logs.ts")),
  alerts: lazy(() => import("./commands/alerts.ts")),
  query: lazy(() => import("./commands/query.ts")),
  sql: lazy(() => import("./commands/sql.ts")),
  wipe: lazy(() => import("./commands/wipe.ts")),
  partitions: lazy(() => import("./commands/partitions.ts")),
  backfill: lazy(() => import("./commands/backfill.ts")),
  cancel: lazy(() => import("./commands/cancel.ts")),
  daemon: lazy(() => import("./commands/daemon.ts")),
  worker: lazy(() => import("./commands/worker.ts")),
  schedules: lazy(() => import("./commands/schedules.ts")),
  sensors: lazy(() => import("./commands/sensors.ts")),
  dev: lazy(() => import("./commands/dev.ts")),
  ui: lazy(() => import("./commands/ui.ts")),
  gc: lazy(() => import("./commands/gc.ts")),
  state: lazy(() => import("./commands/state.ts")),
  doctor: lazy(() => import("./commands/doctor.ts")),
  types: lazy(() => import("./commands/types.ts")),
};

const main = defineCommand({
  meta: {
    name: "dagx",
    version: VERSION,
    description: "Software-defined assets for local data pipelines.\n\nExample: dagx materialize orders+   (orders and everything downstream)",
  },
  subCommands: COMMANDS,
});

/** One invocation of `dagx ARGV`: its exit code; everything it prints goes to `terminal`. */
async function run(argv: string[], given: Terminal): Promise<number> {
  const terminal = redactedTerminal(given);
  const out = createOutput({ json: argv.includes("--json"), verbose: argv.includes("--verbose") || argv.includes("-v"), color: !argv.includes("--no-color") }, terminal);
  try {
    if (argv[0] === "__worker") {
      // internal: a `dagx dev` worker process (see io/dev/worker.ts)
      const { runDevWorker } = await import("../io/dev/index.ts");
      const { resolveProjectRoot } = await import("../io/project/index.ts");
      // the supervisor passes the root it resolved: exactly that folder, no search
      const at = argv.indexOf("-C");
      return await runDevWorker(resolveProjectRoot(at > 0 ? argv[at + 1]! : undefined, terminal.cwd), terminal.interrupts.signal(() => {}));
    }
    const firstIndex = commandIndex(argv);
    const first = firstIndex === -1 ? undefined : argv[firstIndex];
    const wantsHelp = argv.includes("--help") || argv.includes("-h");
    if (argv.length === 0 || (wantsHelp && (!first || !(first in COMMANDS)))) {
      // asked for: the result, on stdout; `dagx` alone is a usage error: stderr, exit 2
      await printUsage(terminal, argv, argv.length === 0 ? "stderr" : "stdout", main);
      return argv.length === 0 ? 2 : 0;
    }
    if (argv.includes("--version") && argv.every((a) => a === "--version" || a === "--json")) {
      // `dagx --version [--json]`: what a bug report needs first; no DuckDB load, so it stays fast
      if (out.json) out.data(versionInfo());
      else terminal.stdout.write(`${versionLine()}\n`);
      return 0;
    }
    if (!first || !(first in COMMANDS)) {
      const word = first ?? argv[0] ?? "";
      out.say(`${out.c.red("error")} Unknown command "${word}"${didYouMean(word, Object.keys(COMMANDS))}: run \`dagx --help\` for the list of commands`);
      return 2;
    }
    const cmd = await COMMANDS[first]!();
    const rest = argv.filter((_a, i) => i !== firstIndex);
    if (wantsHelp) {
      await printUsage(terminal, argv, "stdout", cmd, main);
      return 0;
    }
    const { result } = await runCommand(cmd, { rawArgs: rest, data: terminal });
    return typeof result === "number" ? result : 0;
  } catch (e) {
    return reportError(out, e);
  }
}

/** citty's usage text, plain unless the stream is a colour terminal, without the padding at line ends. */
async function printUsage(terminal: Terminal, argv: string[], stream: "stdout" | "stderr", cmd: CommandDef, parent?: CommandDef): Promise<void> {
  const colour = colorStreams({ color: !argv.includes("--no-color") }, terminal)[stream];
  const text = (await renderUsage(cmd, parent)).split("\n").map((line) => line.trimEnd()).join("\n");
  terminal[stream].write(`${colour ? text : Bun.stripANSI(text)}\n`);
}

/** Index of the command word: the first word that is not a flag nor the value of -C/--cwd. */
function commandIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-C" || a === "--cwd") i++;
    else if (!a.startsWith("-")) return i;
  }
  return -1;
}

if (import.meta.main) {
  // State and outputs are the user's own (DESIGN §11): DuckDB's WAL and temp files included.
  process.umask(0o077);
  // user code's console output passes the redactor too (io/secrets)
  redactConsole();
  const argv = process.argv.slice(2);
  // a second Ctrl-C during a command that cancels gracefully: at once
  const interrupts = listenForInterrupts((code) => process.exit(code));
  const terminal = processTerminal(interrupts);
  let code = await run(argv, terminal);
  interrupts.dispose();
  // every write was synchronous; one to stdout that failed (not a closed pipe) is reported here
  const failed = terminal.stdoutError();
  if (failed) code = Math.max(code, reportError(createOutput({ color: !argv.includes("--no-color") }, terminal), failed));
  // Open handles (DuckDB thread pools, watchers) must not keep a finished command alive.
  process.exit(code);
}

export { run };
