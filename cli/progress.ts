/**
 * Run progress: on a TTY a live status line (done/total, running steps) under the step lines;
 * otherwise exactly one line per finished step, for logs and CI.
 */
import { formatDuration } from "../core/duration.ts";
import type { StepResult } from "../core/execute.ts";
import type { Plan, PlanStep } from "../core/plan.ts";
import type { RunOutcome, RunReporter } from "../io/run/index.ts";
import { formatRows, indent, type Output } from "./output.ts";
import { checkFailureLines } from "./check-format.ts";

const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface Progress extends RunReporter {
  stop(): void;
  summary(o: RunOutcome): void;
}

export function createProgress(out: Output, _root: string): Progress {
  const { c } = out;
  const { live } = out;
  const running = new Map<string, number>();
  let total = 0;
  let done = 0;
  let frame = 0;
  let timer: ReturnType<typeof setInterval> | null = null;
  let statusShown = false;

  const clearStatus = () => {
    if (statusShown) out.redraw("\r\x1b[K");
    statusShown = false;
  };
  const drawStatus = () => {
    if (!live || total === 0) return;
    const names = [...running.keys()].slice(0, 4).join(", ") + (running.size > 4 ? ` +${running.size - 4}` : "");
    const line = `${c.cyan(SPIN[frame++ % SPIN.length]!)} ${done}/${total} done${running.size ? c.dim(` · running ${names}`) : ""}`;
    out.redraw(`\r\x1b[K${line.slice(0, out.columns + 40)}`);
    statusShown = true;
  };
  const line = (text: string) => {
    clearStatus();
    out.say(text);
    drawStatus();
  };
  const label = (s: PlanStep) => (s.partitionKey ? `${s.key} [${s.partitionKey}]` : s.key);

  return {
    onPlan(plan: Plan, runId: string | null) {
      total = plan.steps.length;
      // assets --stale cannot run yet (an upstream without partitions): what waits and how to fix it
      // part of a dry run's plan (stdout), a note beside a real run's progress (stderr)
      const note = runId === null ? out.print : out.say;
      for (const w of plan.waiting ?? []) note(`${c.yellow("…")} ${w.key}: waits — ${w.reason}`);
      if (runId === null) {
        if (plan.steps.length === 0) {
          const waiting = plan.waiting?.length ? `, ${plan.waiting.length} waiting (above)` : "";
          out.print(plan.fresh.length || waiting ? `Nothing to do: ${plan.fresh.length} selected asset(s) are fresh${waiting}` : "Nothing to do: the selection is empty");
          return;
        }
        out.print(c.bold(`Plan: ${plan.steps.length} step(s)${plan.fresh.length ? `, ${plan.fresh.length} fresh asset(s) left out` : ""}`));
        plan.steps.forEach((s, i) => out.print(`  ${String(i + 1).padStart(3)}. ${label(s)}${s.after.length ? c.dim(` after ${s.after.join(", ")}`) : ""}${c.dim(`  (${s.reason})`)}`));
        return;
      }
      out.say(`${c.bold("Materializing")} ${plan.steps.length} asset(s)${plan.fresh.length ? c.dim(` (${plan.fresh.length} fresh left out)`) : ""} ${c.dim(`run ${runId}`)}`);
      if (live) timer = setInterval(drawStatus, 100);
    },
    onStepStart(s) {
      running.set(label(s), Date.now());
      drawStatus();
    },
    onStepEnd(s, r: StepResult) {
      running.delete(label(s));
      done++;
      if (r.status === "success") {
        const passed = r.checks?.filter((x) => x.passed).length ?? 0;
        const checks = r.checks?.length ? `${passed}/${r.checks.length} checks passed` : "";
        line(`${c.green("✓")} ${label(s)}  ${c.dim([formatRows(r.rows), formatDuration(r.durationMs), checks].filter(Boolean).join("  "))}`);
        for (const x of r.checks ?? []) for (const l of checkFailureLines(x, c, "  ")) line(l);
      }
      else if (r.status === "failed") {
        line(`${c.red("✗")} ${label(s)}  ${c.red("failed")}: ${r.error}`);
        if (out.verbose && r.detail) line(c.dim(indent(r.detail))); // e.g. the compiled SQL of a failed ctx.sql
      }
      else if (r.status === "skipped") line(`${c.dim("-")} ${label(s)}  ${c.dim(`skipped: ${r.reason}`)}`);
      else line(`${c.yellow("○")} ${label(s)}  ${c.yellow("canceled")}`);
    },
    onRetry(s, p) {
      line(`${c.yellow("↻")} ${label(s)}  retry ${p.attempt} in ${formatDuration(Number(p.delayMs))}: ${String(p.error).split("\n")[0]}`);
    },
    onLog(key, level, message) {
      const tag = level === "error" ? c.red(level) : level === "warn" ? c.yellow(level) : c.dim(level);
      line(`  ${c.dim(`${key} │`)} ${tag} ${message}`);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      clearStatus();
    },
    summary(o) {
      if (o.runId === null) return;
      const n = (st: StepResult["status"]) => o.steps.filter((s) => s.status === st).length;
      const checks = o.steps.flatMap((s) => (s.status === "success" ? (s.checks ?? []) : []));
      const failedChecks = checks.filter((x) => !x.passed && x.severity === "error").length;
      const warnedChecks = checks.filter((x) => !x.passed && x.severity === "warn").length;
      const checkNote = failedChecks + warnedChecks ? `, ${failedChecks} check(s) failed${warnedChecks ? `, ${warnedChecks} warned` : ""}` : "";
      const colour = o.status === "success" ? c.green : o.status === "canceled" ? c.yellow : c.red;
      out.print(
        `${colour(o.status === "success" ? "✔" : "✘")} Run ${o.runId} ${colour(o.status)} · ${n("success")} materialized, ${n("failed")} failed, ${n("skipped")} skipped${n("canceled") ? `, ${n("canceled")} canceled` : ""}${checkNote} · ${formatDuration(o.durationMs)}`,
      );
      if (o.status === "failed") out.say(c.dim(`Details: dagx logs ${o.runId}   Retry what is left: dagx materialize --stale`));
    },
  };
}
