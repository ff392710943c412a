// The poll function's SQS form: work items from the dispatcher, one cycle per distinct shard, failed items back to the queue.
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DEFAULT_POLL_PERIOD_SECONDS } from '../core/defaults';
import { ConfigError } from '../core/errors';
import type { ShardTarget } from '../core/organization';
import { isStaleWorkItem, parseWorkItem, roleProblem } from '../core/work-items';
import { FAN_OUT_METRICS } from '../runtime/fan-out-metrics';
import { shardKey } from '../runtime/poller';
import { powertoolsOf } from '../runtime/powertools';

/** What one cycle of a shard reports back to the work-item loop. */
export interface ShardCycleOutcome {
  /** Another cycle held the shard's lease, so this one did nothing. */
  readonly leaseHeldElsewhere: boolean;
  /** Seconds since the start of the shard's last complete cycle. */
  readonly stalenessSeconds: number;
}

/** Runs one poll cycle of a shard (the schedule form of the poll function); throws when it fails. */
export type ShardCycle = (shard: ShardTarget, context: Context) => Promise<ShardCycleOutcome>;

/** Whether an invocation's event is an SQS batch (the work queue's event source mapping). */
export function isSqsEvent(event: unknown): event is SQSEvent {
  if (typeof event !== 'object' || event === null || !Array.isArray((event as SQSEvent).Records))
    return false;
  return (event as SQSEvent).Records.every((record) => record?.eventSource === 'aws:sqs');
}

/**
 * Serves a batch of work items: each record is read as a work item; malformed ones, ones older than
 * two periods on their first delivery (`POLL_PERIOD_SECONDS`; a fresher one is queued) and ones whose roleArn is not the
 * member role (`MEMBER_ROLE_NAME`, when set) of the shard's account are logged and acknowledged. Each
 * distinct shard then gets one cycle; a cycle that finds the lease held is acknowledged and logged as
 * skipped (the next period's item comes), a cycle that fails returns its shard's records as batch
 * item failures so SQS delivers them again (and to the dead-letter queue in the end).
 */
export async function serveWorkItems(
  event: SQSEvent,
  context: Context,
  options: { env: NodeJS.ProcessEnv; now: () => number; cycle: ShardCycle },
): Promise<SQSBatchResponse> {
  const { env, now, cycle } = options;
  const { logger, metrics } = powertoolsOf(env, context);
  const period = pollPeriodOf(env.POLL_PERIOD_SECONDS);
  if (period === null) {
    // A bad environment will not fix itself on retry; say so once and fail the invocation.
    const error = new ConfigError(
      `Invalid configuration: POLL_PERIOD_SECONDS must be a positive number, got "${env.POLL_PERIOD_SECONDS}".`,
    );
    logger.error('invalid configuration', { error: error.message });
    metrics.publishStoredMetrics();
    throw error;
  }
  const memberRoleName = env.MEMBER_ROLE_NAME?.trim() || undefined;
  // arn:<partition>:lambda:<region>:<account>:function:<name>
  const homeAccount = context.invokedFunctionArn.split(':')[4];
  const byShard = new Map<string, { shard: ShardTarget; records: SQSRecord[] }>();
  let dropped = 0;
  try {
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
      const entry = byShard.get(shard) ?? { shard: item.shard, records: [] };
      entry.records.push(record);
      byShard.set(shard, entry);
    }

    const failed: string[] = [];
    for (const [shard, { shard: target, records }] of byShard) {
      try {
        const outcome = await cycle(target, context);
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
  } finally {
    metrics.publishStoredMetrics();
  }
}

/** How many times SQS has delivered the record (1 on its first delivery). */
function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) && count > 0 ? count : 1;
}

/** The schedule's period in seconds (`POLL_PERIOD_SECONDS`, default one minute); null when it is not a positive number. */
function pollPeriodOf(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === '') return DEFAULT_POLL_PERIOD_SECONDS;
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 ? value : null;
}
