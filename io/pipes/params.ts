/**
 * The Pipes parameter encoding: JSON, zlib-compressed, base64 — what `DAGSTER_PIPES_CONTEXT` and
 * `DAGSTER_PIPES_MESSAGES` hold (the `dagster-pipes` client decodes it with `decode_param`).
 */
import { deflateSync, inflateSync } from "node:zlib";

/** base64(zlib(JSON(value))). */
export function encodePipesParam(value: unknown): string {
  return deflateSync(Buffer.from(JSON.stringify(value), "utf8")).toString("base64");
}

/** The inverse of encodePipesParam; throws on a value that is not one. */
export function decodePipesParam(text: string): unknown {
  return JSON.parse(inflateSync(Buffer.from(text, "base64")).toString("utf8"));
}
