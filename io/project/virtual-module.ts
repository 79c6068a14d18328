import { plugin } from "bun";
import * as api from "../../core/public.ts";

let registered = false;

/** Make `import … from "dagx"` resolve to the public API in this process, with nothing installed. */
export function registerDagxModule(): void {
  if (registered) return;
  registered = true;
  plugin({
    name: "dagx-virtual-module",
    setup(build) {
      build.module("dagx", () => ({ exports: { ...api }, loader: "object" }));
      // the validation library `v` is, under the name the type declarations give it
      build.module("dagx/valibot", () => ({ exports: { ...api.v }, loader: "object" }));
    },
  });
}
