/**
 * cli/interrupt.ts: the one Ctrl-C handler. The first SIGINT or SIGTERM prints the command's
 * notice and aborts its signal, a second exits at once with 130; nothing listens until a command
 * asks. And a command run in-process stops the same way when its terminal is interrupted.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { listenForInterrupts } from "../../cli/interrupt.ts";
import { makeProject, removeProject, startDagx } from "./helpers.ts";

describe("listenForInterrupts()", () => {
  test("listens only once a command asks; the first signal says the notice and aborts, the second exits 130; dispose stops listening", () => {
    const before = { SIGINT: process.listenerCount("SIGINT"), SIGTERM: process.listenerCount("SIGTERM") };
    const exits: number[] = [];
    const listener = listenForInterrupts((code) => exits.push(code));
    expect(process.listenerCount("SIGINT")).toBe(before.SIGINT);
    const notices: string[] = [];
    const signal = listener.signal(() => notices.push("canceling"));
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual([before.SIGINT + 1, before.SIGTERM + 1]);
    try {
      process.emit("SIGTERM");
      expect([signal.aborted, notices, exits]).toEqual([true, ["canceling"], []]);
      process.emit("SIGINT");
      expect([notices, exits]).toEqual([["canceling"], [130]]);
    } finally {
      listener.dispose();
    }
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual([before.SIGINT, before.SIGTERM]);
  });
});

describe("Ctrl-C of a command run in-process", () => {
  const dir = makeProject({
    ".dagx/.keep": "",
    "a.asset.ts": `import { asset } from "dagx";
export const slow = asset(async (ctx) => {
  ctx.log.info("slow started");
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, 20_000);
    ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped by signal")); });
  });
  return [{ id: 1 }];
});
`,
  });
  afterAll(() => removeProject(dir));

  test("materialize prints its notice, cancels the running step and returns 130", async () => {
    const { terminal, done } = startDagx(dir, ["materialize", "--json"]);
    const deadline = Date.now() + 20_000;
    while (!terminal.stderrText().includes("slow started") && Date.now() < deadline) await Bun.sleep(10);
    terminal.interrupt();
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("Canceling: no new steps start; running steps are told to stop (Ctrl-C again to exit at once)");
    expect(r.json<{ status: string }>().status).toBe("canceled");
  });
});
