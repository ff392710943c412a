// A scenario timeline evaluated at a point in time: the state it stands in and the alarm SSM shows.
import { SCENARIO_TERMINAL_STATUSES, type ScenarioAlarm } from './scenario';

/** Where a timeline stands at a point in time: its status, start, end and the optional fields in force. */
export interface TimelineState {
  readonly status: string;
  readonly startMs: number;
  readonly endMs: number | undefined;
  /** Sticky optional fields; `null` means cleared. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * The state of `timeline` at `now` (epoch ms), or `undefined` before its first entry. The status is
 * that of the last entry so far, optional fields stick from the entry that sets them, and the end
 * is the first terminal entry after the last non-terminal one.
 *
 * @param toMs - maps an entry's `at` (seconds from the scenario start) to epoch ms
 */
export function evaluateTimeline(
  timeline: readonly { readonly at: number; readonly status: string }[],
  toMs: (at: number) => number,
  now: number,
): TimelineState | undefined {
  const first = timeline[0];
  if (first === undefined || toMs(first.at) > now) return undefined;
  let status = first.status;
  let endMs: number | undefined;
  const fields: Record<string, unknown> = {};
  for (const entry of timeline) {
    const ms = toMs(entry.at);
    if (ms > now) break;
    status = entry.status;
    // The end is the first terminal entry after the last non-terminal one (a retry clears it).
    if (!SCENARIO_TERMINAL_STATUSES.has(entry.status)) endMs = undefined;
    else if (endMs === undefined) endMs = ms;
    for (const [key, value] of Object.entries(entry)) {
      if (key !== 'at' && key !== 'status' && value !== undefined) fields[key] = value;
    }
  }
  return { status, startMs: toMs(first.at), endMs, fields };
}

/** One `TriggeredAlarms` entry as SSM lists it. */
export type AlarmInfo = { Name: string; State: string };

/**
 * The alarm whose state changed last, alone: SSM's `TriggeredAlarms` holds at most one entry (an
 * automation has one alarm in its `AlarmConfiguration`).
 */
export function latestAlarm(
  alarms: readonly ScenarioAlarm[] | undefined,
  toMs: (at: number) => number,
  now: number,
): AlarmInfo[] {
  const states = new Map<string, string>();
  let latest: AlarmInfo | undefined;
  for (const alarm of [...(alarms ?? [])].sort((a, b) => a.at - b.at)) {
    if (toMs(alarm.at) > now) break;
    if (states.get(alarm.name) === alarm.state) continue;
    states.set(alarm.name, alarm.state);
    latest = { Name: alarm.name, State: alarm.state };
  }
  return latest === undefined ? [] : [latest];
}
