import { defineConfig } from "dagx";

export default defineConfig({
  concurrency: 4,
  resources: { shopName: "Example Shop" },
});
