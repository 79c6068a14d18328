/**
 * io/pipes with real processes: the parameter encoding as the published `dagster-pipes` client
 * decodes it, the message-file tail, and the runner (a shell script writing messages by hand, exit
 * codes, stderr, cancel of the whole process group).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPipesContext, type PipesLogLine } from "../../../core/pipes/index.ts";
import { decodePipesParam, encodePipesParam, runPipesProcess, tailLines } from "../../../io/pipes/index.ts";
import { pipesPython, pipesUnavailable } from "../../support/pipes.ts";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "dagx-pipes-io-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const context = buildPipesContext({ assetKey: "scores", codeVersion: "c1", latest: null, partition: null, runId: "r1", retryNumber: 0, inputs: {}, outputPath: "/nowhere/out.parquet" });

function run(dir: string, command: string[], o: { signal?: AbortSignal; graceMs?: number } = {}) {
  const logs: PipesLogLine[] = [];
  const done = runPipesProcess({
    command,
    cwd: dir,
    env: { PATH: process.env.PATH },
    context,
    sessionDir: join(dir, "session"),
    assetKey: "scores",
    signal: o.signal ?? new AbortController().signal,
    cancelGraceMs: o.graceMs ?? 2000,
    onLog: (l) => logs.push(l),
  });
  return { logs, done };
}

/** A shell script that speaks Pipes by hand through dagx's plain path variables. */
const SHELL_CLIENT = `#!/bin/sh
m="$DAGX_PIPES_MESSAGES_PATH"
grep -q '"run_id": *"r1"' "$DAGX_PIPES_CONTEXT_PATH" || { echo "no run id in context" >&2; exit 3; }
printf '%s\\n' '{"__dagster_pipes_version": "0.1", "method": "opened", "params": {"extras": {}}}' >> "$m"
printf '%s\\n' '{"__dagster_pipes_version": "0.1", "method": "log", "params": {"message": "from sh", "level": "INFO"}}' >> "$m"
echo "to stdout"
echo "to stderr" >&2
printf '%s\\n' '{"__dagster_pipes_version": "0.1", "method": "report_asset_materialization", "params": {"asset_key": "scores", "data_version": "sh-1", "metadata": {"n": {"raw_value": 4, "type": "int"}}}}' >> "$m"
printf '%s' '{"__dagster_pipes_version": "0.1", "method": "closed", "params": {}}' >> "$m"
exit "\${EXIT_WITH:-0}"
`;

describe("Pipes parameters", () => {
  test("round-trip, and the dagster-pipes client's decode_param reads what dagx encodes", async () => {
    const value = { path: "/tmp/x/context.json", é: [1, 2] };
    const encoded = encodePipesParam(value);
    expect(decodePipesParam(encoded)).toEqual(value);
    if (pipesUnavailable() !== undefined) return;
    const python = await pipesPython();
    const p = Bun.spawnSync([python, "-c", "import sys, json; from dagster_pipes import decode_param, encode_param; v = decode_param(sys.argv[1]); print(json.dumps(v)); print(encode_param(v))", encoded]);
    const [decoded, back] = p.stdout.toString().trim().split("\n");
    expect(JSON.parse(decoded!)).toEqual(value);
    expect(decodePipesParam(back!)).toEqual(value);
  });
});

describe("tailLines()", () => {
  test("hands over whole lines as they are appended, a partial one only when finished", () => {
    const f = join(tmp(), "m.jsonl");
    const seen: string[] = [];
    const t = tailLines(f, (l) => seen.push(l), 10_000);
    t.poll(); // no file yet: nothing
    writeFileSync(f, "a\nb");
    t.poll();
    expect(seen).toEqual(["a"]);
    appendFileSync(f, "c\nd");
    t.poll();
    expect(seen).toEqual(["a", "bc"]);
    t.finish();
    expect(seen).toEqual(["a", "bc", "d"]);
  });
});

describe("runPipesProcess()", () => {
  test("a shell script writing messages by hand: its logs, output lines and report arrive; the last line needs no newline", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "client.sh"), SHELL_CLIENT);
    chmodSync(join(dir, "client.sh"), 0o755);
    const { logs, done } = run(dir, ["./client.sh"]);
    const r = await done;
    expect(r).toMatchObject({ exitCode: 0, canceled: false, spawnError: null, stderrTail: ["to stderr"] });
    expect(r.report).toMatchObject({ opened: true, closed: { exception: null }, materialization: { dataVersion: "sh-1", metadata: { n: 4 } }, problems: [] });
    expect(logs).toContainEqual({ level: "info", message: "from sh" });
    expect(logs).toContainEqual({ level: "info", message: "to stdout" });
    expect(logs).toContainEqual({ level: "warn", message: "to stderr" });
    // the session files were private to the process
    expect(JSON.parse(readFileSync(join(dir, "session/context.json"), "utf8"))).toEqual(context);
  });

  test("an unknown program is a spawn error, not a crash", async () => {
    const r = await run(tmp(), ["./no-such-program"]).done;
    expect(r.spawnError).toContain('"./no-such-program" was not found');
    expect(r.exitCode).toBeNull();
  });

  test("cancel sends SIGINT to the whole group, then SIGKILL after the grace period: a child that ignores SIGINT dies too", async () => {
    const dir = tmp();
    // the parent traps SIGINT and exits; its child (in the same group) ignores SIGINT and sleeps on
    writeFileSync(
      join(dir, "group.sh"),
      `#!/bin/sh
sh -c 'trap "" INT; echo $$ > child.pid; exec sleep 30' &
trap 'echo "got INT" >&2; exit 130' INT
while [ ! -s child.pid ]; do sleep 0.05; done
echo ready
wait
`,
    );
    chmodSync(join(dir, "group.sh"), 0o755);
    const ac = new AbortController();
    const { logs, done } = run(dir, ["./group.sh"], { signal: ac.signal, graceMs: 300 });
    for (let i = 0; i < 200 && !logs.some((l) => l.message === "ready"); i++) await Bun.sleep(25);
    const childPid = Number(readFileSync(join(dir, "child.pid"), "utf8"));
    const t0 = performance.now();
    ac.abort();
    const r = await done;
    expect(r.canceled).toBe(true);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(logs).toContainEqual({ level: "warn", message: "got INT" });
    await Bun.sleep(100);
    expect(alive(childPid)).toBe(false);
    expect(existsSync(join(dir, "session/messages.jsonl"))).toBe(true);
  });
});

/** Is `pid` running (a zombie waiting for a reaper that never comes, in a container, is not)? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}
