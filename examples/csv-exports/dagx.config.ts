import { defineConfig } from "dagx";
import { csvFiles } from "./csv-files.ts";

// declared once under a name; assets choose it with io: "csv" (or make it the default of table outputs with io: "csv")
export default defineConfig({
  ioManagers: { csv: csvFiles() },
});
