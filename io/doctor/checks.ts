/**
 * The checks `dagx doctor` runs, in this order (duckdb before duckdb cache: loading DuckDB is
 * what extracts it; duckdb extensions after both: the embedded ones go beside the library). A capability with needs of its own (Python, dbt, Postgres) adds a file
 * exporting a `DoctorCheck` and one line here.
 */
import { dagxDirCheck } from "./dagx-dir-check.ts";
import { diskCheck } from "./disk-check.ts";
import { duckdbCacheCheck, duckdbCheck } from "./duckdb-check.ts";
import { extensionsCheck } from "./extensions-check.ts";
import { platformCheck } from "./platform-check.ts";
import { projectCheck } from "./project-check.ts";
import { stateCheck } from "./state-check.ts";
import type { DoctorCheck } from "./types.ts";

export const DOCTOR_CHECKS: readonly DoctorCheck[] = [platformCheck, duckdbCheck, duckdbCacheCheck, extensionsCheck, projectCheck, dagxDirCheck, stateCheck, diskCheck];
