/**
 * Parse and validate one line of the messages file. A line that is not a Pipes message, or a
 * message whose params have the wrong shape, is a problem the caller logs (the process goes on):
 * the protocol is a boundary, and nothing from the other side is trusted.
 */
import { PIPES_METHODS, PIPES_PROTOCOL_VERSION, type PipesException, type PipesMessage, type PipesMetadataValue } from "./protocol.ts";

export type ParsedLine = { ok: true; message: PipesMessage } | { ok: false; problem: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const optString = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** Parse one JSON line of the messages file (an empty line gives null). */
export function parsePipesLine(line: string): ParsedLine | null {
  const text = line.trim();
  if (text === "") return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problem: `not JSON: ${clip(text)}` };
  }
  if (!isObj(raw)) return { ok: false, problem: `not a JSON object: ${clip(text)}` };
  const version = raw.__dagster_pipes_version;
  if (typeof version !== "string") return { ok: false, problem: `no "__dagster_pipes_version": ${clip(text)}` };
  if (version.split(".")[0] !== PIPES_PROTOCOL_VERSION.split(".")[0]) {
    return { ok: false, problem: `protocol version "${version}" is not supported (dagx speaks "${PIPES_PROTOCOL_VERSION}")` };
  }
  const method = raw.method;
  if (typeof method !== "string" || !(PIPES_METHODS as readonly string[]).includes(method)) {
    return { ok: false, problem: `unknown method ${JSON.stringify(method)} (known: ${PIPES_METHODS.join(", ")})` };
  }
  const params = raw.params ?? {};
  if (!isObj(params)) return { ok: false, problem: `"${method}": params must be an object or null` };
  const bad = (why: string): ParsedLine => ({ ok: false, problem: `"${method}": ${why}` });
  switch (method) {
    case "opened":
      return { ok: true, message: { method, extras: isObj(params.extras) ? params.extras : {} } };
    case "closed": {
      if (params.exception === undefined || params.exception === null) return { ok: true, message: { method, exception: null } };
      const exception = toException(params.exception, 0);
      return exception ? { ok: true, message: { method, exception } } : bad("exception must be an object with a message");
    }
    case "log":
      if (typeof params.message !== "string") return bad("message must be a string");
      return { ok: true, message: { method, message: params.message, level: typeof params.level === "string" ? params.level : "INFO" } };
    case "report_asset_materialization": {
      const metadata = toMetadata(params.metadata);
      if (metadata === null) return bad("metadata must be an object of { raw_value, type } entries");
      if (params.data_version !== undefined && params.data_version !== null && typeof params.data_version !== "string") return bad("data_version must be a string");
      return { ok: true, message: { method, assetKey: optString(params.asset_key), dataVersion: optString(params.data_version), metadata } };
    }
    case "report_asset_check": {
      if (typeof params.check_name !== "string" || params.check_name === "") return bad("check_name must be a non-empty string");
      if (typeof params.passed !== "boolean") return bad("passed must be true or false");
      const severity = params.severity ?? "ERROR";
      if (severity !== "ERROR" && severity !== "WARN") return bad(`severity must be "ERROR" or "WARN", not ${JSON.stringify(severity)}`);
      const metadata = toMetadata(params.metadata);
      if (metadata === null) return bad("metadata must be an object of { raw_value, type } entries");
      return { ok: true, message: { method, assetKey: optString(params.asset_key), checkName: params.check_name, passed: params.passed, severity, metadata } };
    }
    case "report_custom_message":
      return { ok: true, message: { method, payload: params.payload ?? null } };
    case "log_external_stream":
      if (typeof params.text !== "string") return bad("text must be a string");
      return { ok: true, message: { method, stream: typeof params.stream === "string" ? params.stream : "stdout", text: params.text, extras: isObj(params.extras) ? params.extras : {} } };
  }
  return bad("unhandled");
}

/** Metadata entries; a bare value (a hand-written client) counts as `__infer__`. Null when not an object. */
function toMetadata(v: unknown): Record<string, PipesMetadataValue> | null {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) return null;
  const out: Record<string, PipesMetadataValue> = {};
  for (const [k, e] of Object.entries(v)) {
    out[k] = isObj(e) && "raw_value" in e && typeof e.type === "string" ? { raw_value: e.raw_value, type: e.type } : { raw_value: e, type: "__infer__" };
  }
  return out;
}

function toException(v: unknown, depth: number): PipesException | null {
  if (!isObj(v) || depth > 8) return null;
  const message = typeof v.message === "string" ? v.message : "";
  const name = optString(v.name);
  if (message === "" && name === null) return null;
  return {
    name,
    message,
    stack: Array.isArray(v.stack) ? v.stack.filter((s): s is string => typeof s === "string") : [],
    cause: toException(v.cause, depth + 1),
    context: toException(v.context, depth + 1),
  };
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
