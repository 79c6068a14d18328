/** /schedules: every schedule, its next and last tick, Start/Stop, and a schedule's tick history (`?name=`). */
import "../detail/styles.ts";
import { html } from "../html.ts";
import type { PageProps } from "../routes.ts";
import { InstigatorsPage } from "../detail/instigators.ts";

export function SchedulesPage({ query }: PageProps) {
  return html`<${InstigatorsPage} kind="schedules" selected=${query.get("name")} />`;
}
