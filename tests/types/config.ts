/** Type tests of defineConfig: checked by `tsc --noEmit` in `npm test` (not run). */
import { defineConfig, defineResource } from "dagx";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_ok: T) => {};

// the config keeps its own type, so dagx types can read each resource's value from it
const warehouse = defineResource({ setup: () => ({ url: "x" }) });
const config = defineConfig({ concurrency: 2, resources: { warehouse, apiUrl: "https://example.com" } });
expectType<Equal<typeof config.resources.apiUrl, string>>(true);
expectType<Equal<typeof config.resources.warehouse, typeof warehouse>>(true);

// @ts-expect-error — a misspelt key is still a type error
defineConfig({ concurrancy: 3 });

// @ts-expect-error — and a bad value
defineConfig({ concurrency: "4" });
