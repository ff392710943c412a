// The poll function's entry point: validates its environment once, wires the adapters, runs one cycle per shard (the schedule's event, or each work item).
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { realTimer, type Timer } from '../adapters/token-bucket';
import { ConfigError, ServiceError, StepWatchError } from '../core/errors';
import { type CycleSummary, runPollCycle } from '../cycle/poll-cycle';
import { ClientCache } from '../runtime/clients';
import { type PollerConfig, readConfig } from '../runtime/config';
import { recordCycleMetrics } from '../runtime/metrics';
import { createPoller, type PollerClients, type ShardTarget } from '../runtime/poller';
import { cycleLoggerOf, powertoolsOf } from '../runtime/powertools';
import { isSqsEvent, serveWorkItems } from './work-items';

/** The schedule's input: `{}` for the function's own account and region, or one shard. */
export interface PollEvent {
  readonly shard?: { readonly account?: string; readonly region?: string; readonly roleArn?: string };
}

/** What an invocation returns: the cycle summary and the API calls it made. */
export interface PollResult extends CycleSummary {
  readonly shard: string;
  readonly apiCalls: Record<string, number>;
  readonly skippedRecords: number;
}

/**
 * The Lambda handler: one poll cycle for the shard in the event (the schedule's form), or, for a batch
 * of work items from the work queue, one cycle per distinct shard and the failed items back.
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
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /** SDK clients to use instead of building them. @default clients built once, an SSM client per shard */
  readonly clients?: PollerClients;
  /** Clock and sleep of the cycles (virtual time in the benchmark). @default the real ones */
  readonly timer?: Timer;
}

/** Time kept back from the Lambda deadline to publish and save state. */
const DEADLINE_RESERVE_MS = 10_000;
/**
 * How long a scheduled cycle waits for a lease another cycle holds: a hinted cycle is short and
 * stops reading before the scheduled cycle is due, so the schedule takes its turn instead of a skip.
 */
const LEASE_WAIT_MS = 10_000;

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

  const single = async (event: PollEvent | null | undefined, context: Context): Promise<PollResult> => {
    const env = options.env ?? process.env;
    const { logger, metrics } = powertoolsOf(env, context);
    try {
      config ??= readConfig(env);
      const target = targetOf(event, context, env);
      logger.appendKeys({ shard: `${target.account}#${target.region}` });
      const poller = createPoller(config, target, {
        clients: clients.for(target),
        logger: cycleLoggerOf(logger),
        timer,
      });
      const start = timer.now();
      const end = start + context.getRemainingTimeInMillis();
      // The lease lasts until the function's timeout, when this process is gone for sure.
      const summary = await runPollCycle(poller.deps, {
        ...poller.options,
        deadline: end - DEADLINE_RESERVE_MS,
        leaseUntil: end,
        leaseWaitUntil: Math.min(start + LEASE_WAIT_MS, end - DEADLINE_RESERVE_MS),
      });
      const result: PollResult = {
        ...summary,
        shard: poller.options.shard,
        apiCalls: poller.calls.toJSON(),
        skippedRecords: summary.unreadableRecords,
      };
      recordCycleMetrics(metrics, {
        summary,
        skippedRecords: summary.unreadableRecords,
        ssmDescribeCalls:
          poller.calls.get('DescribeAutomationExecutions') +
          poller.calls.get('DescribeAutomationStepExecutions'),
        throttleWaitMs: poller.ssm.waitedMs,
      });
      logger.info('poll cycle finished', { ...result });
      return result;
    } catch (error) {
      if (error instanceof ConfigError) {
        // A bad environment will not fix itself on retry; say so once and fail the invocation.
        logger.error('invalid configuration', { error: error.message });
      } else if (error instanceof StepWatchError) {
        logger.error('poll cycle failed', { error: error.message, cause: String(error.cause ?? '') });
      } else {
        logger.error('poll cycle failed unexpectedly', error as Error);
      }
      throw error instanceof StepWatchError
        ? error
        : new ServiceError('Poll cycle failed.', { cause: error });
    } finally {
      metrics.publishStoredMetrics();
    }
  };

  const handle = (event: PollEvent | SQSEvent | null | undefined, context: Context) =>
    isSqsEvent(event)
      ? serveWorkItems(event, context, {
          env: options.env ?? process.env,
          now: () => timer.now(),
          cycle: (shard, ctx) => single({ shard }, ctx),
        })
      : single(event, context);
  return handle as PollHandler;
}

/** Runs one poll cycle for the shard in the event, configured by `process.env`. */
export const handler: PollHandler = createHandler();

function targetOf(
  event: PollEvent | null | undefined,
  context: Context,
  env: NodeJS.ProcessEnv,
): ShardTarget {
  // arn:aws:lambda:<region>:<account>:function:<name>
  const arnParts = context.invokedFunctionArn.split(':');
  const account = event?.shard?.account ?? arnParts[4];
  const region = event?.shard?.region ?? env.AWS_REGION ?? arnParts[3];
  if (!account || !/^\d{12}$/.test(account)) {
    throw new ConfigError(`The shard account must be 12 digits, got "${account ?? ''}".`);
  }
  if (!region) throw new ConfigError('The shard region is missing and AWS_REGION is not set.');
  return { account, region, ...(event?.shard?.roleArn && { roleArn: event.shard.roleArn }) };
}
