// The poll function's entry point: one cycle for the schedule's shard, or one per shard of a batch of work items, then their backfill turns.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { realTimer, type Timer } from '../adapters/token-bucket';
import { ConfigError, ServiceError, StepWatchError } from '../core/errors';
import { type CycleSummary, runPollCycle } from '../cycle/poll-cycle';
import { DEADLINE_RESERVE_MS, invocationBudget } from '../runtime/budget';
import { ClientCache } from '../runtime/clients';
import { type PollerConfig, readConfig, readWorkItemConfig, type WorkItemConfig } from '../runtime/config';
import { cycleMeasurementsOf, recordCycleMetrics } from '../runtime/metrics';
import { createPoller, type PollerClients } from '../runtime/poller';
import { cycleLoggerOf, startInvocation } from '../runtime/powertools';
import { runScheduledBackfill } from '../runtime/scheduled-backfill';
import { requestedShard, type ShardRequest, shardKey } from '../runtime/shard';
import { isSqsEvent, serveWorkItems } from './work-items';

/** The schedule's input: `{}` for the function's own account and region, or one shard. */
export interface PollEvent {
  readonly shard?: ShardRequest;
}

/** What an invocation returns: the cycle summary and the API calls it made. */
export interface PollResult extends CycleSummary {
  readonly shard: string;
  readonly apiCalls: Record<string, number>;
  readonly skippedRecords: number;
}

/**
 * The Lambda handler: one poll cycle for the shard in the event (the schedule's form), or, for a batch
 * of work items from the work queue, one cycle per distinct shard and the failed items back. With
 * `BACKFILL_DAYS` set, each shard whose cycle ran then gets a backfill cycle in the time left.
 */
export interface PollHandler {
  (event: SQSEvent, context: Context): Promise<SQSBatchResponse>;
  (event: PollEvent | null | undefined, context: Context): Promise<PollResult>;
}

/** Options of {@link createHandler}. */
export interface HandlerOptions {
  /**
   * The environment the configuration (read once, on the first invocation), the Powertools names and
   * the region fallback come from.
   * @default the function's environment variables
   */
  readonly env?: NodeJS.ProcessEnv;
  /** SDK clients to use instead of building them. @default clients built once, an SSM client per shard */
  readonly clients?: PollerClients;
  /** Clock and sleep of the cycles (virtual time in the benchmark). @default the real ones */
  readonly timer?: Timer;
}

/**
 * How long a scheduled cycle waits for a lease another cycle holds: a hinted cycle is short and
 * stops reading before the scheduled cycle is due, so the schedule takes its turn instead of a skip.
 */
const LEASE_WAIT_MS = 10_000;

/** A shard's backfill cycle, queued by its scheduled cycle and run once every scheduled cycle is done. */
type BackfillTurn = () => Promise<void>;

/**
 * Builds the Lambda handler. Its configuration is read and validated on its first invocation and
 * kept for the life of the handler; a bad environment fails every invocation with a ConfigError.
 *
 * @example
 * const run = createHandler({ env: { TABLE_NAME: 'table', EVENT_BUS_NAME: 'bus' }, clients });
 * const result = await run({}, context);
 */
export function createHandler(options: HandlerOptions = {}): PollHandler {
  const clients = new ClientCache(options.clients);
  const timer = options.timer ?? realTimer;
  let config: PollerConfig | undefined;
  let workItems: WorkItemConfig | undefined;

  /**
   * One cycle of the requested shard; logs why it failed, and throws. With `BACKFILL_DAYS` set, a
   * cycle that ran queues its shard's backfill turn in `backfills`.
   */
  const cycle = async (
    requested: ShardRequest | undefined,
    context: Context,
    { logger, metrics }: { logger: Logger; metrics: Metrics },
    backfills: BackfillTurn[],
  ): Promise<PollResult> => {
    let shard: string | undefined;
    try {
      config ??= readConfig(options.env);
      const target = requestedShard(requested, context, options.env);
      shard = shardKey(target);
      const log = cycleLoggerOf(logger, { shard });
      const poller = createPoller(config, target, { clients: clients.for(target), logger: log, timer });
      const budget = invocationBudget(context, timer.now(), {
        reserveMs: DEADLINE_RESERVE_MS,
        leaseWaitMs: LEASE_WAIT_MS,
      });
      const summary = await runPollCycle(poller.deps, {
        ...poller.options,
        deadline: budget.deadline,
        leaseUntil: budget.end,
        leaseWaitUntil: budget.leaseWaitUntil,
      });
      const result: PollResult = {
        ...summary,
        shard: poller.options.shard,
        apiCalls: poller.calls.toJSON(),
        skippedRecords: summary.unreadableRecords,
      };
      recordCycleMetrics(metrics, cycleMeasurementsOf(summary, poller));
      log.info('poll cycle finished', { ...result });
      const days = config.backfillDays;
      if (days !== undefined && !summary.leaseHeldElsewhere)
        backfills.push(() => runScheduledBackfill(poller, budget, { days, logger: log }));
      return result;
    } catch (error) {
      const keys = shard === undefined ? {} : { shard };
      if (error instanceof ConfigError) {
        // A bad environment will not fix itself on retry; say so once and fail the invocation.
        logger.error('invalid configuration', { ...keys, error: error.message });
      } else if (error instanceof StepWatchError) {
        logger.error('poll cycle failed', {
          ...keys,
          error: error.message,
          cause: String(error.cause ?? ''),
        });
      } else {
        logger.error('poll cycle failed unexpectedly', { ...keys, error: error as Error });
      }
      throw error instanceof StepWatchError
        ? error
        : new ServiceError('Poll cycle failed.', { cause: error });
    }
  };

  const handle = async (event: PollEvent | SQSEvent | null | undefined, context: Context) => {
    const tools = startInvocation(context, options.env);
    const backfills: BackfillTurn[] = [];
    // Backfills go last, so none of them takes time a shard's scheduled cycle needs.
    const backfillInTurn = async () => {
      for (const backfill of backfills) await backfill();
    };
    try {
      if (!isSqsEvent(event)) {
        const result = await cycle(event?.shard, context, tools, backfills);
        await backfillInTurn();
        return result;
      }
      try {
        workItems ??= readWorkItemConfig(options.env);
      } catch (error) {
        // A bad environment will not fix itself on retry; say so once and fail the invocation.
        if (error instanceof ConfigError)
          tools.logger.error('invalid configuration', { error: error.message });
        throw error;
      }
      const response = await serveWorkItems(event, context, {
        ...workItems,
        ...tools,
        now: () => timer.now(),
        cycle: (shard) => cycle(shard, context, tools, backfills),
      });
      await backfillInTurn();
      return response;
    } finally {
      tools.metrics.publishStoredMetrics();
    }
  };
  return handle as PollHandler;
}

/** Runs one poll cycle for the shard in the event, configured by its environment variables. */
export const handler: PollHandler = createHandler();
