// Tests of the latency bench's measure: each SSM change against the first event that tells it or a later status.
import { describe, expect, it } from 'vitest';
import {
  changeLatencies,
  compareToScheduleOnly,
  type LatencyFigures,
  latencyFleet,
} from '../../bench/latency';
import { DETAIL_TYPES } from '../../lambda/core/types';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import { parseScenario } from '../../sandbox/scenario';
import type { GroundTruthEntry } from '../../sandbox/ssm-simulator';

const T0 = Date.parse('2026-11-25T06:00:00Z');
const EXECUTION = 'aaaaaaaa-0000-4000-8000-000000000001';
const STEP = '55555555-0000-4000-8000-000000000001';
const at = (seconds: number): number => T0 + seconds * 1000;

function stepEvent(eventId: string, status: string, receivedSeconds: number): RecordedEvent {
  const detail = {
    eventId,
    executionId: EXECUTION,
    executionStatus: 'InProgress',
    step: { stepExecutionId: STEP, status },
  };
  return event(DETAIL_TYPES.step, detail, receivedSeconds);
}

function executionEvent(eventId: string, status: string, receivedSeconds: number): RecordedEvent {
  return event(
    DETAIL_TYPES.execution,
    { eventId, executionId: EXECUTION, executionStatus: status, step: null },
    receivedSeconds,
  );
}

function event(detailType: string, detail: Record<string, unknown>, receivedSeconds: number): RecordedEvent {
  return {
    eventId: `bus-${String(detail.eventId)}-${receivedSeconds}`,
    source: 'ssm-step-watch',
    detailType,
    detail,
    detailRaw: JSON.stringify(detail),
    resources: [],
    eventBusName: 'latency-bus',
    time: new Date(at(receivedSeconds)).toISOString(),
    receivedAt: at(receivedSeconds),
    call: 1,
  };
}

const step = (status: string, seconds: number): GroundTruthEntry => ({
  kind: 'step',
  executionId: EXECUTION,
  stepExecutionId: STEP,
  status,
  at: at(seconds),
});

describe('Function: changeLatencies', () => {
  it('measures each change to the first arrival of its own event, a duplicate counting once', () => {
    const truth = [step('InProgress', 0), step('Success', 10)];
    const events = [
      stepEvent('a', 'InProgress', 2.5),
      stepEvent('a', 'InProgress', 1),
      stepEvent('b', 'Success', 14),
    ];
    const { perChange, collapsed, untold } = changeLatencies(truth, events);
    expect(Object.fromEntries(perChange)).toEqual({ [`step:${STEP}#0`]: 2.5, [`step:${STEP}#1`]: 4 });
    expect([collapsed, untold]).toEqual([0, 0]);
  });

  it('tells a change collapsed into a later status by that later event, and counts it collapsed', () => {
    const truth = [step('InProgress', 0), step('Success', 3)];
    const { perChange, collapsed, untold } = changeLatencies(truth, [stepEvent('b', 'Success', 20)]);
    expect(Object.fromEntries(perChange)).toEqual({ [`step:${STEP}#0`]: 20, [`step:${STEP}#1`]: 17 });
    expect([collapsed, untold]).toEqual([1, 0]);
  });

  it('counts a change no event ever told, and ignores alarms and statuses SSM never reached', () => {
    const truth: GroundTruthEntry[] = [
      { kind: 'execution', executionId: EXECUTION, status: 'InProgress', at: at(0) },
      { kind: 'execution', executionId: EXECUTION, status: 'Failed', at: at(9) },
      { kind: 'alarm', executionId: EXECUTION, alarmName: 'CpuHigh', alarmState: 'ALARM', at: at(8) },
    ];
    const events = [executionEvent('a', 'InProgress', 1), executionEvent('z', 'Success', 12)];
    const { perChange, untold } = changeLatencies(truth, events);
    expect(Object.fromEntries(perChange)).toEqual({ [`execution:${EXECUTION}#0`]: 1 });
    expect(untold).toBe(1);
  });
});

describe('Function: latencyFleet', () => {
  it('builds a valid, seeded fleet of a few dozen executions with failures and a rate-control run', () => {
    const fleet = latencyFleet();
    expect(parseScenario(fleet)).toEqual(fleet);
    expect(latencyFleet()).toEqual(fleet);
    expect(fleet.executions).toHaveLength(45);
    const ends = fleet.executions.map((e) => e.timeline.at(-1)?.status);
    expect(ends.filter((s) => s === 'Failed').length).toBeGreaterThanOrEqual(5);
    expect(fleet.executions.filter((e) => (e.parentId ?? null) !== null)).toHaveLength(8);
  });
});

/** Figures of one run as the comparison reads them: latencies, change times, scheduled reads. */
function figures(
  perChange: Record<string, number>,
  scheduledReads: Record<string, number[]>,
): LatencyFigures {
  const changeAt = Object.fromEntries(
    Object.keys(perChange).map((key) => [key, { at: at(10), executionId: EXECUTION }]),
  );
  return { perChange, changeAt, scheduledReads } as unknown as LatencyFigures;
}

describe('Function: compareToScheduleOnly', () => {
  it('tells a change later because the run’s schedule read before it from one its schedule read late', () => {
    // Prepare: the change at 10 s; the schedule alone read the execution at 11 s in cycle 0 and told it at 12 s.
    const alone = figures({ a: 2, b: 2 }, { [`0#${EXECUTION}`]: [at(11)] });
    const ahead = figures({ a: 5 }, { [`0#${EXECUTION}`]: [at(9)] });
    const behind = figures({ b: 5 }, { [`0#${EXECUTION}`]: [at(13)] });

    // Act
    const fromAhead = compareToScheduleOnly(ahead, alone);
    const fromBehind = compareToScheduleOnly(behind, alone);

    // Assess
    expect(fromAhead).toMatchObject({ changes: 1, worstSeconds: 3, scheduleAhead: { changes: 1 } });
    expect(fromAhead.delayed.changes).toBe(0);
    expect(fromBehind).toMatchObject({ changes: 1, delayed: { changes: 1, worstSeconds: 3 } });
    expect(fromBehind.scheduleAhead.changes).toBe(0);
  });

  it('counts nothing when no change is told later', () => {
    const alone = figures({ a: 2 }, { [`0#${EXECUTION}`]: [at(11)] });
    expect(compareToScheduleOnly(figures({ a: 1 }, {}), alone)).toMatchObject({
      changes: 0,
      other: { changes: 0 },
    });
  });
});
