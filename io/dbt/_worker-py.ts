/**
 * The Python side of a dbt worker (io/dbt/_worker.ts), run as `python -u -c <this>` with the
 * interpreter of the user's dbt: it imports dbt once, then runs one dbt command per request line
 * on stdin through dbt's programmatic entry point (`dbtRunner`, dbt-core ≥ 1.5).
 *
 * - A request: `{"id", "args", "cwd", "env"}` — the command's arguments as dbt's CLI takes them
 *   (with `--log-format json`), its working folder and its whole environment (dbt reads
 *   `env_var()` and its flags from `os.environ` at each invocation).
 * - dbt's JSON log goes to stdout as with the CLI (unbuffered: `-u`); after each command the
 *   worker writes a line starting with RS (\x1e): `\x1edagx-dbt {"done": id, "exit": n, "error"}`
 *   — exit 0 as `dbt` would exit 0, 1 for a failed node, 2 for an error dbt raised.
 * - After each command it closes what the adapters hold open — dbt-duckdb's database file above
 *   all, which dagx attaches read-only between builds — as a `dbt` process would by exiting.
 * - stdin closed (dagx exited, was killed, or let the worker go) ends the worker at once, even in
 *   the middle of a command, as a killed `dbt` process would end.
 * - First line: `\x1edagx-dbt {"ready": true}`, or `{"ready": false, "error"}` when dbt cannot
 *   be imported or has no dbtRunner (dagx then starts `dbt` per command).
 */
export const WORKER_PY = String.raw`
import gc, json, os, sys, threading, queue

MARK = "\x1edagx-dbt "

def say(obj):
    sys.stdout.write(MARK + json.dumps(obj) + "\n")
    sys.stdout.flush()

def release():
    try:
        from dbt.adapters.factory import reset_adapters
        reset_adapters()
    except Exception:
        pass
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager
    except Exception:
        manager = None
    if manager is not None:
        env = manager._ENV
        manager._ENV = None
        if env is not None:
            try:
                env.close()
            except Exception:
                pass
    gc.collect()

def main():
    try:
        from dbt.cli.main import dbtRunner
    except BaseException as e:
        say({"ready": False, "error": type(e).__name__ + ": " + str(e)})
        return
    requests = queue.Queue()
    def read():
        for line in sys.stdin:
            requests.put(line)
        os._exit(0)
    threading.Thread(target=read, daemon=True).start()
    say({"ready": True})
    while True:
        req = json.loads(requests.get())
        code, error = 0, None
        try:
            os.environ.clear()
            os.environ.update(req["env"])
            os.chdir(req["cwd"])
            res = dbtRunner().invoke(req["args"])
            if res.exception is not None:
                code, error = 2, type(res.exception).__name__ + ": " + str(res.exception)
            elif not res.success:
                code = 1
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 2
        except BaseException as e:
            code, error = 2, type(e).__name__ + ": " + str(e)
        finally:
            release()
        sys.stderr.flush()
        say({"done": req["id"], "exit": code, "error": error})

main()
`;
