import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { readAssetState } from "../../io/asset-state.ts";
import { assertInside } from "../../io/storage.ts";
import { globalArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";
import { resolveSelected } from "../selection.ts";

export default defineCommand({
  meta: {
    name: "wipe",
    description: "Forget materializations of the selected assets (they become missing); --data also deletes their stored outputs.\n\nExamples:\n  dagx wipe orders\n  dagx wipe 'group:raw' --data",
  },
  args: {
    ...globalArgs,
    selection: { type: "positional", required: true, description: "Selection of assets to wipe" },
    data: { type: "boolean", description: "Also delete the stored output files" },
  },
  async run({ args }) {
    return withProject(args, async ({ out, project, store }) => {
      const words = positionals(args);
      if (words.length === 0) throw new DagxError("USAGE", "wipe needs a selection: `dagx wipe orders` (use `dagx wipe '*'` for everything)");
      const keys = [...resolveSelected(project, words)];
      const st = args.data ? await readAssetState(project.graph, project.storage, store) : null;
      const n = await store.wipe(keys);
      let files = 0;
      if (st) {
        for (const k of keys) {
          const dir = assertInside(project.storage.dataRoot, join(project.storage.dataRoot, ...k.split("/")));
          if (st.latest.has(k)) files++;
          // only this asset's outputs: a prefixed key "a/b" lives inside "a/", so never remove the folder itself
          for (const f of ["data.parquet", "value.json"]) rmSync(join(dir, f), { force: true });
          for (const sub of safeList(dir)) if (sub.includes("=")) rmSync(join(dir, sub), { recursive: true, force: true });
        }
      }
      if (out.json) out.data({ wiped: keys, materializations: n, outputsDeleted: files });
      else out.say(`Wiped ${keys.length} asset(s): ${n} materialization record(s) forgotten${args.data ? `, ${files} output(s) deleted` : ""}`);
      return 0;
    });
  },
});

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
