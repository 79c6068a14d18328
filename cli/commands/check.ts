import { defineCommand } from "citty";
import { countResults, isErrorFailure } from "../../core/checks/outcome.ts";
import { readRunConfigInput, resolveCheckConfig, runCheckCommand } from "../../io/run/index.ts";
import { configArgs, globalArgs, partitionArgs, partitionSelectionOf, positionals, repeatedFlag } from "../args.ts";
import { checkFailureLines } from "../check-format.ts";
import { checkJson } from "../../io/reports/index.ts";
import { withProject } from "../context.ts";
import { resolveSelected } from "../selection.ts";

export default defineCommand({
  meta: {
    name: "check",
    description:
      "Run the checks of the selected assets (all when no selection) on their current outputs, without materializing. Exit 1 when a check of \"error\" severity failed.\n\nExamples:\n  dagx check\n  dagx check orders+ --json\n  dagx check events --partitions 2024-01..2024-03\n  dagx check orders --config orders.min_rows=100",
  },
  args: {
    ...globalArgs,
    selection: { type: "positional", required: false, description: "Selection (see `dagx list --help`); several are a union" },
    ...partitionArgs,
    partitions: { ...partitionArgs.partitions, description: "Partition range (default: every materialized partition)" },
    config: { ...configArgs.config, description: "Run config of a checked asset's field, ASSET.FIELD=VALUE: its check functions' ctx.config (repeatable; VALUE is JSON when it parses, else text)" },
    "config-file": configArgs["config-file"],
  },
  async run(cmd) {
    const { args } = cmd;
    return withProject(cmd, async ({ out, project, store, now, cancelOnInterrupt, terminal }) => {
      const words = positionals(args);
      const { c } = out;
      const selected = resolveSelected(project, words);
      // validated before anything runs, as materialize's: every problem at once, exit 2
      const given = readRunConfigInput(project.graph, { args: repeatedFlag(cmd.rawArgs, "config"), file: args["config-file"] ?? null, cwd: terminal.cwd });
      const config = await resolveCheckConfig(project.graph, selected, given.input, given.problems);
      const outcome = await runCheckCommand(project, store, {
        selected,
        config,
        selectionText: words.join(" ") || "*",
        partitionSelection: partitionSelectionOf(args.partition, args.partitions),
        singlePartition: args.partition !== undefined,
        now,
        signal: cancelOnInterrupt("\nCanceling the checks: running ones are told to stop (Ctrl-C again to exit at once)"),
        onLog: (key, level, message) => out.say(`  ${c.dim(`${key} │`)} ${level} ${message}`),
        onAssetChecked: (key, results) => {
          for (const name of [...new Set(results.map((r) => r.checkName))]) {
            const mine = results.filter((r) => r.checkName === name);
            const bad = mine.filter((r) => !r.passed);
            const parts = mine.length > 1 || mine[0]?.partitionKey ? c.dim(` (${mine.length - bad.length}/${mine.length} partitions)`) : "";
            if (bad.length === 0) out.print(`${c.green("✓")} check ${c.bold(name)} of ${key}${parts}`);
            for (const r of bad) for (const line of checkFailureLines(r, c)) out.print(line);
          }
        },
      });
      for (const r of outcome.reportedOnly) {
        for (const name of r.checks) out.print(`${c.dim("-")} check ${c.bold(name)} of ${r.key}  ${c.dim(`not run: its result is reported by the asset's own step, so it runs only with it — dagx materialize ${r.key}`)}`);
      }
      if (outcome.checked.length === 0 && outcome.reportedOnly.length === 0) out.say("No checks on the selected assets: declare built-ins with `checks: [notNull(\"id\"), …]` on an asset, or export `check(asset, fn)` from an asset file");
      for (const k of outcome.notMaterialized) out.print(`${c.dim("-")} ${k}  ${c.dim(`nothing to check: not materialized${args.partition || args.partitions ? " in that partition range" : ""}`)}`);
      const n = countResults(outcome.results);
      if (outcome.results.length) {
        const colour = n.failed ? c.red : n.warned ? c.yellow : c.green;
        out.print(colour(`${outcome.results.length} check result(s): ${n.passed} passed, ${n.failed} failed, ${n.warned} warned`) + c.dim(` · run ${outcome.runId}`));
      }
      if (out.json) out.data(outcome.results.map(checkJson));
      if (outcome.status === "canceled") return 130;
      return outcome.results.some(isErrorFailure) ? 1 : 0;
    });
  },
});
