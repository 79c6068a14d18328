import { defineCommand } from "citty";
import { incidentSubject } from "../../core/alerts/index.ts";
import { readAlerts } from "../../io/alerts/index.ts";
import { globalArgs, wholeNumberArg } from "../args.ts";
import { withState } from "../context.ts";
import { ago, formatTable } from "../output.ts";

export default defineCommand({
  meta: {
    name: "alerts",
    description: "Incidents (failures that alerts fired on) and the alerts sent about them, newest first.\n\nExamples:\n  dagx alerts\n  dagx alerts --open\n  dagx alerts --limit 5 --json",
  },
  args: {
    ...globalArgs,
    limit: { type: "string", alias: "n", description: "How many incidents (default 20)", valueHint: "N" },
    open: { type: "boolean", description: "Only incidents that have not recovered yet" },
  },
  async run(cmd) {
    const { args } = cmd;
    const limit = wholeNumberArg(args.limit, "limit", 20);
    return withState(cmd, async ({ out, store }) => {
      const incidents = await readAlerts(store, { limit, open: Boolean(args.open) });
      if (out.json) {
        out.data(incidents);
        return 0;
      }
      const { c } = out;
      if (incidents.length === 0) {
        out.say(args.open ? "No open incidents" : "No incidents yet: alerts are configured in dagx.config.ts (docs/alerts.md)");
        return 0;
      }
      const delivery = (d: (typeof incidents)[number]["deliveries"][number]) =>
        `${d.alert}${d.event === "resolved" ? " (resolved)" : ""}: ${d.status === "sent" ? c.green("sent") : c.red(`failed after ${d.attempts}`)}`;
      out.print(
        formatTable(
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
        ),
      );
      const failed = incidents.flatMap((i) => i.deliveries.filter((d) => d.status === "failed").map((d) => `alert "${d.alert}" failed (incident ${i.incidentId}): ${d.error}`));
      for (const f of failed) out.say(`${c.yellow("warn")} ${f}`);
      return 0;
    });
  },
});
