import { existsSync, mkdirSync, statSync } from "node:fs";
import { basename, isAbsolute, relative, resolve } from "node:path";
import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { writeScaffold } from "../../io/project/index.ts";
import { TYPES_REL_PATH, writeTypeDeclarations } from "../../io/project/index.ts";
import { globalArgs, positionals } from "../args.ts";
import { baseContext } from "../context.ts";
import { VERSION } from "../version.ts";

export default defineCommand({
  meta: {
    name: "init",
    description:
      "Scaffold a working project: dagx.config.ts, sample data, two asset files, tsconfig.json (with the \"dagx\" types), .gitignore and a README. Never overwrites files unless --force.\n\nExamples:\n  dagx init shop && cd shop && dagx materialize\n  dagx init            (in the current folder)",
  },
  args: {
    ...globalArgs,
    dir: { type: "positional", required: false, description: "Folder to create the project in (default: the current folder)" },
    force: { type: "boolean", description: "Overwrite files that already exist" },
  },
  async run(cmd) {
    const { args } = cmd;
    const { out, terminal } = baseContext(cmd);
    const base = resolve(terminal.cwd, args.cwd ?? ".");
    const words = positionals(args);
    if (words.length > 1) throw new DagxError("USAGE", `Too many arguments: ${words.map((w) => `"${w}"`).join(" ")}: dagx init takes one folder, e.g. dagx init shop`);
    const dir = resolve(base, words[0] ?? ".");
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new DagxError("USAGE", `Cannot create a project in "${dir}": it is a file: choose a folder name, e.g. dagx init shop`);
    mkdirSync(dir, { recursive: true });
    const { written, overwritten } = writeScaffold(dir, basename(dir), { force: Boolean(args.force) });
    const types = writeTypeDeclarations(dir, { version: VERSION });
    const files = [...written, TYPES_REL_PATH];
    if (out.json) {
      out.data({ root: dir, created: files, overwritten });
      return 0;
    }
    const { c } = out;
    const rel = relative(base, dir);
    const shown = rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? dir : rel;
    out.print(`${c.green("Created")} a dagx project in ${c.bold(shown === "." ? dir : shown)}`);
    for (const f of files) out.print(`  ${f}${overwritten.includes(f) ? c.yellow(" (overwritten)") : ""}${f === TYPES_REL_PATH ? c.dim(` (types for your editor, ${Math.round(types.bytes / 1024)} KB)`) : ""}`);
    out.say("");
    out.say("Next:");
    if (shown !== ".") out.say(`  cd ${shown.includes(" ") ? JSON.stringify(shown) : shown}`);
    out.say("  dagx materialize");
    out.say('  dagx query "select * from daily_revenue order by day desc limit 5"');
    out.say(c.dim("  dagx lineage orders · dagx status · dagx --help"));
    return 0;
  },
});
