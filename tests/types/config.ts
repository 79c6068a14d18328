/** Type tests of defineConfig: checked by `tsc --noEmit` in `npm test` (not run). */
import { defineConfig, defineResource, env } from "dagx";

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

// alerts: kinds are checked as literals, one target each, env() where secrets go
defineConfig({
  alerts: [
    { name: "slack", on: ["run_failure", "check_failure"], webhook: env("SLACK_WEBHOOK_URL"), resolved: true },
    { on: "freshness_overdue", select: "group:finance", webhook: { url: "https://hooks.example.com/x", headers: { Authorization: env("ALERT_TOKEN") } } },
    { on: "sensor_failure", command: ["./page.sh"], retries: 0, timeout: "10s" },
  ],
});
// @ts-expect-error — an unknown kind
defineConfig({ alerts: [{ on: "run_failed", command: ["x"] }] });
// @ts-expect-error — two targets
defineConfig({ alerts: [{ on: "run_failure", command: ["x"], webhook: "https://x" }] });
