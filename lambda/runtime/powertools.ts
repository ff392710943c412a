// The Powertools logger and metrics of a container, created once and reused by every invocation, and the cycle's logger over them.
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { CycleLogger } from '../core/ports';
import { type Env, readPowertoolsNames } from './config';

/** The container's logger and metrics buffer. */
export interface Powertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Created on first use (so the environment is read when a function runs, not when it is imported), then kept. */
let instruments: Powertools | undefined;

/**
 * The container's logger and metrics, named by `POWERTOOLS_SERVICE_NAME` and
 * `POWERTOOLS_METRICS_NAMESPACE` when set. Created on the first call and the same ones afterwards,
 * as Powertools asks ("must always be instantiated outside the Lambda handler"): their cold-start
 * flag is then true on a container's first invocation only.
 */
export function powertools(env: Env = process.env): Powertools {
  if (instruments === undefined) {
    const { serviceName, namespace } = readPowertoolsNames(env);
    instruments = { logger: new Logger({ serviceName }), metrics: new Metrics({ namespace, serviceName }) };
  }
  return instruments;
}

/**
 * Starts one invocation: the container's logger and metrics, the logger given this invocation's
 * context and none of the temporary keys an earlier invocation appended.
 *
 * @example
 * const { logger, metrics } = startInvocation(context, options.env);
 * try { ... } finally { metrics.publishStoredMetrics(); }
 */
export function startInvocation(context: Context, env?: Env): Powertools {
  const tools = powertools(env);
  tools.logger.resetKeys();
  tools.logger.addContext(context);
  return tools;
}

/** The cycle's logger over Powertools' logger, each line carrying `keys` besides its own extras. */
export function cycleLoggerOf(logger: Logger, keys: Record<string, unknown> = {}): CycleLogger {
  // Powertools takes structured extras as LogAttributes; the cycle's extras are plain JSON.
  const extras = (extra?: Record<string, unknown>) => ({ ...keys, ...(extra ?? {}) }) as LogAttributes;
  return {
    info: (message, extra) => logger.info(message, extras(extra)),
    warn: (message, extra) => logger.warn(message, extras(extra)),
    error: (message, extra) => logger.error(message, extras(extra)),
  };
}
