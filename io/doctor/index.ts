/**
 * `dagx doctor`: checks of the environment a user reports bugs from (platform, DuckDB and its
 * extensions, project root, `.dagx`, state, disk), each a `DoctorCheck` in the registry (checks.ts).
 * The only door into io/doctor/: other folders import from here, never a file behind it.
 */
export { DOCTOR_CHECKS } from "./checks.ts";
export { createDoctorContext, formatSize } from "./context.ts";
export type { DoctorOptions } from "./context.ts";
export { runDoctor } from "./run.ts";
export type { DoctorCheck, DoctorContext, DoctorReport, DoctorResult, DoctorStatus } from "./types.ts";
