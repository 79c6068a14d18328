import { defineConfig } from "dagx";

export default defineConfig({});
