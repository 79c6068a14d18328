/** Run the checks in order (a later check may rely on what an earlier one loaded, e.g. DuckDB); a check that throws is a fail. */
import type { DoctorCheck, DoctorContext, DoctorReport, DoctorResult } from "./types.ts";

export async function runDoctor(ctx: DoctorContext, checks: readonly DoctorCheck[]): Promise<DoctorReport> {
  const results: DoctorReport["checks"] = [];
  for (const check of checks) {
    const t0 = performance.now();
    let result: DoctorResult;
    try {
      result = await check.run(ctx);
    } catch (error) {
      result = { status: "fail", detail: `the check itself failed: ${error instanceof Error ? error.message : String(error)}`, fix: "report this with the output of `dagx doctor --json`" };
    }
    results.push({ name: check.name, ...result, ms: Math.round(performance.now() - t0) });
  }
  const worst = results.some((r) => r.status === "fail") ? "fail" : results.some((r) => r.status === "warn") ? "warn" : "ok";
  return { status: worst, checks: results };
}
