/**
 * Schedules, sensors and declarative automation (DESIGN §1, §3): definitions, load-time
 * validation and the pure evaluation the daemon runs. Cron is injected (`CronEvaluator`).
 */
export { schedule, isScheduleDef } from "./schedule.ts";
export { sensor, isSensorDef } from "./sensor.ts";
export { eager, onCron, onMissing, onOverdue, isAutomationCondition } from "./conditions.ts";
export { dueTicks, overlapDecision, scheduleRunRequest, DEFAULT_TICK_GRACE_MS, MAX_LISTED_MISSED, MISSED_TICK_REASON } from "./ticks.ts";
export type { DueTicks, ScheduleTickState } from "./ticks.ts";
export { sensorDue } from "./sensor-due.ts";
export { normalizeSensorResult, dedupeRunKeys } from "./sensor-result.ts";
export type { NormalizedSensorResult } from "./sensor-result.ts";
export { evaluateAutomation } from "./evaluate.ts";
export type { AutomationAssetState, AutomationInput, AutomationPartitions, AutomationRequest, AutomationResult, AutomationUpstream } from "./evaluate.ts";
export { runRequestProblem, addedKeyProblem } from "./request-check.ts";
export type { RequestToCheck } from "./request-check.ts";
export { validateSchedule, validateSensor, validateAutomation, assertUniqueNames } from "./validate.ts";
export { runRequestPartitionsProblem } from "./run-request-check.ts";
export type { PartitionsOf } from "./run-request-check.ts";
export type { SelectionResolver } from "./validate.ts";
export {
  AUTOMATION_CONDITION,
  DEFAULT_MAX_REQUESTS,
  DEFAULT_SENSOR_INTERVAL,
  DEFAULT_SENSOR_TIMEOUT,
  DEFAULT_TIMEZONE,
  MAX_CATCH_UP_RUNS,
  SCHEDULE_DEF,
  SENSOR_DEF,
} from "./types.ts";
export type {
  AutomationCondition,
  CatchUpPolicy,
  CronEvaluator,
  EagerCondition,
  NormalizedRequest,
  OnCronCondition,
  OnMissingCondition,
  OnOverdueCondition,
  OverlapPolicy,
  RunRequest,
  ScheduleDef,
  ScheduleInfo,
  ScheduleOptions,
  SelectItem,
  SelectTarget,
  SensorContext,
  SensorDef,
  SensorFn,
  SensorInfo,
  SensorOptions,
  SensorResult,
} from "./types.ts";
