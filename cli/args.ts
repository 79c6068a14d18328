/** Flags shared by several commands, declared once, and the parsing of their values. */
import { DagxError } from "../core/errors.ts";

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

/** `-j N`: steps at once (materialize, backfill; dev and daemon say their own default). */
export const concurrencyArg = { type: "string", alias: "j", description: "Steps at once (default: config or CPU count)", valueHint: "N" } as const;

/** `--partition KEY` and `--partitions RANGE` (materialize, check). */
export const partitionArgs = {
  partition: { type: "string", description: "One partition key of the partitioned assets", valueHint: "KEY" },
  partitions: { type: "string", description: "Partition range: A..B, prefixes (2024-01..2024-03), lists, latest, missing, failed, date=…,region=…", valueHint: "RANGE" },
} as const;

/** The repeatable `--tag KEY=VALUE` flag. */
export const tagArg = { type: "string", description: "Run tag KEY=VALUE (repeatable)", valueHint: "KEY=VALUE" } as const;

/** `--config ASSET.FIELD=VALUE` (repeatable) and `--config-file PATH`: a run's config (materialize, backfill). */
export const configArgs = {
  config: { type: "string", description: "Run config of an asset's field, ASSET.FIELD=VALUE (repeatable; VALUE is JSON when it parses, else text)", valueHint: "ASSET.FIELD=VALUE" },
  "config-file": { type: "string", description: 'Run config from a JSON file: { "<asset key>": { "<field>": value } } (--config values override it)', valueHint: "PATH" },
} as const;

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

/** The value of a `--NAME N` flag: a whole number ≥ 1, `fallback` when not given. */
export function wholeNumberArg(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new DagxError("USAGE", `Invalid --${name} "${value}": expected a whole number ≥ 1`);
  return n;
}

/** `--concurrency N`, else the config's, else one step per CPU. */
export function concurrencyOf(value: string | undefined, configured?: number): number {
  return wholeNumberArg(value, "concurrency", configured ?? navigator.hardwareConcurrency ?? 4);
}

/** `--partition KEY` is an exact key (quoted for the range grammar); `--partitions` a range. */
export function partitionSelectionOf(one: string | undefined, range: string | undefined): string | null {
  if (one !== undefined && range !== undefined) throw new DagxError("USAGE", "Give either --partition KEY or --partitions RANGE, not both");
  if (one !== undefined) return `"${one.replaceAll('"', '""')}"`;
  return range ?? null;
}

/** `--queue`, `--queue-name NAME`, `--detach`: hand the run to `dagx worker` processes (io/queue). */
export const queueArgs = {
  queue: { type: "boolean", description: "Enqueue the run for `dagx worker` processes (needs a Postgres state) and follow it live" },
  "queue-name": { type: "string", description: "With --queue: the queue (default \"default\"; workers take one with `dagx worker --queue NAME`)", valueHint: "NAME" },
  detach: { type: "boolean", description: "With --queue: print the run id and return at once" },
} as const;

/** The queue a command's run goes to, null to run it here; a usage error (exit 2) without a Postgres state. */
export function queueFlags(args: { queue?: boolean; "queue-name"?: string; detach?: boolean }, stateUrl: string | null, command: string): { url: string; name: string; detach: boolean } | null {
  const wanted = Boolean(args.queue) || args["queue-name"] !== undefined;
  if (!wanted) {
    if (args.detach) throw new DagxError("USAGE", `--detach returns while workers run the run: use it with --queue (dagx ${command} … --queue --detach)`);
    return null;
  }
  if (!stateUrl) {
    throw new DagxError("USAGE", `--queue needs a Postgres state: the queue and the results live there so that \`dagx worker\` processes on other machines can share them, and this project keeps its state in .dagx/state.duckdb. Set DAGX_STATE_URL=postgres://user:password@host:5432/db (or \`state\` in dagx.config.ts), or run without --queue (docs/workers.md)`);
  }
  const name = args["queue-name"]?.trim() || "default";
  return { url: stateUrl, name, detach: Boolean(args.detach) };
}
