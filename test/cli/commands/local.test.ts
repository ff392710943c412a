// Tests of the local command's event lines: how long after the SSM change each event reached the bus.
import { describe, expect, it } from 'vitest';
import { describeEvent, sinceChangeMs } from '../../../cli/commands/local';
import { DETAIL_TYPES } from '../../../lambda/core/types';
import type { RecordedEvent } from '../../../sandbox/event-recorder';
import type { GroundTruthEntry } from '../../../sandbox/ssm-simulator';

const T0 = Date.parse('2026-11-25T15:03:00Z');
const EXECUTION = 'aaaaaaaa-0000-4000-8000-000000000002';
const STEP = '55555555-0000-4000-8000-000000000001';

function recorded(
  detailType: string,
  detail: Record<string, unknown>,
  receivedSeconds: number,
): RecordedEvent {
  const detailRaw = JSON.stringify({
    eventId: 'e',
    account: '123456789012',
    region: 'us-east-1',
    executionId: EXECUTION,
    documentName: 'AWS-RestartEC2Instance',
    documentVersion: '1',
    parentExecutionId: null,
    observedAt: new Date(T0 + receivedSeconds * 1000).toISOString(),
    ...detail,
  });
  return {
    eventId: 'id',
    source: 'ssm-step-watch',
    detailType,
    detail: JSON.parse(detailRaw),
    detailRaw,
    resources: [],
    eventBusName: 'bus',
    time: new Date(T0 + receivedSeconds * 1000).toISOString(),
    receivedAt: T0 + receivedSeconds * 1000,
    call: 1,
  };
}

const TRUTH: GroundTruthEntry[] = [
  { kind: 'execution', executionId: EXECUTION, status: 'InProgress', previousStatus: null, at: T0 },
  {
    kind: 'step',
    executionId: EXECUTION,
    stepExecutionId: STEP,
    status: 'InProgress',
    previousStatus: 'Pending',
    at: T0,
  },
  {
    kind: 'step',
    executionId: EXECUTION,
    stepExecutionId: STEP,
    status: 'Failed',
    previousStatus: 'InProgress',
    at: T0 + 4_000,
  },
  { kind: 'alarm', executionId: EXECUTION, alarmName: 'CpuHigh', alarmState: 'ALARM', at: T0 + 5_000 },
  {
    kind: 'execution',
    executionId: EXECUTION,
    status: 'Failed',
    previousStatus: 'InProgress',
    at: T0 + 6_000,
  },
];

const stepDetail = (previousStatus: string, status: string) => ({
  executionStatus: 'InProgress',
  step: { stepExecutionId: STEP, stepName: 'stopInstances', previousStatus, status, failureMessage: null },
});

describe('Function: sinceChangeMs', () => {
  it('measures a step event from the change to its status', () => {
    expect(sinceChangeMs(recorded(DETAIL_TYPES.step, stepDetail('InProgress', 'Failed'), 7.25), TRUTH)).toBe(
      3_250,
    );
  });

  it('measures an execution event and an alarm event from their own changes', () => {
    const execution = recorded(
      DETAIL_TYPES.execution,
      { executionStatus: 'Failed', previousStatus: 'InProgress' },
      8,
    );
    const alarm = recorded(
      DETAIL_TYPES.alarm,
      { executionStatus: 'InProgress', alarm: { name: 'CpuHigh', state: 'ALARM' }, step: null },
      5.5,
    );
    expect(sinceChangeMs(execution, TRUTH)).toBe(2_000);
    expect(sinceChangeMs(alarm, TRUTH)).toBe(500);
  });

  it('finds nothing for a status SSM never reached, or reached only after the event arrived', () => {
    expect(
      sinceChangeMs(recorded(DETAIL_TYPES.step, stepDetail('InProgress', 'Success'), 9), TRUTH),
    ).toBeUndefined();
    expect(
      sinceChangeMs(recorded(DETAIL_TYPES.step, stepDetail('InProgress', 'Failed'), 3), TRUTH),
    ).toBeUndefined();
  });
});

describe('Function: describeEvent', () => {
  it('ends the line with the time since the change, to a tenth of a second', () => {
    const event = recorded(
      DETAIL_TYPES.execution,
      { executionStatus: 'Failed', previousStatus: 'InProgress' },
      8,
    );
    expect(describeEvent(event, 2_340)).toBe(
      `15:03:08  execution  AWS-RestartEC2Instance ${EXECUTION}  InProgress → Failed  +2.3s`,
    );
    expect(describeEvent(event)).toBe(
      `15:03:08  execution  AWS-RestartEC2Instance ${EXECUTION}  InProgress → Failed`,
    );
  });
});
