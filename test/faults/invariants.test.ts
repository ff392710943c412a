// Tests of the invariant checker itself: it must catch each broken promise, and pass an honest delivery.
import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../lambda/core/types';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import type { GroundTruthEntry } from '../../sandbox/ssm-simulator';
import { checkDelivery, type Observation, violationsOf } from './invariants';

const T = Date.parse('2026-11-25T12:00:00.000Z');
const EXEC = 'e-1';
const STEP = 's-1';

/** The step's ground truth: Pending at 0 s, InProgress at 1 s, Waiting at 2 s, InProgress at 3 s, Success at 4 s. */
const TRUTH: GroundTruthEntry[] = ['Pending', 'InProgress', 'Waiting', 'InProgress', 'Success'].map(
  (status, i) => ({
    kind: 'step',
    executionId: EXEC,
    stepExecutionId: STEP,
    status,
    at: T + i * 1000,
  }),
);

let calls = 0;

/** A delivered step event of `status`, observed at `second`, with the eventId `id`. */
function delivered(
  status: string,
  id: string,
  second: number,
  extra: Record<string, unknown> = {},
): RecordedEvent {
  const detail = {
    eventId: id,
    executionId: EXEC,
    executionStatus: 'InProgress',
    observedAt: new Date(T + second * 1000).toISOString(),
    step: { stepExecutionId: STEP, status },
    ...extra,
  };
  calls++;
  return {
    eventId: `bus-${calls}`,
    source: 'ssm-step-watch',
    detailType: DETAIL_TYPES.step,
    detail,
    detailRaw: JSON.stringify(detail),
    resources: [],
    eventBusName: 'bus',
    time: detail.observedAt,
    receivedAt: T,
    call: calls,
  };
}

/** A committed read of the step showing `status` at `second`. */
function read(status: string, second: number): Observation {
  return {
    kind: 'step',
    executionId: EXEC,
    stepExecutionId: STEP,
    status,
    alarms: [],
    at: T + second * 1000,
    order: second,
  };
}

describe('Function: checkDelivery', () => {
  it('passes a delivery that skipped an unobserved status and repeated an event with the same id and detail', () => {
    const first = delivered('InProgress', 'a', 1.5);
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [first, delivered('Success', 'b', 4.5), first],
      observations: [read('InProgress', 1.5), read('Success', 4.5)],
      settled: true,
    });

    expect(violationsOf(report)).toEqual([]);
    expect(report).toMatchObject({ deliveries: 3, transitions: 2, duplicates: 1 });
  });

  it('reports a status a committed read saw but nobody delivered', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [delivered('InProgress', 'a', 1.5), delivered('Success', 'b', 4.5)],
      observations: [read('InProgress', 1.5), read('Waiting', 2.5), read('Success', 4.5)],
      settled: false,
    });

    expect(report.lost.map((v) => v.message)).toEqual([expect.stringMatching(/^status "Waiting" was read/)]);
  });

  it('reports a final status that never arrived once the run has settled', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [delivered('InProgress', 'a', 1.5)],
      observations: [],
      settled: true,
    });

    expect(report.lost.map((v) => v.message)).toEqual([expect.stringMatching(/^final status "Success"/)]);
  });

  it('reports a status that never happened, or had not happened yet when observed', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [delivered('Cancelled', 'a', 4.5), delivered('Success', 'b', 3.5)],
      observations: [],
      settled: false,
    });

    expect(report.phantom).toHaveLength(2);
  });

  it('reports statuses delivered out of order', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [delivered('Waiting', 'a', 2.5), delivered('Pending', 'b', 2.5)],
      observations: [],
      settled: false,
    });

    expect(report.order).toHaveLength(1);
  });

  it('reports one status change under two eventIds, and one eventId with two details', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [
        delivered('Pending', 'a', 0.5),
        delivered('Pending', 'b', 0.6),
        delivered('Success', 'c', 4.5),
        delivered('Success', 'c', 4.5, { note: 'changed' }),
      ],
      observations: [],
      settled: false,
    });

    expect(report.badDuplicates.map((v) => v.message)).toEqual([
      'eventId c delivered with two different details',
      expect.stringMatching(/^status "Pending" delivered under more eventIds than it occurred/),
    ]);
  });
});
