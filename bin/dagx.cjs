#!/usr/bin/env node
// `dagx` from an npm install (npx dagx, npm link): runs the CLI from source with the Bun that
// npm installed beside it. The compiled single binary (`npm run build` → dist/dagx) needs no shim.
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");

const root = join(__dirname, "..");
const bun = join(root, "node_modules", ".bin", process.platform === "win32" ? "bun.exe" : "bun");
const r = spawnSync(bun, [join(root, "cli", "main.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
if (r.error) {
  console.error(`dagx: could not start Bun at ${bun}: ${r.error.message} — run \`npm ci\` first`);
  process.exit(2);
}
process.exit(r.status === null ? 1 : r.status);
