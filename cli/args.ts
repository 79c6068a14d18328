/** Flags every command takes. */
export const globalArgs = {
  cwd: { type: "string", alias: "C", description: "The project root, exactly (default: the nearest folder upward with dagx.config.ts or .dagx/)", valueHint: "DIR" },
  json: { type: "boolean", description: "The result as JSON on stdout (progress and errors stay on stderr)" },
  verbose: { type: "boolean", alias: "v", description: "More detail, and stack traces for errors" },
  color: { type: "boolean", default: true, description: "Colour output (--no-color or NO_COLOR=1 turn it off)" },
} as const;

export interface GlobalFlags {
  cwd?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
}

/** Positional words of a command (citty puts extra positionals in `_`). */
export function positionals(args: { _: string[] }): string[] {
  return args._.filter((x) => x !== "");
}

/** Every value of a repeatable string flag, in order (`--tag a=1 --tag=b=2`); citty keeps only the last. */
export function repeatedFlag(rawArgs: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === "--") break;
    if (a === `--${name}` && i + 1 < rawArgs.length) values.push(rawArgs[++i]!);
    else if (a.startsWith(`--${name}=`)) values.push(a.slice(name.length + 3));
  }
  return values;
}

/** The repeatable `--tag KEY=VALUE` flag. */
export const tagArg = { type: "string", description: "Run tag KEY=VALUE (repeatable)", valueHint: "KEY=VALUE" } as const;
