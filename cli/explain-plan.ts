// `polegate validate --explain`: the read requests a Modbus device makes per poll, as a table a
// field engineer can hold against the device manual and a bus analyser's trace.
import type { Profile, RegisterTable } from '../config/profile-schema.js';
import { planProfile } from '../drivers/modbus/read-plan.js';

/** The read function code of each table (FC3 holding, FC4 input, FC1 coil, FC2 discrete). */
const READ_FUNCTION: Record<RegisterTable, number> = { holding: 3, input: 4, coil: 1, discrete: 2 };

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function limits(profile: Profile): string {
  return `at most ${profile.maxRegistersPerRead ?? 125} registers per read, gap ${profile.maxGapRegisters ?? 0}`;
}

/** Rows of the plan, columns aligned. */
function planTable(profile: Profile): string[] {
  const rows = [['fc', 'table', 'start', 'count', 'metrics']];
  for (const request of planProfile(profile)) {
    rows.push([String(READ_FUNCTION[request.table]), request.table, String(request.address), String(request.count), request.metrics.map((p) => p.metric.name).join(', ')]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  // Numbers right-aligned, words left-aligned; the metrics column is last and not padded.
  const numeric = [false, false, true, true, false];
  return rows.map((row) => `  ${row.map((cell, column) => (column === row.length - 1 ? cell : numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ')}`);
}

/** The plan of one profile, headed by `title` (e.g. `device gas-1 (profile gas-detector)`). */
export function explainPlan(title: string, profile: Profile): string[] {
  const count = planProfile(profile).length;
  return [`${title}: ${plural(count, 'request')} per poll for ${plural(profile.metrics.length, 'metric')} (${limits(profile)})`, ...planTable(profile)];
}

/** Requests per poll cycle, all devices together. */
export function requestsPerCycle(profiles: readonly Profile[]): number {
  return profiles.reduce((sum, profile) => sum + planProfile(profile).length, 0);
}
