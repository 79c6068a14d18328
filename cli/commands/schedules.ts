import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { croner } from "../../io/daemon/index.ts";
import { selectionResolver } from "../../core/instigators.ts";
import { globalArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";
import { instigatorState, pick, setStatus } from "../instigator-command.ts";
import { scheduleItemJson } from "../../io/reports/index.ts";
import { ago, formatTable } from "../output.ts";

export default defineCommand({
  meta: {
    name: "schedules",
    description: "Cron schedules exported by asset files: list, start, stop, preview (next ticks and what they select).\n\nExamples:\n  dagx schedules list\n  dagx schedules stop nightly\n  dagx schedules preview nightly --count 5 --json",
  },
  args: {
    ...globalArgs,
    action: { type: "positional", required: false, description: "list (default), start NAME, stop NAME, preview NAME" },
    count: { type: "string", description: "Ticks shown by preview (default 5)", valueHint: "N" },
  },
  async run(cmd) {
    const { args } = cmd;
    const [action = "list", name] = positionals(args);
    return withProject(cmd, async ({ out, project, store }) => {
      const schedules = project.instigators.schedules;
      const states = await instigatorState(store, "schedule", schedules);
      if (action === "start" || action === "stop") return setStatus(out, store, "schedule", pick("schedule", schedules, name), action === "start" ? "running" : "stopped");
      if (action === "preview") {
        const s = pick("schedule", schedules, name);
        const n = args.count ? Number(args.count) : 5;
        if (!Number.isInteger(n) || n < 1 || n > 1000) throw new DagxError("USAGE", `Invalid --count "${args.count}": expected 1…1000`);
        const ticks: number[] = [];
        let t = Date.now();
        while (ticks.length < n) {
          const next = croner.next(s.cron, s.timezone, t);
          if (next === null) break;
          ticks.push(next);
          t = next;
        }
        const keys = selectionResolver(project.graph)(s.select);
        if (out.json) out.data({ name: s.name, cron: s.cron, timezone: s.timezone, assets: keys, partitions: s.partitions, ticks: ticks.map((x) => new Date(x).toISOString()) });
        else {
          out.print(`${out.c.bold(s.name)} ${s.cron} (${s.timezone}) → ${keys.join(", ")}${s.partitions ? ` --partitions ${s.partitions}` : ""}`);
          for (const x of ticks) out.print(`  ${new Date(x).toISOString()}`);
        }
        return 0;
      }
      if (action !== "list") throw new DagxError("USAGE", `Unknown action "${action}": use list, start NAME, stop NAME or preview NAME`);
      const rows = await Promise.all(
        schedules.map(async (s) => {
          const st = states.get(s.name)!;
          const last = (await store.listTicks({ name: s.name, limit: 1 }))[0] ?? null;
          return { s, st, last, next: croner.next(s.cron, s.timezone, Date.now()) };
        }),
      );
      if (out.json) {
        out.data(rows.map(({ s, st, last, next }) => scheduleItemJson(s, st, last, next)));
        return 0;
      }
      if (!rows.length) {
        out.say('No schedules: export one from an asset file, e.g. `export const nightly = schedule({ cron: "0 3 * * *", select: "orders+" })`');
        return 0;
      }
      out.print(formatTable(["SCHEDULE", "STATUS", "CRON", "NEXT TICK", "LAST TICK", "SELECTS"], rows.map(({ s, st, last, next }) => [s.name, st.status, `${s.cron} ${out.c.dim(s.timezone)}`, next ? new Date(next).toISOString().slice(0, 19) : "-", last ? `${last.status} ${ago(last.evaluatedAt)}` : "-", s.keys.join(", ")]), out.c));
      return 0;
    });
  },
});
