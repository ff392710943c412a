// The Lambda entry point: validates its environment once, wires the adapters, runs one cycle per invocation.
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { type PollerConfig, readConfig } from './config';
import { DEFAULT_SERVICE_NAME } from './core/defaults';
import { ConfigError, ServiceError, StepWatchError } from './core/errors';
import type { CycleLogger } from './core/ports';
import { DETAIL_TYPES } from './core/types';
import { METRIC_NAMESPACE, METRICS } from './metric-names';
import { type CycleSummary, runPollCycle } from './poll-cycle';
import { createPoller, type PollerClients, type ShardTarget } from './poller';

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

/** Time kept back from the Lambda deadline to publish and save state. */
const DEADLINE_RESERVE_MS = 10_000;

let config: PollerConfig | undefined;
let clients: PollerClients = {};

/** For tests: replaces the SDK clients and forgets the cached configuration. */
export function resetForTests(overrides: PollerClients = {}): void {
  config = undefined;
  clients = overrides;
}

/** Runs one poll cycle for the shard in the event. */
export async function handler(event: PollEvent | null | undefined, context: Context): Promise<PollResult> {
  const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME });
  const metrics = new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRIC_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
  });
  logger.addContext(context);
  try {
    config ??= readConfig(process.env);
    const target = targetOf(event, context);
    logger.appendKeys({ shard: `${target.account}#${target.region}` });
    const poller = createPoller(config, target, { clients, logger: cycleLoggerOf(logger) });
    const end = Date.now() + context.getRemainingTimeInMillis();
    // The lease lasts until the function's timeout, when this process is gone for sure.
    const summary = await runPollCycle(poller.deps, {
      ...poller.options,
      deadline: end - DEADLINE_RESERVE_MS,
      leaseUntil: end,
    });
    const result: PollResult = {
      ...summary,
      shard: poller.options.shard,
      apiCalls: poller.calls.toJSON(),
      skippedRecords: poller.skipped.length,
    };
    metrics.addMetric(METRICS.staleness, MetricUnit.Seconds, summary.stalenessSeconds);
    metrics.addMetric(METRICS.eventsEmitted, MetricUnit.Count, summary.eventsEmitted + summary.eventsResent);
    metrics.addMetric(METRICS.eventsPending, MetricUnit.Count, summary.eventsPending);
    metrics.addMetric(METRICS.stepEvents, MetricUnit.Count, summary.deliveredByType[DETAIL_TYPES.step] ?? 0);
    metrics.addMetric(
      METRICS.alarmEvents,
      MetricUnit.Count,
      summary.deliveredByType[DETAIL_TYPES.alarm] ?? 0,
    );
    metrics.addMetric(
      METRICS.executionEvents,
      MetricUnit.Count,
      summary.deliveredByType[DETAIL_TYPES.execution] ?? 0,
    );
    metrics.addMetric(METRICS.failureEvents, MetricUnit.Count, summary.failureTransitions);
    metrics.addMetric(METRICS.executionsPolled, MetricUnit.Count, summary.executionsPolled);
    metrics.addMetric(METRICS.executionsDeferred, MetricUnit.Count, summary.executionsDeferred);
    metrics.addMetric(METRICS.skippedRecords, MetricUnit.Count, poller.skipped.length);
    metrics.addMetric(
      METRICS.ssmCalls,
      MetricUnit.Count,
      poller.calls.get('DescribeAutomationExecutions') + poller.calls.get('DescribeAutomationStepExecutions'),
    );
    metrics.addMetric(METRICS.throttles, MetricUnit.Milliseconds, poller.ssm.waitedMs);
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
    throw error instanceof StepWatchError ? error : new ServiceError('Poll cycle failed.', { cause: error });
  } finally {
    metrics.publishStoredMetrics();
  }
}

function cycleLoggerOf(logger: Logger): CycleLogger {
  // Powertools takes structured extras as LogAttributes; the cycle's extras are plain JSON.
  return {
    info: (message, extra) => logger.info(message, (extra ?? {}) as LogAttributes),
    warn: (message, extra) => logger.warn(message, (extra ?? {}) as LogAttributes),
    error: (message, extra) => logger.error(message, (extra ?? {}) as LogAttributes),
  };
}

function targetOf(event: PollEvent | null | undefined, context: Context): ShardTarget {
  // arn:aws:lambda:<region>:<account>:function:<name>
  const arnParts = context.invokedFunctionArn.split(':');
  const account = event?.shard?.account ?? arnParts[4];
  const region = event?.shard?.region ?? process.env.AWS_REGION ?? arnParts[3];
  if (!account || !/^\d{12}$/.test(account)) {
    throw new ConfigError(`The shard account must be 12 digits, got "${account ?? ''}".`);
  }
  if (!region) throw new ConfigError('The shard region is missing and AWS_REGION is not set.');
  return { account, region, ...(event?.shard?.roleArn && { roleArn: event.shard.roleArn }) };
}
