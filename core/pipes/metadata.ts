/**
 * Pipes metadata (`{ raw_value, type }` per entry) → dagx metadata (plain JSON values, as
 * `ctx.output(value, { metadata })` records them). Numbers, text and booleans become themselves;
 * kinds with no plain form keep their type beside the value: `{ type: "url", value: "https://…" }`.
 * The table of types is in docs/pipes.md.
 */
import type { PipesMetadataValue } from "./protocol.ts";

/** Types whose raw value is kept as it is (after a type check). */
const PLAIN: Readonly<Record<string, (v: unknown) => boolean>> = {
  text: (v) => typeof v === "string",
  md: (v) => typeof v === "string",
  int: (v) => typeof v === "number" && Number.isInteger(v),
  float: (v) => typeof v === "number" || v === "NaN" || v === "Infinity" || v === "-Infinity",
  bool: (v) => typeof v === "boolean",
  null: (v) => v === null,
  json: () => true,
  __infer__: () => true,
};

/** Types kept as `{ type, value }`, so a viewer can link or render them. */
const TAGGED = new Set(["url", "path", "notebook", "dagster_run", "asset", "timestamp", "table", "table_schema", "table_column_lineage", "job"]);

export interface MappedMetadata {
  metadata: Record<string, unknown>;
  /** Entries whose value did not match their type or whose type is unknown (kept, and logged). */
  problems: string[];
}

/** Map a message's metadata to dagx metadata. */
export function pipesMetadataToDagx(entries: Readonly<Record<string, PipesMetadataValue>>): MappedMetadata {
  const metadata: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, { raw_value, type }] of Object.entries(entries)) {
    const plain = PLAIN[type];
    if (plain) {
      if (!plain(raw_value)) problems.push(`metadata "${name}": ${JSON.stringify(raw_value)} is not a "${type}" value`);
      metadata[name] = type === "float" && typeof raw_value === "string" ? Number(raw_value) : raw_value;
    } else if (TAGGED.has(type)) {
      metadata[name] = { type, value: raw_value };
    } else {
      problems.push(`metadata "${name}": unknown type "${type}" (kept as { type, value })`);
      metadata[name] = { type, value: raw_value };
    }
  }
  return { metadata, problems };
}
