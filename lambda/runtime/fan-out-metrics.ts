// The fan-out's CloudWatch metrics (EMF): names shared with the CDK dashboard, and how the dispatcher and a work item record them.
import type { MetricsInterface } from '@aws-lambda-powertools/metrics/types';
import type { StalenessReport } from '../core/work-items';

/** Metric names of the fan-out (no per-shard dimension: one metric per shard would cost per shard). */
export const FAN_OUT_METRICS = {
  /** One value per poll cycle of a work item: seconds since the start of the shard's last complete cycle. */
  shardStaleness: 'ShardStalenessSeconds',
  /** One value per dispatcher run: the stalest shard's staleness. */
  shardStalenessMax: 'ShardStalenessMaxSeconds',
  /** One value per dispatcher run: shards whose last complete cycle is older than two periods. */
  staleShards: 'StaleShards',
  /** One value per dispatcher run: shards dispatched (work items to send). */
  shards: 'ShardsDispatched',
  /** One value per dispatcher run: work items SQS took. */
  workItemsSent: 'WorkItemsSent',
  /** One value per dispatcher run: work items SQS refused twice (logged with their shard). */
  workItemsUnsent: 'WorkItemsUnsent',
  /** One value per dropped work item: older than two periods, or naming a role it may not. */
  workItemsDropped: 'WorkItemsDropped',
} as const;

/** What one dispatcher run measured. */
export interface DispatchMeasurements {
  readonly shards: number;
  readonly sent: number;
  readonly unsent: number;
  /** Null when the poller states could not be read this run. */
  readonly staleness: StalenessReport | null;
}

/**
 * Adds the dispatcher's metrics for one run; the caller publishes them.
 *
 * @example
 * recordDispatchMetrics(metrics, { shards: 3, sent: 3, unsent: 0, staleness });
 */
export function recordDispatchMetrics(
  metrics: Pick<MetricsInterface, 'addMetric'>,
  measured: DispatchMeasurements,
): void {
  metrics.addMetric(FAN_OUT_METRICS.shards, 'Count', measured.shards);
  metrics.addMetric(FAN_OUT_METRICS.workItemsSent, 'Count', measured.sent);
  metrics.addMetric(FAN_OUT_METRICS.workItemsUnsent, 'Count', measured.unsent);
  if (measured.staleness !== null) {
    metrics.addMetric(FAN_OUT_METRICS.shardStalenessMax, 'Seconds', measured.staleness.maxSeconds);
    metrics.addMetric(FAN_OUT_METRICS.staleShards, 'Count', measured.staleness.staleShards);
  }
}
