/**
 * Names of definitions: `partitionsId` (stable, complete: compare two to detect "partitions
 * definition changed") and `partitionsLabel` (short, for messages).
 */
import { hashString } from "./_hash.ts";
import { DEFAULT_FMT } from "./time-windows.ts";
import type { PartitionsDef, TimeWindowPartitionsDef } from "./types.ts";

const LABEL_KEYS = 4;

/** A stable string naming every property of the definition that shapes its keys and windows. */
export function partitionsId(def: PartitionsDef): string {
  switch (def.kind) {
    case "time": {
      const week = def.cadence === "weekly" ? `,weekStartsOn=${def.weekStartsOn}` : "";
      return `${def.cadence}(start=${def.start},end=${def.end ?? ""},timezone=${def.timezone},fmt=${def.fmt},endOffset=${def.endOffset}${week})`;
    }
    case "static":
      return `static(${def.keys.length}:${hashString(def.keys.join("\n"))})`;
    case "dynamic":
      return `dynamic(${def.name})`;
    case "multi":
      return `multi(${def.names.map((n) => `${n}=${partitionsId(def.dimensions[n]!)}`).join(";")})`;
  }
}

/** A short human description: `daily(start=2024-01-01)`, `staticPartitions(eu, us)`. */
export function partitionsLabel(def: PartitionsDef): string {
  switch (def.kind) {
    case "time":
      return `${def.cadence}(${timeOptions(def).join(", ")})`;
    case "static": {
      const shown = def.keys.slice(0, LABEL_KEYS).join(", ");
      const more = def.keys.length > LABEL_KEYS ? `, … ${def.keys.length - LABEL_KEYS} more` : "";
      return `staticPartitions(${shown}${more})`;
    }
    case "dynamic":
      return `dynamicPartitions(${def.name})`;
    case "multi":
      return `multiPartitions(${def.names.map((n) => `${n}: ${partitionsLabel(def.dimensions[n]!)}`).join(", ")})`;
  }
}

function timeOptions(def: TimeWindowPartitionsDef): string[] {
  const out = [`start=${def.start}`];
  if (def.end !== null) out.push(`end=${def.end}`);
  if (def.timezone !== "UTC") out.push(`timezone=${def.timezone}`);
  if (def.fmt !== DEFAULT_FMT[def.cadence]) out.push(`fmt=${def.fmt}`);
  if (def.endOffset !== 0) out.push(`endOffset=${def.endOffset}`);
  if (def.cadence === "weekly" && def.weekStartsOn !== 1) out.push(`weekStartsOn=${def.weekStartsOn}`);
  return out;
}
