/**
 * A generated project for the UI's scale tests and benchmark (tests/integration/ui/large.test.ts,
 * bench/ui-first-paint.bench.ts, scripts/ui-screenshots.ts): `groups` asset files of `perGroup`
 * trivial assets each, keys `g<group>_a<i>` in groups `group_<group>`.
 */

/** `groups` files of `perGroup` assets: a binary tree inside each group, the 6th asset of group k also reads the last of group k−1. */
export function generateGraphProject(groups: number, perGroup: number): Record<string, string> {
  const files: Record<string, string> = { "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n` };
  for (let g = 0; g < groups; g++) {
    const lines = [`import { asset } from "dagx";`, ``];
    for (let i = 0; i < perGroup; i++) {
      const deps: string[] = [];
      if (i > 0) deps.push(`g${g}_a${Math.floor((i - 1) / 2)}`);
      if (g > 0 && i === 5) deps.push(`g${g - 1}_a${perGroup - 1}`);
      lines.push(`export const g${g}_a${i} = asset({ group: "group_${g}"${deps.length ? `, deps: ${JSON.stringify(deps)}` : ""} }, () => ${i});`);
    }
    files[`group_${g}.asset.ts`] = `${lines.join("\n")}\n`;
  }
  return files;
}

