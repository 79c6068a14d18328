import { DagxError } from "./errors.ts";
import { quoteIdent } from "./sql.ts";

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** An asset key: path segments, `a/b` as a string. */
export class AssetKey {
  readonly path: readonly string[];
  constructor(path: readonly string[]) {
    this.path = path;
  }
  static parse(text: string): AssetKey {
    return new AssetKey(text.split("/"));
  }
  toString(): string {
    return this.path.join("/");
  }
  /** The SQL name of the view `dagx query` mounts: `a.b` for `a/b` (schema.view). */
  toSqlName(): string {
    return this.path.map(quoteIdent).join(".");
  }
}

/** Why a key string is invalid, or null when it is fine. Keys become folder names, so they are strict. */
export function keyProblem(key: string): string | null {
  if (key.length === 0) return "it is empty";
  if (key.length > 255) return "it is longer than 255 characters";
  for (const seg of key.split("/")) {
    if (seg === "" ) return "it has an empty segment (`//` or a leading/trailing `/`)";
    if (seg === "." || seg === ".." || seg.includes("..")) return `segment "${seg}" contains ".."`;
    if (!SEGMENT.test(seg)) return `segment "${seg}" may only contain letters, digits, "_", "-" and "." and must not start with "." or "-"`;
  }
  return null;
}

/** Throw a usage error when `key` is not a valid asset key. */
export function assertValidKey(key: string, where: string): void {
  const p = keyProblem(key);
  if (p) throw new DagxError("DEFINITION_INVALID", `Invalid asset key "${key}" ${where}: ${p}`);
}
