import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dagx, runDagx, makeProject, ok, removeProject } from "./helpers.ts";
import { dagxCommand } from "../support/dagx-command.ts";

const dir = makeProject(
  {
    ".dagx/.keep": "",
    "a.asset.ts": `import { asset } from "dagx";
export const orders = asset(() => [{ id: 1 }, { id: 2 }]);
export const revenue = asset({ ins: { orders } }, (ctx, { orders }) => ctx.sql\`select count(*) as n from \${orders}\`);
export const never = asset(() => 1);
`,
  },
  "dagx-stdout-[=]*",
);
beforeAll(async () => {
  ok(await runDagx(dir, ["materialize", "orders+"]));
});
afterAll(() => removeProject(dir));

/** Run `dagx ARGS` through bash, e.g. to pipe it: `{dagx}` in `script` stands for the command. */
async function shell(script: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const dagxCmd = (await dagxCommand()).map((a) => JSON.stringify(a)).join(" ");
  const proc = Bun.spawn(["bash", "-c", script.replaceAll("{dagx}", dagxCmd)], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", CI: "1", ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

describe("results go to stdout", () => {
  test("dagx list prints its table on stdout (header + one line per asset) and the count on stderr", async () => {
    const r = ok(await runDagx(dir, ["list"]));
    expect(lines(r.stdout)).toHaveLength(4);
    expect(lines(r.stdout)[0]).toMatch(/^KEY\s+GROUP/);
    expect(r.stdout).toContain("revenue");
    expect(r.stderr).toContain("3 of 3 asset(s)");
    expect(r.stderr).not.toContain("revenue");
  });

  test("dagx status | grep missing finds the asset that never ran", async () => {
    const r = await shell("{dagx} status | grep missing");
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([expect.stringMatching(/^never\s+missing/)]);
  });

  test("dagx status KEY prints the detail on stdout", async () => {
    const r = ok(await runDagx(dir, ["status", "orders"]));
    expect(r.stdout).toMatch(/^orders\s+fresh/);
    expect(r.stdout).toContain("code version");
  });

  test("dagx query prints its table on stdout and the row count on stderr", async () => {
    const r = ok(await runDagx(dir, ["query", "select id from orders order by id"]));
    expect(lines(r.stdout)).toEqual([expect.stringMatching(/^id/), "1", "2"]);
    expect(r.stderr).toContain("2 row(s)");
  });

  test("dagx runs, logs and lineage print their results on stdout", async () => {
    const runs = ok(await runDagx(dir, ["runs"]));
    expect(lines(runs.stdout)[0]).toMatch(/^RUN\s+STATUS/);
    expect(lines(runs.stdout)).toHaveLength(2);
    const logs = ok(await runDagx(dir, ["logs", "latest"]));
    expect(logs.stdout).toContain("step_success");
    const lineage = ok(await runDagx(dir, ["lineage", "orders"]));
    expect(lineage.stdout).toContain("● orders");
    expect(lineage.stdout).toContain("└── revenue");
    expect(lineage.stderr).toContain("2 asset(s), 1 edge(s)");
  });

  test("the dry-run plan and the run summary are results: stdout; step progress: stderr", async () => {
    const plan = ok(await runDagx(dir, ["materialize", "never", "--dry-run"]));
    expect(plan.stdout).toContain("1. never");
    const run = ok(await runDagx(dir, ["materialize", "never"]));
    expect(run.stdout).toMatch(/^✔ Run \S+ success · 1 materialized/);
    expect(run.stderr).toMatch(/✓ never/);
    expect(run.stdout).not.toContain("✓ never");
  });

  test("with --json stdout holds only the JSON; human text stays on stderr", async () => {
    const r = ok(await runDagx(dir, ["materialize", "never", "--json"]));
    expect(r.json<{ status: string }>().status).toBe("success");
    expect(r.stderr).toContain("✔ Run");
  });

  test("stdout and stderr keep their order when merged (2>&1)", async () => {
    const r = await shell("{dagx} list 2>&1");
    expect(r.code).toBe(0);
    const all = lines(r.stdout);
    expect(all[0]).toMatch(/^KEY/);
    expect(all.at(-1)).toContain("3 of 3 asset(s)");
  });
});

describe("closed and full stdout", () => {
  test("dagx query --format csv | head -1 ends quietly with exit 0 on EPIPE", async () => {
    const r = await shell(`{dagx} query "select * from range(1000000)" --format csv | head -1; echo "exit=\${PIPESTATUS[0]}" >&2`);
    expect(r.stdout).toBe("range\n");
    expect(r.stderr.trim()).toBe("exit=0");
  });

  test("dagx query --json | head -1 ends quietly with exit 0", async () => {
    const r = await shell(`{dagx} query "select * from range(300000)" --json | head -1; echo "exit=\${PIPESTATUS[0]}" >&2`);
    expect(r.stdout).toBe("[\n");
    expect(r.stderr.trim()).toBe("exit=0");
  });

  test("dagx list > /dev/full fails with exit 1 and a message naming stdout", async () => {
    const r = await shell("{dagx} list > /dev/full");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Cannot write the result to stdout");
    expect(r.stderr).toContain("no space left on device");
    expect(r.stderr).not.toContain("This is a bug");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("--help when stdout is not a TTY", () => {
  for (const args of [["--help"], ["list", "--help"], ["materialize", "--help"]]) {
    test(`dagx ${args.join(" ")} has no colour and no trailing spaces`, async () => {
      const r = await dagx(dir, args, { env: { NO_COLOR: "", CI: "", FORCE_COLOR: "" } });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("USAGE");
      expect(r.stdout).not.toMatch(/\x1b\[/);
      expect(r.stdout.split("\n").filter((l) => / $/.test(l))).toEqual([]);
    });
  }
});
