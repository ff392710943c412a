// Tests of the invariant checker itself: it must catch each broken promise, and pass an honest delivery.
import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../lambda/core/types';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import type { GroundTruthEntry } from '../../sandbox/ssm-simulator';
import { checkDelivery, type Observation, violationsOf } from './invariants';

const T = Date.parse('2026-11-25T12:00:00.000Z');
const EXEC = 'e-1';
const STEP = 's-1';

/**
 * The step's ground truth as SSM documents a planned step: listed Pending until it starts at 1 s,
 * then InProgress, Waiting at 2 s, InProgress at 3 s, Success at 4 s.
 */
const TRUTH: GroundTruthEntry[] = ['InProgress', 'Waiting', 'InProgress', 'Success'].map(
  (status, i, all) => ({
    kind: 'step',
    executionId: EXEC,
    stepExecutionId: STEP,
    status,
    previousStatus: i === 0 ? 'Pending' : (all[i - 1] ?? null),
    at: T + (i + 1) * 1000,
  }),
);

/** The execution's ground truth: InProgress at 0 s, Success at 5 s. */
const EXECUTION_TRUTH: GroundTruthEntry[] = [
  { kind: 'execution', executionId: EXEC, status: 'InProgress', previousStatus: null, at: T },
  { kind: 'execution', executionId: EXEC, status: 'Success', previousStatus: 'InProgress', at: T + 5000 },
];

let calls = 0;

function recorded(detailType: string, detail: Record<string, unknown>): RecordedEvent {
  calls++;
  return {
    eventId: `bus-${calls}`,
    source: 'ssm-step-watch',
    detailType,
    detail,
    detailRaw: JSON.stringify(detail),
    resources: [],
    eventBusName: 'bus',
    time: String(detail.observedAt),
    receivedAt: T,
    call: calls,
  };
}

/** A delivered step event of `status` (after `previousStatus`), observed at `second`, with the eventId `id`. */
function delivered(
  status: string,
  id: string,
  second: number,
  extra: Record<string, unknown> = {},
  previousStatus: string | null = null,
  stepExecutionId = STEP,
): RecordedEvent {
  return recorded(DETAIL_TYPES.step, {
    eventId: id,
    executionId: EXEC,
    executionStatus: 'InProgress',
    observedAt: new Date(T + second * 1000).toISOString(),
    step: { stepExecutionId, status, previousStatus },
    ...extra,
  });
}

/** A delivered execution event of `status`, observed at `second`. */
function deliveredExecution(status: string, id: string, second: number): RecordedEvent {
  return recorded(DETAIL_TYPES.execution, {
    eventId: id,
    executionId: EXEC,
    executionStatus: status,
    observedAt: new Date(T + second * 1000).toISOString(),
  });
}

/** A committed read of a step showing `status` at `second`; a started step unless `startTime` is null. */
function read(
  status: string,
  second: number,
  startTime: string | null = new Date(T + 1000).toISOString(),
  stepExecutionId = STEP,
): Observation {
  return {
    kind: 'step',
    executionId: EXEC,
    stepExecutionId,
    startTime,
    status,
    alarms: [],
    at: T + second * 1000,
    order: second,
  };
}

describe('Function: checkDelivery', () => {
  it('passes a delivery that skipped an unobserved status and repeated an event with the same id and detail', () => {
    const first = delivered('InProgress', 'a', 1.5, {}, 'Pending');
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [first, delivered('Success', 'b', 4.5, {}, 'InProgress'), first],
      observations: [read('Pending', 0.5, null), read('InProgress', 1.5), read('Success', 4.5)],
      settled: true,
    });

    expect(violationsOf(report)).toEqual([]);
    expect(report).toMatchObject({ deliveries: 3, transitions: 2, duplicates: 1, observed: 2 });
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

  it('requires nothing for a read of a step that has not started, under its own id or an alias', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [],
      observations: [read('Pending', 0.5, null), read('Pending', 0.7, null, 'planned:deploy')],
      aliases: [{ executionId: EXEC, listedAs: 'planned:deploy', stepExecutionId: STEP }],
      settled: false,
    });

    expect(violationsOf(report)).toEqual([]);
    expect(report.observed).toBe(0);
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

  it("reports a step state read before its execution's end was reported but delivered only after it", () => {
    const report = checkDelivery({
      groundTruth: [...EXECUTION_TRUTH, ...TRUTH],
      delivered: [
        deliveredExecution('InProgress', 'x', 0.5),
        delivered('InProgress', 'a', 1.5, {}, 'Pending'),
        deliveredExecution('Success', 'y', 5.5),
        delivered('Success', 'b', 7.5, {}, 'InProgress'),
      ],
      observations: [read('InProgress', 1.5), read('Success', 5.5)],
      settled: true,
    });

    expect(report.lost.map((v) => v.message)).toEqual([
      expect.stringMatching(
        /^status "Success" was read at .* but not delivered by the execution's final status/,
      ),
    ]);
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

  it('reports any event of a step that never started, including one under the id it had before', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [delivered('Pending', 'a', 0.5, {}, null, 'never-started'), delivered('Pending', 'b', 0.5)],
      observations: [],
      settled: false,
    });

    expect(report.phantom.map((v) => v.message)).toEqual([
      'status "Pending" delivered for a step that never started',
      expect.stringMatching(/^status "Pending" never occurred by /),
    ]);
  });

  it('reports statuses delivered out of order', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [delivered('Success', 'a', 4.5), delivered('Waiting', 'b', 4.5)],
      observations: [],
      settled: false,
    });

    expect(report.order).toHaveLength(1);
  });

  it('reports a first event that says null though a committed read listed the step not started before', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [delivered('InProgress', 'a', 1.5, {}, null)],
      observations: [read('Pending', 0.5, null, 'pending-id'), read('InProgress', 1.5)],
      aliases: [{ executionId: EXEC, listedAs: 'pending-id', stepExecutionId: STEP }],
      settled: false,
    });

    expect(report.previous.map((v) => v.message)).toEqual([
      expect.stringMatching(/says previousStatus null, but a committed read listed the step not started at /),
    ]);
  });

  it('accepts null on the first event when no committed read listed the step before it started', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [delivered('InProgress', 'a', 1.5, {}, null)],
      observations: [read('InProgress', 1.5)],
      settled: false,
    });

    expect(violationsOf(report)).toEqual([]);
  });

  it('reports "Pending" on the first event of a step SSM did not list before it started', () => {
    const unplanned = TRUTH.map((entry, i) => (i === 0 ? { ...entry, previousStatus: null } : entry));
    const report = checkDelivery({
      groundTruth: unplanned,
      delivered: [delivered('InProgress', 'a', 1.5, {}, 'Pending')],
      observations: [],
      settled: false,
    });

    expect(report.previous.map((v) => v.message)).toEqual([
      expect.stringMatching(
        /says previousStatus "Pending", but SSM never listed the step before it started$/,
      ),
    ]);
  });

  it('reports one status change under two eventIds, and one eventId with two details', () => {
    const report = checkDelivery({
      groundTruth: TRUTH,
      delivered: [
        delivered('Waiting', 'a', 2.5),
        delivered('Waiting', 'b', 2.6),
        delivered('Success', 'c', 4.5),
        delivered('Success', 'c', 4.5, { note: 'changed' }),
      ],
      observations: [],
      settled: false,
    });

    expect(report.badDuplicates.map((v) => v.message)).toEqual([
      'eventId c delivered with two different details',
      expect.stringMatching(/^status "Waiting" delivered under more eventIds than it occurred/),
    ]);
  });
});
