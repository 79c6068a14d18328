/**
 * Checking what a sensor function returned, before io acts on it: every shape problem becomes one
 * message naming the sensor and the field, so a typo fails the tick instead of doing nothing.
 */
import { dynamicKeyProblem, parsePartitionSelection } from "../partitions/index.ts";
import { didYouMean } from "../suggest.ts";
import { lowerFirst } from "./_definition-checks.ts";
import { describeValue } from "../describe.ts";
import { selectItems } from "./_select.ts";
import type { NormalizedRequest, SensorInfo } from "./types.ts";

export type NormalizedSensorResult =
  | {
      ok: true;
      requests: NormalizedRequest[];
      /** The new cursor; `undefined` keeps the saved one, `null` clears it. */
      cursor: string | null | undefined;
      addPartitions: { name: string; keys: string[] }[];
      skipReason: string | null;
    }
  | { ok: false; error: string };

const RESULT_FIELDS = ["runRequests", "cursor", "addPartitions", "skipReason"];
const REQUEST_FIELDS = ["select", "partitions", "runKey", "tags", "config"];

class Invalid extends Error {}

/** Validate a sensor function's return value and apply defaults (a request's `select` defaults to the sensor's). */
export function normalizeSensorResult(raw: unknown, sensor: Pick<SensorInfo, "name" | "select">): NormalizedSensorResult {
  if (raw === undefined || raw === null) return { ok: true, requests: [], cursor: undefined, addPartitions: [], skipReason: null };
  try {
    const r = record(raw, "the result", RESULT_FIELDS, Array.isArray(raw) ? " — return { runRequests: [...] }" : "");
    const requests = optionalArray(r.runRequests, "runRequests").map((x, i) => request(x, `runRequests[${i}]`, sensor));
    if (r.cursor !== undefined && r.cursor !== null && typeof r.cursor !== "string") {
      throw new Invalid(`cursor must be a string or null (got ${describeValue(r.cursor)}): serialize it, e.g. JSON.stringify(state)`);
    }
    const addPartitions = optionalArray(r.addPartitions, "addPartitions").map((x, i) => partitionsToAdd(x, `addPartitions[${i}]`));
    if (r.skipReason !== undefined && typeof r.skipReason !== "string") throw new Invalid(`skipReason must be a string (got ${describeValue(r.skipReason)})`);
    return { ok: true, requests, cursor: r.cursor as string | null | undefined, addPartitions, skipReason: (r.skipReason as string | undefined) ?? null };
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    return { ok: false, error: `Sensor "${sensor.name}" returned an invalid result: ${e.message}` };
  }
}

/**
 * Split requests into those to run and those whose run key already ran (`alreadyUsed`, scoped to
 * the sensor by io) or repeats an earlier request of the same batch. Requests without a run key always run.
 */
export function dedupeRunKeys<R extends { runKey: string | null }>(requests: readonly R[], alreadyUsed: (runKey: string) => boolean): { toRun: R[]; duplicates: R[] } {
  const seen = new Set<string>();
  const toRun: R[] = [];
  const duplicates: R[] = [];
  for (const r of requests) {
    if (r.runKey === null) toRun.push(r);
    else if (seen.has(r.runKey) || alreadyUsed(r.runKey)) duplicates.push(r);
    else {
      seen.add(r.runKey);
      toRun.push(r);
    }
  }
  return { toRun, duplicates };
}

function request(raw: unknown, at: string, sensor: Pick<SensorInfo, "name" | "select">): NormalizedRequest {
  const r = record(raw, at, REQUEST_FIELDS, "");
  let select = sensor.select;
  if (r.select !== undefined) {
    const s = selectItems(r.select);
    if ("problem" in s) throw new Invalid(`${at}.${s.problem}`);
    select = s.items;
  }
  if (select === null) throw new Invalid(`${at} has no select and the sensor has none: add select to the request or to the sensor's options`);
  const partitions = optionalString(r.partitions, `${at}.partitions`);
  if (partitions !== null) {
    try {
      parsePartitionSelection(partitions);
    } catch (e) {
      throw new Invalid(`${at}.partitions "${partitions}": ${lowerFirst((e as Error).message)}`);
    }
  }
  const runKey = optionalString(r.runKey, `${at}.runKey`);
  if (runKey === "") throw new Invalid(`${at}.runKey is empty: give a key unique to the work, like the file name`);
  const tags = r.tags ?? {};
  if (typeof tags !== "object" || tags === null || Array.isArray(tags) || !Object.values(tags).every((v) => typeof v === "string")) {
    throw new Invalid(`${at}.tags must be an object of strings (got ${describeValue(r.tags)})`);
  }
  const config = r.config;
  if (config !== undefined && (typeof config !== "object" || config === null || Array.isArray(config))) {
    throw new Invalid(`${at}.config must be an object of config by asset key, like { orders: { limit: 10 } } (got ${describeValue(config)})`);
  }
  return { select, partitions, runKey, tags: { ...(tags as Record<string, string>) }, ...(config ? { config: structuredClone(config as Record<string, unknown>) } : {}) };
}

function partitionsToAdd(raw: unknown, at: string): { name: string; keys: string[] } {
  const r = record(raw, at, ["name", "keys"], "");
  if (typeof r.name !== "string" || r.name === "") throw new Invalid(`${at}.name must be the name of a dynamicPartitions() definition (got ${describeValue(r.name)})`);
  if (!Array.isArray(r.keys)) throw new Invalid(`${at}.keys must be an array of strings (got ${describeValue(r.keys)})`);
  for (const [i, key] of r.keys.entries()) {
    if (typeof key !== "string") throw new Invalid(`${at}.keys[${i}] must be a string (got ${describeValue(key)})`);
    const problem = dynamicKeyProblem(key);
    if (problem) throw new Invalid(`${at}.keys[${i}] "${key}" cannot be a partition key: ${problem}`);
  }
  return { name: r.name, keys: [...(r.keys as string[])] };
}

function record(raw: unknown, at: string, fields: readonly string[], hint: string): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Invalid(`${at} must be an object (got ${describeValue(raw)})${hint}`);
  for (const name of Object.keys(raw)) {
    if (!fields.includes(name)) {
      const fix = didYouMean(name, fields) || ` — known fields: ${fields.join(", ")}`;
      throw new Invalid(`${at === "the result" ? "" : `${at}: `}unknown field "${name}"${fix}`);
    }
  }
  return raw as Record<string, unknown>;
}

function optionalArray(value: unknown, at: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Invalid(`${at} must be an array (got ${describeValue(value)})`);
  return value;
}

function optionalString(value: unknown, at: string): string | null {
  if (value === undefined) return null;
  if (typeof value !== "string") throw new Invalid(`${at} must be a string (got ${describeValue(value)})`);
  return value;
}
