// The Lambda's configuration, read and validated once from its environment.
import {
  DEFAULT_EVENT_SOURCE,
  DEFAULT_HISTORY_RETENTION_DAYS,
  DEFAULT_MAX_ENTRY_BYTES,
  DEFAULT_SSM_DESCRIBE_TPS,
  MIN_ENTRY_BYTES,
} from '../core/defaults';
import { ConfigError } from '../core/errors';

/** Validated Lambda configuration. */
export interface PollerConfig {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly eventSource: string;
  readonly historyRetentionDays: number;
  readonly maxEntryBytes: number;
  readonly ssmDescribeTps: number;
  /**
   * Whether a hint reader may hand execution ids to a running cycle (`HINTS`, `on` or `off`): with
   * hints off nobody hands any over, so a cycle does not open the hint inbox. @default true
   */
  readonly hints?: boolean;
}

/**
 * Reads the configuration from an environment, collecting every problem into one ConfigError.
 *
 * @example
 * const config = readConfig(process.env);
 */
export function readConfig(env: Readonly<Record<string, string | undefined>>): PollerConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is required`);
    return value ?? '';
  };
  const positive = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0)
      problems.push(`${name} must be a positive number, got "${raw}"`);
    return value;
  };

  const onOff = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    if (raw !== 'on' && raw !== 'off') problems.push(`${name} must be "on" or "off", got "${raw}"`);
    return raw === 'on';
  };

  const eventSource = env.EVENT_SOURCE?.trim() || DEFAULT_EVENT_SOURCE;
  const sourceProblem = validateEventSource(eventSource);
  if (sourceProblem) problems.push(`EVENT_SOURCE ${sourceProblem}`);
  const config: PollerConfig = {
    tableName: required('TABLE_NAME'),
    eventBusName: required('EVENT_BUS_NAME'),
    eventSource,
    historyRetentionDays: positive('HISTORY_RETENTION_DAYS', DEFAULT_HISTORY_RETENTION_DAYS),
    maxEntryBytes: positive('MAX_ENTRY_BYTES', DEFAULT_MAX_ENTRY_BYTES),
    ssmDescribeTps: positive('SSM_DESCRIBE_TPS', DEFAULT_SSM_DESCRIBE_TPS),
    hints: onOff('HINTS', true),
  };
  if (config.maxEntryBytes < MIN_ENTRY_BYTES)
    problems.push(`MAX_ENTRY_BYTES must be at least ${MIN_ENTRY_BYTES}`);
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}.`);
  return config;
}

/** Why an event source is not allowed, or null when it is. */
export function validateEventSource(source: string): string | null {
  if (source.startsWith('aws.'))
    return `must not start with "aws." (reserved for AWS services), got "${source}"`;
  if (!/^[A-Za-z0-9._\-/]{1,256}$/.test(source)) {
    return `must be 1-256 letters, digits, '.', '_', '-' or '/', got "${source}"`;
  }
  return null;
}
