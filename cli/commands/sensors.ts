import { defineCommand } from "citty";
import { normalizeSensorResult } from "../../core/automation/index.ts";
import { DagxError } from "../../core/errors.ts";
import { callUserCode } from "../../core/user-code.ts";
import { projectResources } from "../../io/run/index.ts";
import { invalidSensorReason, sensorRequests } from "../../io/daemon/index.ts";
import { selectionResolver } from "../../core/instigators.ts";
import { globalArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";
import { instigatorState, pick, setStatus } from "../instigator-command.ts";
import { sensorItemJson } from "../../io/reports/index.ts";
import { ago, formatTable } from "../output.ts";

export default defineCommand({
  meta: {
    name: "sensors",
    description: "Sensors exported by asset files: list, start, stop, preview (runs the sensor once with its saved cursor, records nothing).\n\nExamples:\n  dagx sensors list\n  dagx sensors preview new_files --json",
  },
  args: { ...globalArgs, action: { type: "positional", required: false, description: "list (default), start NAME, stop NAME, preview NAME" } },
  async run(cmd) {
    const { args } = cmd;
    const [action = "list", name] = positionals(args);
    return withProject(cmd, async ({ out, project, store }) => {
      const sensors = project.instigators.sensors;
      const states = await instigatorState(store, "sensor", sensors);
      if (action === "start" || action === "stop") return setStatus(out, store, "sensor", pick("sensor", sensors, name), action === "start" ? "running" : "stopped");
      if (action === "preview") {
        const s = pick("sensor", sensors, name);
        const st = states.get(s.name)!;
        const logs: string[] = [];
        const log = (level: string) => (...a: unknown[]) => logs.push(`${level}: ${a.map(String).join(" ")}`);
        const logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
        const pool = projectResources(project);
        let raw: unknown;
        try {
          const resources = await pool.acquire(s.def.options.resources, `Sensor "${s.name}"`, logger);
          const ctx = { name: s.name, cursor: st.cursor, lastTickAt: st.lastTickAt === null ? null : new Date(st.lastTickAt), now: new Date(), signal: AbortSignal.timeout(s.timeoutMs), log: logger, resources };
          // a throw is a UserCodeError: `Sensor "s" threw: … (at file:line)`, exit 1
          raw = await callUserCode({ root: project.root, definedAt: s.location, what: `Sensor "${s.name}"` }, () => s.def.fn(ctx));
        } finally {
          await pool.teardown((message) => logs.push(`warn: ${message}`));
        }
        const res = normalizeSensorResult(raw, s);
        if (!res.ok) throw new DagxError("USER_CODE", res.error, { exitCode: 1 });
        // the daemon's own check: what it would refuse, the preview refuses (exit 1)
        const checked = await sensorRequests(project, store, s.name, res, selectionResolver(project.graph), Date.now());
        const requests = checked.requests.map((r, i) => ({ assets: r.selection, partitions: r.partitions, runKey: res.requests[i]?.runKey ?? null, tags: res.requests[i]?.tags ?? {}, config: r.config ?? null }));
        if (out.json) out.data({ name: s.name, cursor: res.cursor === undefined ? st.cursor : res.cursor, requests, addPartitions: res.addPartitions, skipReason: res.skipReason, logs, problems: checked.problems });
        else {
          for (const l of logs) out.say(out.c.dim(l));
          if (!requests.length) out.print(`sensor ${s.name}: no run requests${res.skipReason ? ` (${res.skipReason})` : ""}`);
          for (const r of requests) out.print(`would request ${r.assets.join(", ")}${r.partitions ? ` --partitions ${r.partitions}` : ""}${r.runKey ? out.c.dim(` run key ${r.runKey}`) : ""}${r.config ? out.c.dim(` config ${JSON.stringify(r.config)}`) : ""}`);
          for (const p of res.addPartitions) out.print(`would add partitions to ${p.name}: ${p.keys.join(", ")}`);
          if (res.cursor !== undefined) out.print(out.c.dim(`cursor would become ${JSON.stringify(res.cursor)}`));
          if (checked.problems.length) out.print(`${out.c.red("✗")} ${invalidSensorReason(s.name, checked.problems)}: the daemon would fail this tick and keep the cursor`);
        }
        return checked.problems.length ? 1 : 0;
      }
      if (action !== "list") throw new DagxError("USAGE", `Unknown action "${action}": use list, start NAME, stop NAME or preview NAME`);
      const rows = await Promise.all(sensors.map(async (s) => ({ s, st: states.get(s.name)!, last: (await store.listTicks({ name: s.name, limit: 1 }))[0] ?? null })));
      if (out.json) {
        out.data(rows.map(({ s, st, last }) => sensorItemJson(s, st, last)));
        return 0;
      }
      if (!rows.length) {
        out.say("No sensors: export one from an asset file with sensor({ interval, select }, (ctx) => ({ runRequests: [...] }))");
        return 0;
      }
      out.print(formatTable(["SENSOR", "STATUS", "INTERVAL", "LAST TICK", "CURSOR"], rows.map(({ s, st, last }) => [s.name, st.status, `${s.intervalMs / 1000}s`, last ? `${last.status} ${ago(last.evaluatedAt)}${last.reason ? out.c.dim(` ${last.reason}`) : ""}` : "-", st.cursor ?? ""]), out.c));
      return 0;
    });
  },
});
