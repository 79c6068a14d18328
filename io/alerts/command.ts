/** A command target: the program runs in the project root with the alert JSON on stdin and DAGX_ALERT_* variables; exit 0 is delivered. */
import { AlertAttemptError } from "./webhook.ts";

/** Most characters of the command's stderr quoted in an error. */
const STDERR_QUOTE = 300;

/** Run `argv` once; resolves when it exits 0, else throws AlertAttemptError (a program that cannot start is not retried). */
export async function runAlertCommand(argv: readonly string[], cwd: string, stdin: string, env: Readonly<Record<string, string>>, timeoutMs: number): Promise<void> {
  let child: Bun.Subprocess<"pipe", "ignore", "pipe">;
  try {
    child = Bun.spawn([...argv], { cwd, stdin: "pipe", stdout: "ignore", stderr: "pipe", env: { ...process.env, ...env } });
  } catch (e) {
    throw new AlertAttemptError(`command "${argv[0]}" cannot start: ${(e as Error).message}`, false);
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  try {
    // a program that exits without reading stdin closes the pipe: not an error of the alert
    try {
      child.stdin.write(stdin);
      await child.stdin.end();
    } catch {
      // it closed its stdin early
    }
    const [code, err] = await Promise.all([child.exited, new Response(child.stderr).text()]);
    if (timedOut) throw new AlertAttemptError(`command "${argv[0]}": no exit within ${timeoutMs} ms (killed)`, true);
    if (code !== 0) {
      const text = err.trim().split("\n").slice(-3).join(" ").trim();
      throw new AlertAttemptError(`command "${argv[0]}" exited with code ${code}${text ? `: ${text.length > STDERR_QUOTE ? `${text.slice(0, STDERR_QUOTE)}…` : text}` : ""}`, true);
    }
  } finally {
    clearTimeout(timer);
  }
}
