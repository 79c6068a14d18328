/** What every API handler gets: the project, the state store, the clock, the change feed, the launcher. */
import type { StateStore } from "../../../core/state-store.ts";
import type { ChangeFeed } from "../change-feed.ts";
import type { ProjectHolder } from "../project-holder.ts";
import type { Launcher } from "../launch.ts";

/** The context every API handler takes first. */
export interface ApiContext {
  root: string;
  holder: ProjectHolder;
  /** The project's state store: its DuckDB file (short sessions per call, nothing held between them) or Postgres. */
  store: StateStore;
  feed: ChangeFeed;
  launcher: Launcher;
  now(): number;
  /** dagx's version (the CLI passes it). */
  version: string;
  /** Runs handed to workers that no worker took yet (a Postgres state; shown "queued"); absent: none can be. */
  queuedRuns?(): Promise<Set<string>>;
  /** Cancel what has not started of a run handed to workers (a Postgres state). */
  cancelQueuedRun?(runId: string): Promise<void>;
}
