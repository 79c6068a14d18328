import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { defineCommand } from "citty";
import { loadProject, mayHaveRowTypes, openProjectState, sqlAssetRowTypes, TYPES_REL_PATH, writeTypeDeclarations } from "../../io/project/index.ts";
import { globalArgs } from "../args.ts";
import { baseContext, projectRoot } from "../context.ts";
import { VERSION } from "../version.ts";

export default defineCommand({
  meta: {
    name: "types",
    description: `Write the type declarations of the "dagx" module (default ${TYPES_REL_PATH}), so editors and tsc type-check asset files. Run it after a fresh clone or a dagx upgrade.\n\nExamples:\n  dagx types\n  dagx types --out types/dagx.d.ts`,
  },
  args: {
    ...globalArgs,
    out: { type: "string", alias: "o", description: `File to write (default: <project>/${TYPES_REL_PATH})`, valueHint: "FILE" },
  },
  async run(cmd) {
    const { args } = cmd;
    const base = baseContext(cmd);
    const { out, terminal } = base;
    const root = projectRoot(cmd, base);
    const file = args.out ? resolve(terminal.cwd, args.out) : join(root, TYPES_REL_PATH);
    const sqlAssets = await sqlRowTypes(root);
    const r = writeTypeDeclarations(root, { version: VERSION, file, sqlAssets });
    if (out.json) {
      out.data({ path: r.path, changed: r.changed, bytes: r.bytes });
      return 0;
    }
    const { c } = out;
    out.print(`${r.changed ? c.green("Wrote") : "Up to date:"} ${relative(terminal.cwd, r.path) || r.path} ${c.dim(`(dagx ${VERSION})`)}`);
    const tsconfig = join(root, "tsconfig.json");
    const mapped = existsSync(tsconfig) && readFileSync(tsconfig, "utf8").includes(relative(root, r.path));
    if (!mapped) {
      out.say(c.dim(`Point "dagx" at it in tsconfig.json: "compilerOptions": { "paths": { "dagx": ["./${relative(root, r.path)}"] } }`));
    }
    return 0;
  },
});

/**
 * Row types of the project's SQL assets and dbt outs (for `ref("key")`), when it has any: from the
 * last materializations, else a DESCRIBE of each SQL asset's query. A project that does not load gets none.
 */
async function sqlRowTypes(root: string): Promise<Record<string, Record<string, string>>> {
  if (!mayHaveRowTypes(root)) return {};
  try {
    const project = await loadProject(root, { exactRoot: true, now: () => performance.now() });
    const store = openProjectState(project);
    try {
      return await sqlAssetRowTypes(project, store);
    } finally {
      await store.close();
    }
  } catch {
    return {};
  }
}
