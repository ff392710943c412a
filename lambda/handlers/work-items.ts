// The poll function's SQS form: work items from the dispatcher, one cycle per distinct shard, failed items back to the queue.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ShardTarget } from '../core/organization';
import {
  type ConfiguredShards,
  isStaleWorkItem,
  parseWorkItem,
  roleProblem,
  unconfiguredShardProblem,
} from '../core/work-items';
import type { WorkItemConfig } from '../runtime/config';
import { FAN_OUT_METRICS } from '../runtime/fan-out-metrics';
import { parseFunctionArn, shardKey } from '../runtime/shard';
import { shardsOfList } from '../runtime/shard-list';

/** What one cycle of a shard reports back to the work-item loop. */
export interface ShardCycleOutcome {
  /** Another cycle held the shard's lease, so this one did nothing. */
  readonly leaseHeldElsewhere: boolean;
  /** Seconds since the start of the shard's last complete cycle. */
  readonly stalenessSeconds: number;
}

/** Runs one poll cycle of a shard (the schedule form of the poll function); throws when it fails. */
export type ShardCycle = (shard: ShardTarget) => Promise<ShardCycleOutcome>;

/** What {@link serveWorkItems} works with: the function's settings, the invocation's Powertools, a clock and the cycle. */
export interface WorkItemOptions extends WorkItemConfig {
  readonly logger: Logger;
  /** Collects the batch's metrics; the caller publishes them. */
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly cycle: ShardCycle;
}

/** Whether an invocation's event is an SQS batch (the work queue's event source mapping). */
export function isSqsEvent(event: unknown): event is SQSEvent {
  if (typeof event !== 'object' || event === null || !Array.isArray((event as SQSEvent).Records))
    return false;
  return (event as SQSEvent).Records.every((record) => record?.eventSource === 'aws:sqs');
}

/**
 * Serves a batch of work items: each record is read as a work item; malformed ones, ones older than
 * two periods on their first delivery (`POLL_PERIOD_SECONDS`; a fresher one is queued), ones whose roleArn is not the
 * member role (`MEMBER_ROLE_NAME`, when set) of the shard's account, and ones naming a shard this
 * deployment does not poll (`SHARDS` / `SHARDS_FILE` / `ORGANIZATION`; one warning each) are logged
 * and acknowledged, never processed. Each
 * distinct shard then gets one cycle; a cycle that finds the lease held is acknowledged and logged as
 * skipped (the next period's item comes), a cycle that fails returns its shard's records as batch
 * item failures so SQS delivers them again (and to the dead-letter queue in the end).
 */
export async function serveWorkItems(
  event: SQSEvent,
  context: Pick<Context, 'invokedFunctionArn'>,
  options: WorkItemOptions,
): Promise<SQSBatchResponse> {
  const { logger, metrics, now, cycle, pollPeriodSeconds: period, memberRoleName } = options;
  const arn = parseFunctionArn(context.invokedFunctionArn);
  const homeAccount = arn.account || undefined;
  const configured = configuredShards(options, {
    account: arn.account,
    region: arn.region,
  });
  const byShard = new Map<string, { shard: ShardTarget; records: SQSRecord[] }>();
  let dropped = 0;
  for (const record of event.Records) {
    const item = parseWorkItem(record.body);
    if (item === null) {
      logger.warn('acknowledged a record that is not a work item', { messageId: record.messageId });
      dropped += 1;
      continue;
    }
    const shard = shardKey(item.shard);
    // A redelivered item (its cycle failed) is served however old, so one that keeps failing ends
    // in the dead-letter queue instead of being dropped as stale.
    if (isStaleWorkItem(item, now(), period) && receiveCount(record) <= 1) {
      logger.info('dropped a stale work item; a fresher one is queued', {
        shard,
        messageId: record.messageId,
        ageSeconds: Math.round((now() - item.dispatchedAt) / 1000),
      });
      dropped += 1;
      continue;
    }
    const problem = roleProblem(item.shard, memberRoleName, homeAccount);
    if (problem !== null) {
      logger.error('refused a work item naming a role it may not', {
        shard,
        messageId: record.messageId,
        problem,
      });
      dropped += 1;
      continue;
    }
    const unconfigured = unconfiguredShardProblem(item.shard, configured);
    if (unconfigured) {
      logger.warn('refused a work item for a shard this deployment does not poll', {
        shard,
        messageId: record.messageId,
        problem: unconfigured,
      });
      dropped += 1;
      continue;
    }
    const entry = byShard.get(shard) ?? { shard: item.shard, records: [] };
    entry.records.push(record);
    byShard.set(shard, entry);
  }

  const failed: string[] = [];
  for (const [shard, { shard: target, records }] of byShard) {
    try {
      const outcome = await cycle(target);
      if (outcome.leaseHeldElsewhere) {
        logger.info('skipped: another cycle holds the lease', { shard });
      } else {
        metrics.addMetric(FAN_OUT_METRICS.shardStaleness, 'Seconds', outcome.stalenessSeconds);
      }
    } catch {
      // The cycle logged why; SQS delivers the shard's items again.
      failed.push(...records.map((record) => record.messageId));
    }
  }
  if (dropped > 0) metrics.addMetric(FAN_OUT_METRICS.workItemsDropped, 'Count', dropped);
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}

/**
 * The shards work items may name, from the configuration; with none configured, the function's own
 * account and region alone (what the dispatcher queues then), so a forged item is never served.
 */
function configuredShards(
  config: Pick<WorkItemConfig, 'shards' | 'organization'>,
  own: { account: string; region: string },
): ConfiguredShards {
  if (config.organization) return { organization: config.organization };
  return { shards: shardsOfList(config.shards ?? null, own) };
}

/** How many times SQS has delivered the record (1 on its first delivery). */
function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) && count > 0 ? count : 1;
}
