// The functions' environment contract: every variable read and validated once, each function's problems in one ConfigError.
import {
  DEFAULT_ACCOUNT_CACHE_SECONDS,
  DEFAULT_EVENT_SOURCE,
  DEFAULT_HISTORY_RETENTION_DAYS,
  DEFAULT_MAX_ENTRY_BYTES,
  DEFAULT_POLL_PERIOD_SECONDS,
  DEFAULT_SERVICE_NAME,
  DEFAULT_SSM_DESCRIBE_TPS,
  MIN_ENTRY_BYTES,
} from '../core/defaults';
import { ConfigError } from '../core/errors';
import { type OrganizationScope, parseOrganizationScope } from '../core/organization';
import { SSM_HISTORY_DAYS } from '../cycle/backfill';
import { METRIC_NAMESPACE } from './metrics';
import { readShardSource, type ShardSpec } from './shard-list';

/** A function's environment: `process.env` in Lambda, a plain object in tests and the CLI. */
export type Env = Readonly<Record<string, string | undefined>>;

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
  /**
   * `BACKFILL_DAYS`, a whole number from 1 to {@link SSM_HISTORY_DAYS}: after each scheduled cycle,
   * the poll function reads the ended executions that started this many days back into the audit
   * trail (recorded, not published) in the time left, until that backfill is done. @default no backfill
   */
  readonly backfillDays?: number;
}

/**
 * Reads the poller's configuration from an environment, collecting every problem into one ConfigError.
 *
 * @example
 * const config = readConfig(process.env);
 */
export function readConfig(env: Env = process.env): PollerConfig {
  const read = envReader(env);
  const eventSource = env.EVENT_SOURCE?.trim() || DEFAULT_EVENT_SOURCE;
  const sourceProblem = validateEventSource(eventSource);
  if (sourceProblem) read.problems.push(`EVENT_SOURCE ${sourceProblem}`);
  const config: PollerConfig = {
    tableName: read.required('TABLE_NAME'),
    eventBusName: read.required('EVENT_BUS_NAME'),
    eventSource,
    historyRetentionDays: read.positive('HISTORY_RETENTION_DAYS', DEFAULT_HISTORY_RETENTION_DAYS),
    maxEntryBytes: read.positive('MAX_ENTRY_BYTES', DEFAULT_MAX_ENTRY_BYTES),
    ssmDescribeTps: read.positive('SSM_DESCRIBE_TPS', DEFAULT_SSM_DESCRIBE_TPS),
    hints: read.onOff('HINTS', true),
  };
  const backfillDays = read.optionalWhole('BACKFILL_DAYS', 1, SSM_HISTORY_DAYS);
  if (config.maxEntryBytes < MIN_ENTRY_BYTES)
    read.problems.push(`MAX_ENTRY_BYTES must be at least ${MIN_ENTRY_BYTES}`);
  read.check();
  return backfillDays === undefined ? config : { ...config, backfillDays };
}

/** The poll function's settings for work items (its SQS form), besides the poller's. */
export interface WorkItemConfig {
  /** `POLL_PERIOD_SECONDS`: a work item older than two periods on its first delivery is stale. */
  readonly pollPeriodSeconds: number;
  /** `MEMBER_ROLE_NAME`: the only role a work item of another account may name; undefined: any. */
  readonly memberRoleName: string | undefined;
  /** `SHARDS` or `SHARDS_FILE`: the only shards a work item may name; null: see `organization`. */
  readonly shards: readonly ShardSpec[] | null;
  /**
   * `ORGANIZATION`: a work item must name one of its regions and an account its lists allow; null
   * with `shards` null too: items are not checked against a list (the construct always sets one).
   */
  readonly organization: OrganizationScope | null;
}

/**
 * Reads the poll function's work-item settings, collecting every problem into one ConfigError.
 *
 * @example
 * const { pollPeriodSeconds } = readWorkItemConfig({ POLL_PERIOD_SECONDS: '300' }); // 300
 */
export function readWorkItemConfig(env: Env = process.env): WorkItemConfig {
  const read = envReader(env);
  const organization = read.organization();
  const config: WorkItemConfig = {
    pollPeriodSeconds: read.pollPeriodSeconds('a positive number'),
    memberRoleName: env.MEMBER_ROLE_NAME?.trim() || undefined,
    shards: organization === null ? readShardSource(env, read.problems) : null,
    organization,
  };
  read.check();
  return config;
}

/** The dispatcher's validated configuration. */
export interface DispatcherConfig {
  readonly tableName: string;
  readonly workQueueUrl: string;
  /** `ORGANIZATION`: the shards are its accounts in scope times its regions; null: the static list. */
  readonly scope: OrganizationScope | null;
  /** `SHARDS` or `SHARDS_FILE`; null: the function's own shard (or an Organization's). */
  readonly shards: readonly ShardSpec[] | null;
  readonly accountCacheSeconds: number;
  readonly pollPeriodSeconds: number;
}

/**
 * Reads the dispatcher's configuration: `TABLE_NAME`, `WORK_QUEUE_URL`, `ORGANIZATION` or `SHARDS`
 * (or `SHARDS_FILE`), `ACCOUNT_CACHE_SECONDS`, `POLL_PERIOD_SECONDS`; every problem in one ConfigError.
 *
 * @example
 * const config = readDispatcherConfig({ TABLE_NAME: 't', WORK_QUEUE_URL: url, SHARDS: '[{}]' });
 */
export function readDispatcherConfig(env: Env = process.env): DispatcherConfig {
  const read = envReader(env);
  const tableName = read.required('TABLE_NAME');
  const workQueueUrl = read.required('WORK_QUEUE_URL');
  const scope = read.organization();
  if (env.ORGANIZATION?.trim() && (env.SHARDS?.trim() || env.SHARDS_FILE?.trim()))
    read.problems.push('ORGANIZATION and SHARDS (or SHARDS_FILE) cannot both be set');
  const shards = scope === null ? readShardSource(env, read.problems) : null;
  const config: DispatcherConfig = {
    tableName,
    workQueueUrl,
    scope,
    shards,
    accountCacheSeconds: read.atLeast('ACCOUNT_CACHE_SECONDS', DEFAULT_ACCOUNT_CACHE_SECONDS, 0),
    pollPeriodSeconds: read.pollPeriodSeconds('a number >= 1'),
  };
  read.check();
  return config;
}

/** The hint function's validated configuration. */
export interface HintConfig {
  readonly poller: PollerConfig;
  /** The shards this deployment polls; null: the function's own account and region only. */
  readonly shards: readonly ShardSpec[] | null;
  /** Period of the scheduled cycle, which targeted cycles give way to; undefined: never. */
  readonly schedulePeriodSeconds: number | undefined;
  /** `ORGANIZATION`: the shards are the accounts the dispatcher last listed, in scope; null: `SHARDS`. */
  readonly organization: OrganizationScope | null;
}

/**
 * Reads the hint function's configuration: the poller's (its own ConfigError first), then the shards
 * (`SHARDS`, `SHARDS_FILE`), `SCHEDULE_PERIOD_SECONDS` and `ORGANIZATION` in one ConfigError.
 *
 * @example
 * const config = readHintConfig({ TABLE_NAME: 't', EVENT_BUS_NAME: 'b', SCHEDULE_PERIOD_SECONDS: '60' });
 */
export function readHintConfig(env: Env = process.env): HintConfig {
  const poller = readConfig(env);
  const read = envReader(env);
  const shards = readShardSource(env, read.problems);
  const rawPeriod = env.SCHEDULE_PERIOD_SECONDS?.trim();
  const schedulePeriodSeconds = rawPeriod ? read.positive('SCHEDULE_PERIOD_SECONDS', 0) : undefined;
  const organization = read.organization();
  read.check();
  return { poller, shards, schedulePeriodSeconds, organization };
}

/** The names Powertools reports under: `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_METRICS_NAMESPACE`. */
export interface PowertoolsNames {
  readonly serviceName: string;
  readonly namespace: string;
}

/** Reads the Powertools names, each defaulting to the project's own. */
export function readPowertoolsNames(env: Env = process.env): PowertoolsNames {
  return {
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? METRIC_NAMESPACE,
  };
}

/** Reads variables of one environment, collecting their problems for one ConfigError. */
function envReader(env: Env) {
  const problems: string[] = [];
  const number = (name: string, fallback: number, valid: (value: number) => boolean, what: string) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || !valid(value)) problems.push(`${name} must be ${what}, got "${raw}"`);
    return value;
  };
  return {
    problems,
    required(name: string): string {
      const value = env[name]?.trim();
      if (!value) problems.push(`${name} is required`);
      return value ?? '';
    },
    positive: (name: string, fallback: number): number =>
      number(name, fallback, (value) => value > 0, 'a positive number'),
    atLeast: (name: string, fallback: number, min: number): number =>
      number(name, fallback, (value) => value >= min, `a number >= ${min}`),
    /** A whole number from `min` to `max`; undefined when unset. */
    optionalWhole(name: string, min: number, max: number): number | undefined {
      if (!env[name]?.trim()) return undefined;
      const valid = (value: number) => Number.isInteger(value) && value >= min && value <= max;
      return number(name, min, valid, `a whole number from ${min} to ${max}`);
    },
    onOff(name: string, fallback: boolean): boolean {
      const raw = env[name]?.trim();
      if (!raw) return fallback;
      if (raw !== 'on' && raw !== 'off') problems.push(`${name} must be "on" or "off", got "${raw}"`);
      return raw === 'on';
    },
    /**
     * `POLL_PERIOD_SECONDS`, the schedule's period (default one minute): one rule, at least 1 s, for
     * both functions that read it. Each words the problem as it always has (`wording`).
     */
    pollPeriodSeconds: (wording: 'a number >= 1' | 'a positive number'): number =>
      number('POLL_PERIOD_SECONDS', DEFAULT_POLL_PERIOD_SECONDS, (value) => value >= 1, wording),
    /** `ORGANIZATION` as a scope; null when unset or invalid (its problems collected). */
    organization(): OrganizationScope | null {
      const raw = env.ORGANIZATION?.trim();
      if (!raw) return null;
      try {
        return parseOrganizationScope(raw);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(error.message.replace(/^Invalid configuration: /, '').replace(/\.$/, ''));
        return null;
      }
    },
    /** Throws one ConfigError naming every problem, if any. */
    check(): void {
      if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}.`);
    },
  };
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
