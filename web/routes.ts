/**
 * Client routes → page components. Each page is one file in web/pages/ exporting a component that
 * takes the route's params. The server answers every non-/api path with the app.
 */
import type { ComponentType } from "preact";
import { OverviewPage } from "./pages/overview.ts";
import { GraphPage } from "./pages/graph.ts";
import { AssetsPage } from "./pages/assets.ts";
import { AssetPage } from "./pages/asset.ts";
import { RunsPage } from "./pages/runs.ts";
import { RunPage } from "./pages/run.ts";
import { BackfillsPage } from "./pages/backfills.ts";
import { BackfillPage } from "./pages/backfill.ts";
import { SchedulesPage } from "./pages/schedules.ts";
import { SensorsPage } from "./pages/sensors.ts";

export interface PageProps {
  /** The rest of the path after the route's prefix, decoded (an asset key, a run id), or "". */
  param: string;
  /** The query string's parameters. */
  query: URLSearchParams;
}

export const ROUTES: { prefix: string; exact?: boolean; title: string; page: ComponentType<PageProps> }[] = [
  { prefix: "/", exact: true, title: "Overview", page: OverviewPage },
  { prefix: "/graph", title: "Graph", page: GraphPage },
  { prefix: "/assets/", title: "Asset", page: AssetPage },
  { prefix: "/assets", title: "Assets", page: AssetsPage },
  { prefix: "/runs/", title: "Run", page: RunPage },
  { prefix: "/runs", title: "Runs", page: RunsPage },
  { prefix: "/backfills/", title: "Backfill", page: BackfillPage },
  { prefix: "/backfills", title: "Backfills", page: BackfillsPage },
  { prefix: "/schedules", title: "Schedules", page: SchedulesPage },
  { prefix: "/sensors", title: "Sensors", page: SensorsPage },
];
