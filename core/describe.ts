/** How values are named in messages: the one place for "a function", "an object", `"x"`. */

/** A short description of a value a user wrote (config, options): `5`, `"x"`, `an object`, `undefined`. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (value === null || value === undefined || typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "function" ? "a function" : typeof value === "object" ? "an object" : typeof value;
}

/** The type of a value user code returned, for messages: "a function", "a Map", "a bigint", "the number 5". */
export function describeType(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "function") return "a function";
  if (typeof v === "symbol") return "a symbol";
  if (typeof v === "bigint") return "a bigint";
  if (typeof v === "number") return `the number ${v}`;
  if (typeof v === "object") {
    const name = Object.getPrototypeOf(v)?.constructor?.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  return `a ${typeof v}`;
}
