// The notify function's environment contract: read and validated once, every problem in one ConfigError.
import { ConfigError } from '../core/errors';
import { DEFAULT_DIGEST_INTERVAL_SECONDS, type NotifyOptions } from '../core/notifications/digest';
import { FAILURE_STATUSES } from '../core/status';
import type { Env } from './config';

/** The notify function's validated configuration. */
export interface NotifyConfig {
  /** `TABLE_NAME`: where each thread's state is kept. */
  readonly tableName: string;
  /** `TOPIC_ARN`: the notification topic. */
  readonly topicArn: string;
  /**
   * `NOTIFY_STATUSES` (comma-separated, default the failure-like ones), `DIGEST_INTERVAL_SECONDS`
   * (default 900) and `PER_CHILD_MESSAGES` (`on` or `off`, default off).
   */
  readonly options: NotifyOptions;
}

/**
 * Reads the notify function's configuration, collecting every problem into one ConfigError.
 *
 * @example
 * const config = readNotifyConfig({ TABLE_NAME: 't', TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:n' });
 */
export function readNotifyConfig(env: Env = process.env): NotifyConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is required`);
    return value ?? '';
  };
  const tableName = required('TABLE_NAME');
  const topicArn = required('TOPIC_ARN');
  const rawStatuses = env.NOTIFY_STATUSES?.trim();
  const statuses = rawStatuses
    ? rawStatuses
        .split(',')
        .map((status) => status.trim())
        .filter((status) => status !== '')
    : [...FAILURE_STATUSES];
  if (statuses.length === 0)
    problems.push(`NOTIFY_STATUSES must list at least one status, got "${rawStatuses}"`);
  const rawInterval = env.DIGEST_INTERVAL_SECONDS?.trim();
  const interval = rawInterval ? Number(rawInterval) : DEFAULT_DIGEST_INTERVAL_SECONDS;
  if (!Number.isInteger(interval) || interval < 1)
    problems.push(`DIGEST_INTERVAL_SECONDS must be a whole number of seconds >= 1, got "${rawInterval}"`);
  const rawPerChild = env.PER_CHILD_MESSAGES?.trim();
  if (rawPerChild && rawPerChild !== 'on' && rawPerChild !== 'off')
    problems.push(`PER_CHILD_MESSAGES must be "on" or "off", got "${rawPerChild}"`);
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}.`);
  return {
    tableName,
    topicArn,
    options: { statuses, digestIntervalMs: interval * 1000, perChildMessages: rawPerChild === 'on' },
  };
}
