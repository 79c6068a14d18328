/** `select` values (a selection string, an asset definition, or a list of them) as a checked list. */
import { isAssetDef } from "../asset.ts";
import { describeValue } from "../describe.ts";
import type { SelectItem } from "./types.ts";

/** `value` as a non-empty list of select items, or why it is not one. */
export function selectItems(value: unknown): { items: SelectItem[] } | { problem: string } {
  const list: readonly unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) return { problem: "select is an empty list: name at least one asset or selection" };
  for (const [i, item] of list.entries()) {
    const at = Array.isArray(value) ? `select[${i}]` : "select";
    if (typeof item === "string") {
      if (item.trim() === "") return { problem: `${at} is an empty string: give a selection like "orders+" or "group:raw"` };
    } else if (!isAssetDef(item)) {
      return { problem: `${at} must be a selection string or an asset definition (got ${describeValue(item)})` };
    }
  }
  return { items: list as SelectItem[] };
}
