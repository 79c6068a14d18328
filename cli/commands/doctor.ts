import { defineCommand } from "citty";
import { createDoctorContext, DOCTOR_CHECKS, type DoctorStatus, runDoctor } from "../../io/doctor/index.ts";
import { globalArgs } from "../args.ts";
import { baseContext } from "../context.ts";
import { formatTable } from "../output.ts";
import { VERSION, versionInfo } from "../version.ts";

export default defineCommand({
  meta: {
    name: "doctor",
    description:
      "Check the environment dagx runs in: platform and binary, DuckDB (loads, version, its cache folder), the project root, a writable .dagx, the state file (readable, schema version), free disk space. Imports no asset file and changes nothing (a probe file in .dagx is created and removed). Exit 1 when a check fails.\n\nExamples:\n  dagx doctor\n  dagx doctor --json     (attach this to a bug report)",
  },
  args: { ...globalArgs },
  async run(cmd) {
    const { out, terminal } = baseContext(cmd);
    const ctx = createDoctorContext({ version: VERSION, cwd: terminal.cwd, cwdFlag: cmd.args.cwd, env: terminal.env });
    const report = await runDoctor(ctx, DOCTOR_CHECKS);
    const code = report.status === "fail" ? 1 : 0;
    if (out.json) {
      out.data({ status: report.status, ...versionInfo(), checks: report.checks.map((r) => ({ name: r.name, status: r.status, detail: r.detail, fix: r.fix ?? null, ms: r.ms })) });
      return code;
    }
    const { c } = out;
    const paint: Record<DoctorStatus, (s: string) => string> = { ok: c.green, warn: c.yellow, fail: c.red, skip: c.dim };
    out.print(formatTable(["CHECK", "STATUS", "DETAIL"], report.checks.map((r) => [r.name, paint[r.status](r.status), r.detail]), c));
    const fixes = report.checks.filter((r) => r.fix);
    if (fixes.length > 0) out.print("");
    for (const r of fixes) out.print(`${paint[r.status](r.name)}: ${r.fix}`);
    const count = (s: DoctorStatus) => report.checks.filter((r) => r.status === s).length;
    out.say(c.dim(`${count("ok")} ok, ${count("warn")} warning${count("warn") === 1 ? "" : "s"}, ${count("fail")} failed${count("skip") ? `, ${count("skip")} skipped` : ""}`));
    return code;
  },
});
