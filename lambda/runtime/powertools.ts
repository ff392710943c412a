// The Powertools logger and metrics both Lambda handlers start each invocation with, and the cycle's logger over them.
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { DEFAULT_SERVICE_NAME } from '../core/defaults';
import type { CycleLogger } from '../core/ports';
import { METRIC_NAMESPACE } from './metrics';

/**
 * A logger (with the invocation's context) and a metrics buffer for one invocation, named by
 * `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_METRICS_NAMESPACE` when set.
 */
export function powertoolsOf(env: NodeJS.ProcessEnv, context: Context): { logger: Logger; metrics: Metrics } {
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? METRIC_NAMESPACE,
    serviceName,
  });
  logger.addContext(context);
  return { logger, metrics };
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
