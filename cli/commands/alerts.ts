import { defineCommand } from "citty";
import { incidentSubject, type IncidentView } from "../../core/alerts/index.ts";
import { readAlerts, sendTestAlerts } from "../../io/alerts/index.ts";
import { globalArgs, positionals, wholeNumberArg } from "../args.ts";
import { withProject, withState } from "../context.ts";
import { ago, type Colors, formatTable } from "../output.ts";

export default defineCommand({
  meta: {
    name: "alerts",
    description:
      "Incidents (failures that alerts fired on) and the alerts sent about them, newest first; or send a test alert.\n\nExamples:\n  dagx alerts\n  dagx alerts --open\n  dagx alerts --limit 5 --json\n  dagx alerts --test            a test payload through every alert\n  dagx alerts --test slack      through the alert named slack",
  },
  args: {
    ...globalArgs,
    name: { type: "positional", required: false, description: "With --test: the alerts to test (default: all)" },
    limit: { type: "string", alias: "n", description: "How many incidents (default 20)", valueHint: "N" },
    open: { type: "boolean", description: "Only incidents that have not recovered yet" },
    test: { type: "boolean", description: "Send a test payload (event \"test\") through the alerts of dagx.config.ts and say how it went; nothing is recorded" },
  },
  async run(cmd) {
    const { args } = cmd;
    if (args.test) {
      // the config is needed (targets, secrets); no asset is run
      return withProject(cmd, async ({ out, project, now }) => {
        const sent = await sendTestAlerts(project, positionals(args), now);
        if (out.json) out.data(sent.map((d) => ({ alert: d.alert, target: d.target, status: d.status, attempts: d.attempts, error: d.error })));
        else for (const d of sent) out.print(`alert "${d.alert}" (${d.target}): ${d.status === "sent" ? out.c.green("sent") : out.c.red("failed")} after ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}${d.error ? `: ${d.error}` : ""}`);
        return sent.some((d) => d.status === "failed") ? 1 : 0;
      });
    }
    const limit = wholeNumberArg(args.limit, "limit", 20);
    return withState(cmd, async ({ out, store }) => {
      const incidents = await readAlerts(store, { limit, open: Boolean(args.open) });
      if (out.json) {
        out.data(incidents);
        return 0;
      }
      if (incidents.length === 0) {
        out.say(args.open ? "No open incidents" : "No incidents yet: alerts are configured in dagx.config.ts (docs/alerts.md)");
        return 0;
      }
      out.print(table(incidents, out.c));
      const failed = incidents.flatMap((i) => i.deliveries.filter((d) => d.status === "failed").map((d) => `alert "${d.alert}" failed (incident ${i.incidentId}): ${d.error}`));
      for (const f of failed) out.say(`${out.c.yellow("warn")} ${f}`);
      return 0;
    });
  },
});

function table(incidents: readonly IncidentView[], c: Colors): string {
  const delivery = (d: IncidentView["deliveries"][number]) => `${d.alert}${d.event === "resolved" ? " (resolved)" : ""}: ${d.status === "sent" ? c.green("sent") : c.red(`failed after ${d.attempts}`)}`;
  return formatTable(
    ["INCIDENT", "KIND", "SUBJECT", "OPENED", "STATUS", "ALERTS", "MESSAGE"],
    incidents.map((i) => [
      i.incidentId,
      i.kind,
      incidentSubject(i),
      ago(Date.parse(i.openedAt)),
      i.status === "open" ? c.red("open") : c.green(`resolved ${ago(Date.parse(i.resolvedAt!))}`),
      i.deliveries.map(delivery).join(", ") || c.dim("none"),
      i.message.split("\n")[0]!.slice(0, 80),
    ]),
    c,
  );
}
