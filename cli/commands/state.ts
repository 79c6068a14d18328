import { existsSync } from "node:fs";
import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { projectEnv } from "../../io/secrets/index.ts";
import { copyStateToPostgres, isPostgresUrl, STATE_URL_VARIABLE, stateUrlOf } from "../../io/state/index.ts";
import { createStorage } from "../../io/storage/index.ts";
import { globalArgs, positionals } from "../args.ts";
import { baseContext, projectRoot } from "../context.ts";

export default defineCommand({
  meta: {
    name: "state",
    description:
      `Where the state lives. migrate: copy this project's .dagx/state.duckdb (runs, events, materializations, partitions, backfills, ticks, checks, alerts) into an empty Postgres state; then set ${STATE_URL_VARIABLE} or state: in dagx.config.ts to use it (docs/state.md).\n\nExamples:\n  ${STATE_URL_VARIABLE}=postgres://dagx:…@db:5432/dagx dagx state migrate\n  dagx state migrate --to postgres://dagx:…@db:5432/dagx --json`,
  },
  args: {
    ...globalArgs,
    action: { type: "positional", required: false, description: "migrate" },
    to: { type: "string", description: `The Postgres state to copy into (default: ${STATE_URL_VARIABLE}, from the environment or .env)`, valueHint: "postgres://…" },
  },
  async run(cmd) {
    const { args } = cmd;
    const [action] = positionals(args);
    if (action !== "migrate") throw new DagxError("USAGE", `Unknown action "${action ?? ""}": use dagx state migrate --to postgres://…`);
    const base = baseContext(cmd);
    const root = projectRoot(cmd, base);
    const env = projectEnv(root);
    const url = args.to !== undefined ? (isPostgresUrl(args.to) ? stateUrlOf(args.to, { ...env, get: () => undefined }) : null) : stateUrlOf(undefined, env);
    if (!url) throw new DagxError("USAGE", `dagx state migrate needs a postgres:// URL: give --to postgres://user:password@host:5432/db or set ${STATE_URL_VARIABLE}`);
    const storage = createStorage(root);
    if (!existsSync(storage.statePath)) throw new DagxError("USAGE", `Nothing to copy: ${storage.statePath} does not exist`);
    const counts = await copyStateToPostgres(storage.statePath, url);
    if (base.out.json) base.out.data({ copied: counts });
    else {
      base.out.print(`Copied ${storage.statePath} into Postgres: ${counts.runs} run(s), ${counts.events} event(s), ${counts.materializations} materialization(s) (${counts.latest_materializations} current), ${counts.backfills} backfill(s), ${counts.ticks} tick(s)`);
      base.out.say(`Use it: set ${STATE_URL_VARIABLE} or state: in dagx.config.ts (the state file stays as it was)`);
    }
    return 0;
  },
});
