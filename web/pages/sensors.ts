/** /sensors: every sensor, its interval, cursor and last tick, Start/Stop, and a sensor's tick history (`?name=`). */
import "../detail/styles.ts";
import { html } from "../html.ts";
import type { PageProps } from "../routes.ts";
import { InstigatorsPage } from "../detail/instigators.ts";

export function SensorsPage({ query }: PageProps) {
  return html`<${InstigatorsPage} kind="sensors" selected=${query.get("name")} />`;
}
