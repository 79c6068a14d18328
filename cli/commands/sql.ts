import { defineCommand } from "citty";
import { relative } from "node:path";
import { DagxError } from "../../core/errors.ts";
import { createPartitionSpace } from "../../core/partitions/index.ts";
import { didYouMean } from "../../core/suggest.ts";
import { compileSqlAsset, type SqlPartition, sqlAssetInfo } from "../../io/project/index.ts";
import { globalArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";

export default defineCommand({
  meta: {
    name: "sql",
    description:
      "The compiled query of a SQL asset (a *.asset.sql file) and the parameters it binds.\n\nUpstream tables keep their names (the names `dagx query` gives stored outputs); $partition_key, $partition_start and $partition_end become $1, $2 … with their values for --partition.\n\nExamples:\n  dagx sql analytics/daily_revenue\n  dagx sql events --partition 2024-01-02\n  dagx sql events --partition 2024-01-02 --json",
  },
  args: {
    ...globalArgs,
    key: { type: "positional", required: false, description: "Asset key of a SQL asset" },
    partition: { type: "string", description: "Partition key whose bounds to bind", valueHint: "KEY" },
  },
  async run(cmd) {
    const { args } = cmd;
    const words = positionals(args);
    if (words.length !== 1) throw new DagxError("USAGE", "`dagx sql` needs one asset key: e.g. `dagx sql analytics/daily_revenue`");
    const key = words[0]!;
    return withProject(cmd, async ({ out, project, now }) => {
      const a = project.graph.assets.get(key);
      const sqlKeys = [...project.graph.assets.values()].filter((x) => sqlAssetInfo(x.def)).map((x) => x.key);
      if (!a) throw new DagxError("USAGE", `Unknown asset "${key}"${didYouMean(key, sqlKeys)}: \`dagx list\` shows the assets`);
      const info = sqlAssetInfo(a.def);
      if (!info) throw new DagxError("USAGE", `Asset "${key}" is not a SQL asset (it is defined in ${relative(project.root, a.file)}): \`dagx sql\` shows the query of a *.asset.sql file`);
      const parts = a.def.options.partitions;
      let partition: SqlPartition | null = null;
      if (args.partition !== undefined) {
        if (!parts) throw new DagxError("USAGE", `Asset "${key}" is not partitioned: drop --partition`);
        const space = createPartitionSpace(parts, { now: now() });
        const i = space.indexOf(args.partition);
        if (i < 0) throw new DagxError("USAGE", `Unknown partition "${args.partition}" of "${key}": \`dagx partitions ${key}\` lists them`);
        const w = space.window(i);
        const dimensions = parts.kind === "multi" ? Object.fromEntries(args.partition.split("|").map((v, j) => [parts.names[j]!, v])) : undefined;
        partition = { key: args.partition, start: w?.start, end: w?.end, ...(dimensions ? { dimensions } : {}) };
      }
      const compiled = compileSqlAsset(key, info, partition);
      if (args.json) out.data({ ...compiled, file: relative(project.root, compiled.file) });
      else {
        out.write(`${compiled.sql}\n`);
        for (const p of compiled.params) out.say(`$${p.index} = ${p.value === null ? "NULL" : `'${p.value}'`}  ($${p.name})`);
        if (parts && !partition && compiled.params.length > 0) out.say("(pass --partition KEY to see the values bound)");
      }
      return 0;
    });
  },
});
