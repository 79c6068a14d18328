/**
 * The Pipes parameter encoding: JSON, zlib-compressed, base64 — what `DAGSTER_PIPES_CONTEXT` and
 * `DAGSTER_PIPES_MESSAGES` hold (the `dagster-pipes` client decodes it with `decode_param`).
 */
// node:zlib is loaded when a Pipes step runs, not by every run that could have one: importing it
// maps up to 6 MB of Bun's code and data (less in dagx, which runs much of the same code anyway;
// docs/benchmarks.md, "Memory: code pages and the SQL pipeline"). Not Bun.deflateSync: it writes
// raw DEFLATE only, and the protocol is zlib's format.
const zlib = (): typeof import("node:zlib") => require("node:zlib");

/** base64(zlib(JSON(value))). */
export function encodePipesParam(value: unknown): string {
  return zlib().deflateSync(Buffer.from(JSON.stringify(value), "utf8")).toString("base64");
}

/** The inverse of encodePipesParam; throws on a value that is not one. */
export function decodePipesParam(text: string): unknown {
  return JSON.parse(zlib().inflateSync(Buffer.from(text, "base64")).toString("utf8"));
}
