/** Flags every command takes. */
export const globalArgs = {
  cwd: { type: "string", alias: "C", description: "Project root (default: nearest folder upward with dagx.config.ts or .dagx/)", valueHint: "DIR" },
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
