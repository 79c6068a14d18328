import { defineConfig } from "dagx";

export default defineConfig({ concurrency: 2 });
