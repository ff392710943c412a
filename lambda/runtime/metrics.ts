// The poller's CloudWatch metrics (EMF): names shared with the CDK alarms and dashboard, and how a cycle records them.
import type { MetricsInterface } from '@aws-lambda-powertools/metrics/types';
import { DETAIL_TYPES } from '../core/types';
import type { CycleSummary } from '../cycle/poll-cycle';

/** Default metric namespace (`POWERTOOLS_METRICS_NAMESPACE`). */
export const METRIC_NAMESPACE = 'SsmStepWatch';

/** Metric names. */
export const METRICS = {
  staleness: 'OldestExecutionStalenessSeconds',
  eventsEmitted: 'EventsEmitted',
  eventsPending: 'EventsPending',
  stepEvents: 'StepStatusEvents',
  failureEvents: 'FailureEvents',
  alarmEvents: 'AlarmEvents',
  executionEvents: 'ExecutionStatusEvents',
  executionsPolled: 'ExecutionsPolled',
  executionsDeferred: 'ExecutionsDeferred',
  ssmCalls: 'SsmDescribeCalls',
  throttles: 'SsmThrottleWaitMs',
  skippedRecords: 'SkippedRecords',
  /** Executions a cycle holding the lease read because a hint handed them to it (hint inbox). */
  inboxExecutions: 'InboxExecutionsRead',
} as const;

/** Metric names of the hint function's invocations (besides the cycle metrics of its targeted cycles). */
export const HINT_METRICS = {
  hintsReceived: 'HintsReceived',
  hintsMalformed: 'HintsMalformed',
  hintsOtherShard: 'HintsOtherShard',
  hintsRedelivered: 'HintsRedelivered',
  /** Executions a hint invocation handed to the cycle holding the lease instead of reading them. */
  hintsHandedOff: 'HintsHandedOff',
  hintedCycles: 'HintedCycles',
  /** Seconds from a hint entering the queue to its execution being read or handed to the reading cycle. */
  hintAge: 'HintAgeSeconds',
} as const;

/** What a poller counted in one cycle: its calls by operation and its token bucket's wait. */
export interface PollerCounters {
  readonly calls: { get(operation: string): number };
  readonly ssm: { readonly waitedMs: number };
}

/** What one invocation measured: the cycle's summary and the poller's own counters. */
export interface CycleMeasurements {
  readonly summary: CycleSummary;
  /** Records SSM returned that the cycle could not use. */
  readonly skippedRecords: number;
  /** DescribeAutomationExecutions and DescribeAutomationStepExecutions calls made. */
  readonly ssmDescribeCalls: number;
  /** Milliseconds spent waiting for the SSM token bucket. */
  readonly throttleWaitMs: number;
}

/**
 * What a poller's cycle measured: its summary, and the Describe calls and token-bucket waits its
 * poller counted.
 */
export function cycleMeasurementsOf(summary: CycleSummary, poller: PollerCounters): CycleMeasurements {
  return {
    summary,
    skippedRecords: summary.unreadableRecords,
    ssmDescribeCalls:
      poller.calls.get('DescribeAutomationExecutions') + poller.calls.get('DescribeAutomationStepExecutions'),
    throttleWaitMs: poller.ssm.waitedMs,
  };
}

/**
 * Adds one value of every metric in {@link METRICS} for one cycle; the caller publishes them.
 *
 * @example
 * recordCycleMetrics(metrics, { summary, skippedRecords: 0, ssmDescribeCalls: 3, throttleWaitMs: 0 });
 * metrics.publishStoredMetrics();
 */
export function recordCycleMetrics(
  metrics: Pick<MetricsInterface, 'addMetric'>,
  measured: CycleMeasurements,
): void {
  // Unit names as Powertools' MetricUnit spells them; a type-only import keeps Powertools out of the CDK app.
  const { summary } = measured;
  const delivered = (detailType: string): number => summary.deliveredByType[detailType] ?? 0;
  metrics.addMetric(METRICS.staleness, 'Seconds', summary.stalenessSeconds);
  metrics.addMetric(METRICS.eventsEmitted, 'Count', summary.eventsEmitted + summary.eventsResent);
  metrics.addMetric(METRICS.eventsPending, 'Count', summary.eventsPending);
  metrics.addMetric(METRICS.stepEvents, 'Count', delivered(DETAIL_TYPES.step));
  metrics.addMetric(METRICS.alarmEvents, 'Count', delivered(DETAIL_TYPES.alarm));
  metrics.addMetric(METRICS.executionEvents, 'Count', delivered(DETAIL_TYPES.execution));
  metrics.addMetric(METRICS.failureEvents, 'Count', summary.failureTransitions);
  metrics.addMetric(METRICS.executionsPolled, 'Count', summary.executionsPolled);
  metrics.addMetric(METRICS.executionsDeferred, 'Count', summary.executionsDeferred);
  metrics.addMetric(METRICS.skippedRecords, 'Count', measured.skippedRecords);
  metrics.addMetric(METRICS.ssmCalls, 'Count', measured.ssmDescribeCalls);
  metrics.addMetric(METRICS.throttles, 'Milliseconds', measured.throttleWaitMs);
  metrics.addMetric(METRICS.inboxExecutions, 'Count', summary.inboxExecutions);
}

/** What one hint invocation did with its batch, for {@link recordHintMetrics}. */
export interface HintMeasurements {
  /** Records in the batch. */
  readonly received: number;
  /** Records that are not SSM Automation events (acknowledged). */
  readonly malformed: number;
  /** Hints for shards this deployment does not poll (acknowledged). */
  readonly otherShard: number;
  /** Records returned as batch item failures (SQS delivers them again). */
  readonly redelivered: number;
  /** Executions handed to the cycle holding the lease. */
  readonly handedOff: number;
  /** Targeted cycles run. */
  readonly hintedCycles: number;
  /** Per served record, seconds from entering the queue to being read or handed over. */
  readonly agesSeconds: readonly number[];
}

/** Adds the hint metrics of one hint invocation; the caller publishes them. */
export function recordHintMetrics(
  metrics: Pick<MetricsInterface, 'addMetric'>,
  measured: HintMeasurements,
): void {
  metrics.addMetric(HINT_METRICS.hintsReceived, 'Count', measured.received);
  metrics.addMetric(HINT_METRICS.hintsMalformed, 'Count', measured.malformed);
  metrics.addMetric(HINT_METRICS.hintsOtherShard, 'Count', measured.otherShard);
  metrics.addMetric(HINT_METRICS.hintsRedelivered, 'Count', measured.redelivered);
  metrics.addMetric(HINT_METRICS.hintsHandedOff, 'Count', measured.handedOff);
  metrics.addMetric(HINT_METRICS.hintedCycles, 'Count', measured.hintedCycles);
  // One value per invocation (the oldest served record), so the metric's percentiles are per batch.
  if (measured.agesSeconds.length > 0)
    metrics.addMetric(HINT_METRICS.hintAge, 'Seconds', Math.max(...measured.agesSeconds));
}
