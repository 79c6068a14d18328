/** A real local HTTP server for alert tests: records every POST, answers what the test says. */

export interface ReceivedAlert {
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface HookServer {
  url: string;
  received: ReceivedAlert[];
  /** What the next requests get (default 200). */
  answer: (req: ReceivedAlert, n: number) => Response | Promise<Response>;
  stop(): void;
}

/** Start a server on a free loopback port. */
export function startHookServer(): HookServer {
  const received: ReceivedAlert[] = [];
  const hook: HookServer = {
    url: "",
    received,
    answer: () => new Response("ok"),
    stop: () => server.stop(true),
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const r = { headers: Object.fromEntries(req.headers), body: (await req.json()) as Record<string, unknown> };
      received.push(r);
      return hook.answer(r, received.length);
    },
  });
  hook.url = `http://127.0.0.1:${server.port}/hook`;
  return hook;
}
