import { afterAll, expect, test } from "bun:test";
import { dagx, makeProject, removeProject } from "./helpers.ts";

const files: Record<string, string> = { ".dagx/.keep": "" };
for (let f = 0; f < 20; f++) {
  files[`f${f}.asset.ts`] = `import { asset } from "dagx";\n${Array.from({ length: 50 }, (_, i) => `export const a_${f}_${i} = asset({ description: "${"x".repeat(120)}" }, () => ${i});`).join("\n")}\n`;
}
const dir = makeProject(files);
afterAll(() => removeProject(dir));

test("list --json writes all of a large output through a pipe (no truncation at 64 KiB)", async () => {
  const r = await dagx(dir, ["list", "--json"]);
  expect(r.code).toBe(0);
  expect(r.stdout.length).toBeGreaterThan(200_000);
  expect(r.json<unknown[]>().length).toBe(1000);
});
