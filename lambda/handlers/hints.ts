// The hint Lambda: SQS batches of SSM's own aws.ssm events wake one targeted cycle per shard within seconds.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsInterface } from '@aws-lambda-powertools/metrics/types';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoFanOutStore, listingOf } from '../adapters/dynamodb/fan-out-store';
import { realTimer, type Timer } from '../adapters/token-bucket';
import { ConfigError, StepWatchError } from '../core/errors';
import { coalesceHints, type Hint, parseHint } from '../core/hints';
import { type OrganizationScope, shardsOf } from '../core/organization';
import { type CycleSummary, runPollCycle } from '../cycle/poll-cycle';
import { HINT_DEADLINE_RESERVE_MS, invocationBudget } from '../runtime/budget';
import { ClientCache } from '../runtime/clients';
import { type HintConfig, readHintConfig } from '../runtime/config';
import { cycleMeasurementsOf, METRICS, recordCycleMetrics, recordHintMetrics } from '../runtime/metrics';
import { createPoller, type Poller, type PollerClients, type ShardTarget } from '../runtime/poller';
import { cycleLoggerOf, startInvocation } from '../runtime/powertools';
import { type OwnShard, ownShard, shardKey } from '../runtime/shard';
import { shardsOfList } from '../runtime/shard-list';

/** The hint function's handler: one SQS batch in, the records to redeliver out. */
export type HintHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Options of {@link createHintHandler}. */
export interface HintHandlerOptions {
  /**
   * The environment the configuration (read once, on the first invocation) comes from: what the
   * poller reads (`TABLE_NAME`, `EVENT_BUS_NAME`, …) plus `SCHEDULE_PERIOD_SECONDS` and the shards
   * it serves: `ORGANIZATION` (JSON scope: the accounts the dispatcher last listed, times its
   * regions, each with the scope's `memberRoleName`), else `SHARDS` (JSON list) or `SHARDS_FILE`
   * (a file of the bundle holding that list), else the function's own account and region.
   * @default the function's environment variables
   */
  readonly env?: NodeJS.ProcessEnv;
  /** SDK clients to use instead of building them. @default clients built for each shard */
  readonly clients?: PollerClients;
  /** Clock and sleep of the cycles (virtual time in tests). @default the real ones */
  readonly timer?: Timer;
  /**
   * How long a targeted cycle waits for a lease the scheduled cycle holds before its records go back
   * to the queue. @default 10000
   */
  readonly leaseWaitMs?: number;
}

/** What one shard's part of a batch came to, for the log line (a type, so it is a log attribute). */
type ShardOutcome = {
  readonly shard: string;
  readonly executionIds: number;
  readonly records: number;
  readonly outcome: 'read' | 'handed off' | 'lease held' | 'failed';
  readonly transitions?: number;
  readonly eventsEmitted?: number;
  readonly executionsDeferred?: number;
};

const DEFAULT_LEASE_WAIT_MS = 10_000;
/** Metrics about the whole fleet that only the scheduled cycle measures. */
const SCHEDULED_ONLY_METRICS: ReadonlySet<string> = new Set([METRICS.staleness, METRICS.executionsDeferred]);

/**
 * Builds the hint handler. Each batch is parsed and coalesced (one read per execution however many
 * events named it); hints for shards this deployment does not poll are dropped with one log line,
 * malformed records are logged and acknowledged. Each shard then gets one targeted cycle under its
 * lease. When another cycle holds the lease and takes hints (its hint inbox is open), or the
 * scheduled cycle is about to take it, the executions are handed to that cycle, which reads them
 * next, and the records are acknowledged; when the lease stays held past the wait otherwise, that
 * shard's records are returned as batch item failures for SQS to deliver again later. A lost or
 * failed hint costs latency only: the schedule reads every execution anyway.
 *
 * @example
 * const handle = createHintHandler({ env: { TABLE_NAME: 'table', EVENT_BUS_NAME: 'bus' }, clients });
 * const { batchItemFailures } = await handle(sqsEvent, context);
 */
export function createHintHandler(options: HintHandlerOptions = {}): HintHandler {
  const timer = options.timer ?? realTimer;
  const leaseWaitMs = options.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS;
  let config: HintConfig | undefined;
  const clients = new ClientCache(options.clients);

  return async (event, context) => {
    const { logger, metrics } = startInvocation(context, options.env);
    try {
      config ??= readHintConfig(options.env);
      const own = ownShard(context, options.env);
      const targets = config.organization
        ? await organizationTargets(config, config.organization, own, clients.for(own))
        : new Map(shardsOfList(config.shards, own).map((target) => [shardKey(target), target]));

      const hints: Hint[] = [];
      const recordsByShard = new Map<string, string[]>();
      const sentAt = new Map<string, number>();
      const malformed: string[] = [];
      const foreign = new Map<string, number>();
      for (const record of event.Records ?? []) {
        const hint = parseHint(record.body);
        if (!hint) {
          malformed.push(record.messageId);
          continue;
        }
        const key = shardKey(hint);
        if (!targets.has(key)) {
          foreign.set(key, (foreign.get(key) ?? 0) + 1);
          continue;
        }
        hints.push(hint);
        recordsByShard.set(key, [...(recordsByShard.get(key) ?? []), record.messageId]);
        const sent = Number(record.attributes?.SentTimestamp);
        if (Number.isFinite(sent)) sentAt.set(record.messageId, sent);
      }
      if (malformed.length > 0) {
        logger.warn('acknowledged records that are not SSM Automation events', { messageIds: malformed });
      }
      if (foreign.size > 0) {
        logger.info('dropped hints for shards this deployment does not poll', {
          hintsByShard: Object.fromEntries(foreign),
        });
      }

      const hinted = [...coalesceHints(hints)];
      const outcomes = await Promise.all(
        hinted.map(([key, executionIds]) =>
          serveShard({
            config: config as HintConfig,
            target: targets.get(key) as ShardTarget,
            executionIds,
            records: recordsByShard.get(key) ?? [],
            context,
            logger,
            metrics,
          }),
        ),
      );
      const failed = outcomes.flatMap(({ failedRecords }) => failedRecords);
      const malformedCount = malformed.length;
      const otherShard = [...foreign.values()].reduce((a, b) => a + b, 0);
      recordHintMetrics(metrics, {
        received: event.Records?.length ?? 0,
        malformed: malformedCount,
        otherShard,
        redelivered: failed.length,
        handedOff: outcomes.reduce(
          (n, { outcome }) => n + (outcome.outcome === 'handed off' ? outcome.executionIds : 0),
          0,
        ),
        hintedCycles: outcomes.filter(({ outcome }) => outcome.outcome === 'read').length,
        agesSeconds: outcomes.flatMap(({ servedAt, servedRecords }) =>
          servedRecords.flatMap((id) => {
            const sent = sentAt.get(id);
            return sent === undefined ? [] : [Math.max(0, (servedAt - sent) / 1000)];
          }),
        ),
      });
      logger.info('hints handled', {
        records: event.Records?.length ?? 0,
        malformed: malformedCount,
        foreign: otherShard,
        shards: outcomes.map(({ outcome }) => outcome),
        redelivered: failed.length,
      });
      return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
    } catch (error) {
      // Only a bad environment gets here: every record goes back, and to the dead-letter queue in the end.
      if (error instanceof ConfigError) logger.error('invalid configuration', { error: error.message });
      else logger.error('hint batch failed unexpectedly', error as Error);
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };

  async function serveShard(input: {
    config: HintConfig;
    target: ShardTarget;
    executionIds: readonly string[];
    records: readonly string[];
    context: Context;
    logger: Logger;
    metrics: Metrics;
  }): Promise<{
    outcome: ShardOutcome;
    failedRecords: readonly string[];
    /** Records whose executions were read or handed over, and when (epoch ms). */
    servedRecords: readonly string[];
    servedAt: number;
  }> {
    const { config, target, executionIds, records, context, logger, metrics } = input;
    const shard = shardKey(target);
    const base = { shard, executionIds: executionIds.length, records: records.length };
    const log = cycleLoggerOf(logger, { shard });
    const unserved = { failedRecords: records, servedRecords: [], servedAt: 0 };
    try {
      const poller = createPoller(config.poller, target, {
        clients: clients.for(target),
        logger: log,
        timer,
      });
      const budget = invocationBudget(context, timer.now(), {
        reserveMs: HINT_DEADLINE_RESERVE_MS,
        leaseWaitMs,
      });
      const summary = await runPollCycle(poller.deps, {
        ...poller.options,
        executionIds,
        deadline: budget.deadline,
        leaseUntil: budget.end,
        leaseWaitUntil: budget.leaseWaitUntil,
        ...(config.schedulePeriodSeconds !== undefined && {
          schedulePeriodSeconds: config.schedulePeriodSeconds,
        }),
      });
      if (summary.handedOff) {
        // The cycle holding the lease (or the scheduled one about to) reads them next.
        return {
          outcome: { ...base, outcome: 'handed off' },
          failedRecords: [],
          servedRecords: records,
          servedAt: timer.now(),
        };
      }
      if (summary.leaseHeldElsewhere) return { ...unserved, outcome: { ...base, outcome: 'lease held' } };
      recordHintedMetrics(metrics, summary, poller);
      return {
        servedRecords: records,
        servedAt: timer.now(),
        outcome: {
          ...base,
          outcome: 'read',
          transitions: summary.transitions,
          eventsEmitted: summary.eventsEmitted + summary.eventsResent,
          executionsDeferred: summary.executionsDeferred,
        },
        failedRecords: [],
      };
    } catch (error) {
      // One shard failing (its store, its SSM) leaves the other shards' hints done.
      if (error instanceof StepWatchError) {
        log.error('targeted cycle failed', { error: error.message, cause: String(error.cause ?? '') });
      } else {
        log.error('targeted cycle failed unexpectedly', { error: String(error) });
      }
      return { ...unserved, outcome: { ...base, outcome: 'failed' } };
    }
  }
}

/** Reads hints from the SQS queue the stack feeds from the default bus, configured by its environment variables. */
export const hintHandler: HintHandler = createHintHandler();

/** Records a targeted cycle's metrics; staleness and deferrals describe the whole fleet, so the schedule's only. */
function recordHintedMetrics(metrics: Metrics, summary: CycleSummary, poller: Poller): void {
  const filtered: Pick<MetricsInterface, 'addMetric'> = {
    addMetric: (...args) => (SCHEDULED_ONLY_METRICS.has(args[0]) ? metrics : metrics.addMetric(...args)),
  };
  recordCycleMetrics(filtered, cycleMeasurementsOf(summary, poller));
}

/**
 * Organization mode: the shards of the accounts the dispatcher last listed (its cached list in the
 * table) in scope, each with the member role; until the dispatcher has listed them, the function's
 * own account only.
 */
async function organizationTargets(
  config: HintConfig,
  scope: OrganizationScope,
  own: OwnShard,
  clients: PollerClients,
): Promise<Map<string, ShardTarget>> {
  const homeAccount = own.account;
  const store = new DynamoFanOutStore({
    tableName: config.poller.tableName,
    ...(clients.dynamodb !== undefined && { client: clients.dynamodb }),
  });
  const list = await store.loadAccounts(listingOf(scope));
  // As the dispatcher: from a delegated administrator, the management account has no member role.
  const management = list?.managementAccount;
  const accounts = (list?.accounts ?? [{ id: homeAccount, state: 'ACTIVE' }]).filter(
    (account) => account.id === homeAccount || account.id !== management,
  );
  return new Map(
    shardsOf(accounts, scope, { homeAccount, partition: own.partition }).map((t) => [shardKey(t), t]),
  );
}
