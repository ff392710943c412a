// Tests of recordCycleMetrics through a real Powertools Metrics instance and the EMF document it serialises.
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { EmfOutput } from '@aws-lambda-powertools/metrics/types';
import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../lambda/core/types';
import type { CycleSummary } from '../../lambda/cycle/poll-cycle';
import { METRICS, recordCycleMetrics } from '../../lambda/runtime/metrics';

const SUMMARY: CycleSummary = {
  executionsSeen: 9,
  executionsPolled: 7,
  executionsDeferred: 2,
  stepsRead: 40,
  stepPages: 8,
  transitions: 12,
  eventsEmitted: 10,
  eventsResent: 3,
  eventsPending: 1,
  stalenessSeconds: 42.5,
  complete: false,
  deliveredByType: { [DETAIL_TYPES.step]: 8, [DETAIL_TYPES.execution]: 5 },
  failureTransitions: 4,
  leaseHeldElsewhere: false,
  unreadableRecords: 0,
  handedOff: false,
  inboxExecutions: 3,
};

/** The EMF document of one cycle's metrics over SUMMARY and some poller counters. */
function recorded(): EmfOutput {
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'step-watch-test' });
  recordCycleMetrics(metrics, {
    summary: SUMMARY,
    skippedRecords: 2,
    ssmDescribeCalls: 15,
    throttleWaitMs: 250,
  });
  return metrics.serializeMetrics();
}

/** The recorded values of `names`, in that order. */
function valuesOf(...names: string[]): unknown[] {
  const emf = recorded();
  return names.map((name) => emf[name]);
}

describe('Function: recordCycleMetrics', () => {
  it('records every metric once, in seconds, milliseconds or as a count', () => {
    const units = new Map(recorded()._aws.CloudWatchMetrics[0]?.Metrics.map((m) => [m.Name, m.Unit]));

    expect([...units.keys()].sort()).toEqual(Object.values(METRICS).sort());
    expect(units.get(METRICS.staleness)).toBe('Seconds');
    expect(units.get(METRICS.throttles)).toBe('Milliseconds');
    expect([...units.values()].filter((unit) => unit === 'Count')).toHaveLength(units.size - 2);
  });

  it('counts new and resent events as emitted', () => {
    expect(valuesOf(METRICS.eventsEmitted)).toEqual([13]);
  });

  it('counts delivered events by detail type, zero for a type none was delivered of', () => {
    expect(valuesOf(METRICS.stepEvents, METRICS.alarmEvents, METRICS.executionEvents)).toEqual([8, 0, 5]);
  });

  it("takes staleness, pending events, failures, polled and deferred executions from the cycle's summary", () => {
    expect(
      valuesOf(
        METRICS.staleness,
        METRICS.eventsPending,
        METRICS.failureEvents,
        METRICS.executionsPolled,
        METRICS.executionsDeferred,
      ),
    ).toEqual([42.5, 1, 4, 7, 2]);
  });

  it("takes skipped records, Describe calls and the token bucket's wait from the poller", () => {
    expect(valuesOf(METRICS.skippedRecords, METRICS.ssmCalls, METRICS.throttles)).toEqual([2, 15, 250]);
  });
});
