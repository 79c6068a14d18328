/** When a sensor ticks. */
import type { SensorInfo } from "./types.ts";

/**
 * True when the sensor's interval has elapsed since its last tick (or it never ticked). A clock
 * that moved back before the last tick also makes it due, so a sensor never stalls for the gap.
 */
export function sensorDue(state: { lastTickAt: number | null }, sensor: Pick<SensorInfo, "intervalMs">, now: number): boolean {
  if (state.lastTickAt === null || now < state.lastTickAt) return true;
  return now - state.lastTickAt >= sensor.intervalMs;
}
