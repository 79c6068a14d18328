/**
 * Backfill progress: a bar on a TTY (done/total, running, failed, ETA), a plain line every few
 * seconds otherwise. Failures always get their own line.
 */
import { formatDuration } from "../core/duration.ts";
import { stepLabel, type StepResult } from "../core/execute.ts";
import type { Plan, PlanStep } from "../core/plan.ts";
import type { RunReporter } from "../io/run/index.ts";
import { indent, type Output } from "./output.ts";

export interface BackfillProgress extends RunReporter {
  stop(): void;
}

export function createBackfillProgress(out: Output, plainEveryMs = 5000): BackfillProgress {
  const { c } = out;
  const { live } = out;
  let total = 0;
  let done = 0;
  let failed = 0;
  let running = 0;
  let started = 0;
  let timer: ReturnType<typeof setInterval> | null = null;
  let lastPlain = 0;
  const eta = () => {
    if (done === 0) return "…";
    const per = (Date.now() - started) / done;
    return formatDuration(per * (total - done));
  };
  const text = () => `${done}/${total} done · ${running} running · ${failed} failed · ETA ${eta()}`;
  const draw = () => {
    if (!live) return;
    const width = 24;
    const filled = total ? Math.round((done / total) * width) : 0;
    out.redraw(`\r\x1b[K${c.cyan("█".repeat(filled))}${c.dim("░".repeat(width - filled))} ${text()}`);
  };
  const say = (line: string) => {
    if (live) out.redraw("\r\x1b[K");
    out.say(line);
    draw();
  };
  return {
    onPlan(plan: Plan, runId: string | null) {
      total = plan.steps.reduce((n, s) => n + (s.partitionKeys?.length ?? 1), 0);
      started = Date.now();
      if (runId === null) return;
      out.say(`${c.bold("Backfill")} ${total} partition step(s) ${c.dim(`run ${runId}`)}`);
      timer = setInterval(() => {
        if (live) draw();
        else if (Date.now() - lastPlain >= plainEveryMs) {
          lastPlain = Date.now();
          out.say(`backfill ${text()}`);
        }
      }, live ? 100 : 250);
    },
    onStepStart() {
      running++;
    },
    onStepEnd(step: PlanStep, r: StepResult) {
      running = Math.max(0, running - (r.status === "skipped" && r.durationMs === 0 ? 0 : 1));
      done += step.partitionKeys?.length ?? 1;
      if (r.status === "failed") {
        failed += step.partitionKeys?.length ?? 1;
        say(`${c.red("✗")} ${stepLabel(step)} ${c.red("failed")}: ${r.error}`);
        if (out.verbose && r.detail) say(c.dim(indent(r.detail)));
      }
    },
    onLog(key, level, message) {
      if (level === "error" || level === "warn" || out.verbose) say(`  ${c.dim(`${key} │`)} ${level} ${message}`);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      if (live) out.redraw("\r\x1b[K");
    },
  };
}
