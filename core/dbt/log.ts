/**
 * dbt's JSON log (`--log-format json`, one object per line) → per-node results (pure).
 *
 * dagx reads the result events dbt writes as each node finishes — `LogModelResult`,
 * `LogSeedResult`, `LogSnapshotResult`, `LogTestResult` — from their `data.node_info`, so a
 * run's events appear while dbt is still building. Other lines (and non-JSON lines, such as a
 * Python traceback) give undefined; `run_results.json` remains the record read at the end.
 */

/** One node's outcome as dbt reports it while building. */
export interface DbtNodeResult {
  readonly uniqueId: string;
  readonly resourceType: string;
  /** dbt's status: `success`, `error`, `skipped` for models/seeds/snapshots; `pass`, `warn`, `fail`, `error` for tests. */
  readonly status: string;
  /** Seconds dbt spent on the node. */
  readonly executionTime?: number;
  /** Rows affected, when the adapter reports them. */
  readonly rows?: number;
  /** Failing rows of a test. */
  readonly failures?: number;
  /** dbt's message (the error for a failed node). */
  readonly message?: string;
  /** For a test: the node it checks. */
  readonly attachedNode?: string;
}

const RESULT_EVENTS = new Set(["LogModelResult", "LogSeedResult", "LogSnapshotResult", "LogTestResult"]);

/** Parses one line of dbt's JSON log; undefined unless it is a node's result. */
export function parseDbtLogLine(line: string): DbtNodeResult | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  let event: { info?: { name?: string; msg?: string }; data?: Record<string, unknown> };
  try {
    event = JSON.parse(text);
  } catch {
    return undefined;
  }
  const name = event.info?.name;
  if (!name || !RESULT_EVENTS.has(name) || !event.data) return undefined;
  const data = event.data;
  const info = (data.node_info ?? {}) as Record<string, unknown>;
  const uniqueId = typeof info.unique_id === "string" ? info.unique_id : undefined;
  if (!uniqueId) return undefined;
  const status = String(info.node_status ?? data.status ?? "unknown").toLowerCase(); // data.status of a model is the adapter's "OK"
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const executionTime = num(data.execution_time);
  const failures = num(data.num_failures);
  const rows = num((data.adapter_response as Record<string, unknown> | undefined)?.rows_affected);
  // dbt's summary line, without its terminal colours; the full error is in run_results.json
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes
  const message = status === "success" || status === "pass" ? undefined : event.info?.msg?.replace(/\u001b\[[0-9;]*m/g, "");
  return {
    uniqueId,
    resourceType: String(info.resource_type ?? uniqueId.split(".")[0]),
    status,
    ...(executionTime !== undefined ? { executionTime } : {}),
    ...(rows !== undefined ? { rows } : {}),
    ...(failures !== undefined ? { failures } : {}),
    ...(message ? { message } : {}),
    ...(typeof data.attached_node === "string" ? { attachedNode: data.attached_node } : {}),
  };
}
