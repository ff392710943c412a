// Validates StepWatch props and applies their defaults, in one place, before any resource exists.
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type { IManagedPolicy } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { IConstruct } from 'constructs';
import {
  DEFAULT_EVENT_SOURCE,
  DEFAULT_HISTORY_RETENTION_DAYS,
  DEFAULT_MAX_ENTRY_BYTES,
  DEFAULT_MEMBER_ROLE_NAME,
  DEFAULT_SERVICE_NAME,
  DEFAULT_SSM_DESCRIBE_TPS,
  MIN_ENTRY_BYTES,
} from '../lambda/core/defaults';
import { DEFAULT_DIGEST_INTERVAL_SECONDS } from '../lambda/core/notifications/digest';
import { FAILURE_STATUSES } from '../lambda/core/status';
import { SSM_HISTORY_DAYS } from '../lambda/cycle/backfill';
import { validateEventSource } from '../lambda/runtime/config';
import { METRIC_NAMESPACE } from '../lambda/runtime/metrics';
import { StepWatchConfigError } from './errors';
import { moduleTreeRoot } from './package-files';
import {
  StepWatchCallAs,
  StepWatchLogLevel,
  type StepWatchNotificationProps,
  type StepWatchOrganization,
  type StepWatchProps,
  type StepWatchShard,
  type StepWatchSlackProps,
} from './props';

/** The hint bus's name when `hintBusName` is left out; a hint forwarder's default too. */
export const DEFAULT_HINT_BUS_NAME = 'ssm-step-watch-hints';

/** The shortest and longest schedule period the poller supports. */
const MIN_PERIOD = Duration.minutes(1);
const MAX_PERIOD = Duration.hours(1);
/** EventBridge's PutEvents entry limit since 2026; the classic limit is 256 KB. */
const MAX_ENTRY_BYTES_LIMIT = 1_048_576;
const LOG_LEVELS: readonly string[] = Object.values(StepWatchLogLevel);
/** The SQS event source's `maxConcurrency` limits. */
const MIN_MAX_CONCURRENCY = 2;
const MAX_MAX_CONCURRENCY = 1000;
/** Poll cycles at once in the fan-out when `maxConcurrency` is left out. */
const DEFAULT_MAX_CONCURRENCY = 20;
const CALL_AS: readonly string[] = Object.values(StepWatchCallAs);

/** What `backfillDays` (the prop or the context key) allows, as its error message says it. */
export const BACKFILL_DAYS_ALLOWED = `a whole number of days from 1 to ${SSM_HISTORY_DAYS} (SSM keeps Automation history ${SSM_HISTORY_DAYS} days)`;

/** Whether `value` is a `backfillDays` the poller takes: a whole number of days SSM still remembers. */
export function isBackfillDays(value: unknown): value is number {
  return isWholeNumber(value) && value >= 1 && value <= SSM_HISTORY_DAYS;
}

const RATE_EXPRESSION = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours)\s*\)$/;
const EVENT_BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** Organizations' parent ids: the root (`r-…`) or an OU (`ou-…-…`). */
const PARENT_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SLACK_WORKSPACE_ID = /^[0-9A-Z]{1,255}$/;
const SLACK_CHANNEL_ID = /^[A-Za-z0-9]{1,255}$/;
const CHANNEL_CONFIGURATION_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** The Slack settings after validation and defaults. */
export interface ResolvedSlack {
  readonly workspaceId: string;
  readonly channelId: string;
  readonly channelConfigurationName: string | undefined;
  readonly guardrailPolicies: readonly IManagedPolicy[] | undefined;
}

/** The notification settings after validation and defaults. */
export interface ResolvedNotifications {
  readonly statuses: readonly string[];
  readonly emails: readonly string[];
  readonly slack: ResolvedSlack | undefined;
  readonly topicKey: IKey | undefined;
  /** Least seconds between two digest messages of one run. */
  readonly digestIntervalSeconds: number;
  readonly perChildMessages: boolean;
}

/** The shortest and longest `notifications.digestInterval`. */
const MIN_DIGEST_INTERVAL = Duration.minutes(1);
const MAX_DIGEST_INTERVAL = Duration.days(1);

/** What `notifications.digestInterval` (the prop or the context key) allows, as its error message says it. */
export const DIGEST_INTERVAL_ALLOWED = 'a whole number of seconds from 1 minute to 1 day';

/** Whether a number of seconds is a digest interval the notifier takes. */
export function isDigestIntervalSeconds(seconds: number): boolean {
  return (
    Number.isInteger(seconds) &&
    seconds >= MIN_DIGEST_INTERVAL.toSeconds() &&
    seconds <= MAX_DIGEST_INTERVAL.toSeconds()
  );
}

/** The organization settings after validation and defaults. */
export interface ResolvedOrganization {
  readonly regions: readonly string[];
  readonly organizationalUnits: readonly string[] | undefined;
  readonly accounts: readonly string[] | undefined;
  readonly excludeAccounts: readonly string[] | undefined;
  readonly memberRoleName: string;
  readonly callAs: StepWatchCallAs;
}

/** Every StepWatch setting, validated, with its default applied. */
export interface ResolvedStepWatchProps {
  readonly period: Duration;
  readonly eventBusName: string | undefined;
  readonly eventSource: string;
  readonly archiveRetention: Duration;
  readonly historyRetentionDays: number;
  readonly shards: readonly StepWatchShard[];
  /** True when the caller listed no shards: one schedule, input `{}`. */
  readonly ownShardOnly: boolean;
  /** The organization to poll, when `organization` is set (`shards` is then `[]`). */
  readonly organization: ResolvedOrganization | undefined;
  /**
   * True with `organization` or more than one shard: one schedule invokes a dispatcher that queues one
   * work item per shard for the poll function.
   */
  readonly fanOut: boolean;
  /** Poll cycles at once in the fan-out (the event source's `maxConcurrency`). */
  readonly maxConcurrency: number;
  readonly ssmDescribeTps: number;
  readonly maxEntryBytes: number;
  /** Reserved concurrency of the function; undefined in the fan-out, which reserves nothing. */
  readonly reservedConcurrency: number | undefined;
  readonly logRetention: RetentionDays;
  readonly logLevel: StepWatchLogLevel;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly tableEncryptionKey: IKey | undefined;
  readonly tableRemovalPolicy: RemovalPolicy;
  readonly tableDeletionProtection: boolean;
  readonly eventBusEncryptionKey: IKey | undefined;
  /** The bus other accounts' and regions' hint forwarders send to. */
  readonly hintBusName: string;
  readonly schemaDirectory: string;
  readonly notifications: ResolvedNotifications | undefined;
  /** Read executions within seconds of SSM's own events (a rule, a queue, a second function). */
  readonly hints: boolean;
  /** Days of SSM's history the poll function backfills once; undefined: no backfill. */
  readonly backfillDays: number | undefined;
}

/** Names of every region aws-cdk-lib knows, across partitions. */
const KNOWN_REGIONS: ReadonlySet<string> = new Set(RegionInfo.regions.map((region) => region.name));

function fail(message: string): never {
  throw new StepWatchConfigError(message);
}

function show(value: unknown): string {
  if (value instanceof Duration) return value.toHumanString();
  return JSON.stringify(value) ?? String(value);
}

/** A literal string the checks can read; tokens (parameters, imports) pass unchecked. */
function isLiteral(value: string): boolean {
  return !Token.isUnresolved(value);
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function resolvePeriod(schedule: string | Duration | undefined): Duration {
  const problem = `schedule must be a rate expression such as 'rate(1 minute)' or 'rate(5 minutes)', or a Duration, of whole minutes from 1 minute to 1 hour; got ${show(schedule)}.`;
  let period: Duration;
  if (schedule === undefined) {
    period = MIN_PERIOD;
  } else if (typeof schedule === 'string') {
    const match = RATE_EXPRESSION.exec(schedule.trim());
    if (!match?.[1] || !match[2]) fail(problem);
    const amount = Number(match[1]);
    period = match[2].startsWith('hour') ? Duration.hours(amount) : Duration.minutes(amount);
  } else if (schedule instanceof Duration) {
    period = schedule;
  } else {
    fail(problem);
  }
  const seconds = period.toSeconds();
  if (seconds % 60 !== 0 || seconds < MIN_PERIOD.toSeconds() || seconds > MAX_PERIOD.toSeconds())
    fail(problem);
  return period;
}

function resolveWholeDays(name: string, value: Duration | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const days = value instanceof Duration ? value.toSeconds() / 86_400 : value;
  if (!isWholeNumber(days) || days <= 0)
    fail(`${name} must be a whole number of days greater than 0; got ${show(value)}.`);
  return days;
}

function resolveEventSource(source: string | undefined): string {
  const eventSource = source ?? DEFAULT_EVENT_SOURCE;
  const problem = isLiteral(eventSource) ? validateEventSource(eventSource) : null;
  if (problem) fail(`eventSource ${problem}.`);
  return eventSource;
}

function resolveShards(
  scope: IConstruct,
  shards: readonly StepWatchShard[] | undefined,
): readonly StepWatchShard[] {
  if (shards === undefined) return [{}];
  if (shards.length === 0)
    fail('shards must list at least one shard, or be left out to poll only this account and region.');
  const ownAccount = Stack.of(scope).account;
  const seen = new Map<string, number>();
  shards.forEach((shard, i) => {
    const { account, region, roleArn } = shard;
    if (region !== undefined && isLiteral(region) && !KNOWN_REGIONS.has(region)) {
      fail(`shards[${i}].region must be a known AWS region such as 'us-east-1'; got ${show(region)}.`);
    }
    if (account !== undefined && isLiteral(account) && !ACCOUNT_ID.test(account)) {
      fail(`shards[${i}].account must be a 12-digit AWS account id; got ${show(account)}.`);
    }
    if (roleArn !== undefined && isLiteral(roleArn)) {
      const roleAccount = ROLE_ARN.exec(roleArn)?.[1];
      if (!roleAccount) {
        fail(
          `shards[${i}].roleArn must be an IAM role ARN such as 'arn:aws:iam::111122223333:role/StepWatchReader'; got ${show(roleArn)}.`,
        );
      }
      if (account !== undefined && isLiteral(account) && roleAccount !== account) {
        fail(
          `shards[${i}].roleArn must be a role in shards[${i}].account (${account}); got a role in ${roleAccount}.`,
        );
      }
    }
    if (
      account !== undefined &&
      roleArn === undefined &&
      (Token.isUnresolved(ownAccount) || account !== ownAccount)
    ) {
      fail(
        `shards[${i}].roleArn is required when shards[${i}].account is set, unless it is this stack's own resolved account.`,
      );
    }
    const key = `${account ?? 'own'}/${region ?? 'own'}`;
    const earlier = seen.get(key);
    if (earlier !== undefined)
      fail(`shards must not list one account and region twice; shards[${i}] repeats shards[${earlier}].`);
    seen.set(key, i);
  });
  return shards;
}

/** A literal list of strings each matching `pattern`, or the first bad item named in one sentence. */
function checkList(
  name: string,
  values: readonly string[] | undefined,
  valid: (value: string) => boolean,
  what: string,
  whenEmpty: string,
): readonly string[] | undefined {
  if (values === undefined) return undefined;
  if (!Array.isArray(values) || values.length === 0)
    fail(`${name} must list ${whenEmpty}; got ${show(values)}.`);
  const seen = new Map<string, number>();
  values.forEach((value, i) => {
    if (typeof value !== 'string' || (isLiteral(value) && !valid(value))) {
      fail(`${name}[${i}] must be ${what}; got ${show(value)}.`);
    }
    const earlier = seen.get(value);
    if (earlier !== undefined)
      fail(`${name} must not list one value twice; ${name}[${i}] repeats ${name}[${earlier}].`);
    seen.set(value, i);
  });
  return values;
}

function resolveOrganization(props: StepWatchProps): ResolvedOrganization | undefined {
  const organization: StepWatchOrganization | undefined = props.organization;
  if (organization === undefined) return undefined;
  if (props.shards !== undefined) {
    fail(
      'organization and shards exclude each other: the accounts and regions of the organization are the shards.',
    );
  }
  const regions =
    checkList(
      'organization.regions',
      organization.regions,
      (region) => KNOWN_REGIONS.has(region),
      "a known AWS region such as 'us-east-1'",
      "at least one known AWS region such as 'us-east-1'",
    ) ??
    fail("organization.regions must list at least one known AWS region such as 'us-east-1'; got undefined.");
  const organizationalUnits = checkList(
    'organization.organizationalUnits',
    organization.organizationalUnits,
    (id) => PARENT_ID.test(id),
    "an OU id such as 'ou-ab12-cdef3456' or the root id such as 'r-ab12'",
    'at least one OU id, or be left out to cover the whole organization',
  );
  const accountId = (id: string) => ACCOUNT_ID.test(id);
  const accounts = checkList(
    'organization.accounts',
    organization.accounts,
    accountId,
    'a 12-digit AWS account id',
    'at least one 12-digit account id, or be left out to cover every account found',
  );
  const excludeAccounts = checkList(
    'organization.excludeAccounts',
    organization.excludeAccounts,
    accountId,
    'a 12-digit AWS account id',
    'at least one 12-digit account id, or be left out to exclude none',
  );
  const memberRoleName = organization.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME;
  if (typeof memberRoleName !== 'string' || !ROLE_NAME.test(memberRoleName)) {
    fail(
      `organization.memberRoleName must be an IAM role name of 1 to 64 letters, digits or '+=,.@_-'; got ${show(organization.memberRoleName)}.`,
    );
  }
  const callAs = organization.callAs ?? StepWatchCallAs.SELF;
  if (!CALL_AS.includes(callAs)) {
    fail(`organization.callAs must be 'SELF' or 'DELEGATED_ADMIN'; got ${show(organization.callAs)}.`);
  }
  return { regions, organizationalUnits, accounts, excludeAccounts, memberRoleName, callAs };
}

function resolveSlack(slack: StepWatchSlackProps | undefined): ResolvedSlack | undefined {
  if (slack === undefined) return undefined;
  const { workspaceId, channelId, channelConfigurationName } = slack;
  if (isLiteral(workspaceId) && !SLACK_WORKSPACE_ID.test(workspaceId)) {
    fail(
      `notifications.slack.workspaceId must be the Slack workspace id AWS Chatbot shows (upper-case letters and digits, such as T0123ABCD); got ${show(workspaceId)}.`,
    );
  }
  if (isLiteral(channelId) && !SLACK_CHANNEL_ID.test(channelId)) {
    fail(
      `notifications.slack.channelId must be a Slack channel id (letters and digits, such as C0123ABCD); got ${show(channelId)}.`,
    );
  }
  if (channelConfigurationName !== undefined && !CHANNEL_CONFIGURATION_NAME.test(channelConfigurationName)) {
    fail(
      `notifications.slack.channelConfigurationName must be 1 to 128 letters, digits, '-' or '_'; got ${show(channelConfigurationName)}.`,
    );
  }
  return { workspaceId, channelId, channelConfigurationName, guardrailPolicies: slack.guardrailPolicies };
}

function resolveNotifications(
  notifications: StepWatchNotificationProps | undefined,
): ResolvedNotifications | undefined {
  if (notifications === undefined) return undefined;
  const statuses = notifications.statuses ?? FAILURE_STATUSES;
  if (statuses.length === 0 || statuses.some((status) => status.trim() === '' || status.includes(','))) {
    fail(
      `notifications.statuses must list at least one non-empty status without commas such as 'Failed'; got ${show(statuses)}.`,
    );
  }
  const { digestInterval } = notifications;
  const digestIntervalSeconds =
    digestInterval instanceof Duration ? digestInterval.toSeconds({ integral: false }) : Number.NaN;
  if (digestInterval !== undefined && !isDigestIntervalSeconds(digestIntervalSeconds))
    fail(`notifications.digestInterval must be ${DIGEST_INTERVAL_ALLOWED}; got ${show(digestInterval)}.`);
  const perChildMessages = notifications.perChildMessages ?? false;
  if (typeof perChildMessages !== 'boolean')
    fail(
      `notifications.perChildMessages must be true or false; got ${show(notifications.perChildMessages)}.`,
    );
  const emails = notifications.emails ?? [];
  emails.forEach((email, i) => {
    if (isLiteral(email) && !EMAIL.test(email)) {
      fail(
        `notifications.emails[${i}] must be an e-mail address such as ops@example.com; got ${show(email)}.`,
      );
    }
  });
  return {
    statuses,
    emails,
    slack: resolveSlack(notifications.slack),
    topicKey: notifications.topicKey,
    digestIntervalSeconds:
      digestInterval === undefined ? DEFAULT_DIGEST_INTERVAL_SECONDS : digestIntervalSeconds,
    perChildMessages,
  };
}

/**
 * Checks every prop and fills in its default. Throws a {@link StepWatchConfigError} whose message is one
 * sentence naming the first bad prop and what it allows.
 */
export function resolveStepWatchProps(scope: IConstruct, props: StepWatchProps): ResolvedStepWatchProps {
  const period = resolvePeriod(props.schedule);
  const eventSource = resolveEventSource(props.eventSource);

  const { eventBusName } = props;
  if (eventBusName !== undefined && isLiteral(eventBusName) && !EVENT_BUS_NAME.test(eventBusName)) {
    fail(
      `eventBusName must be the name of an existing event bus (1 to 256 letters, digits, '.', '-', '_' or '/'); got ${show(eventBusName)}.`,
    );
  }

  const historyRetentionDays = resolveWholeDays(
    'historyRetention',
    props.historyRetention,
    DEFAULT_HISTORY_RETENTION_DAYS,
  );
  const archiveRetention = Duration.days(resolveWholeDays('archiveRetention', props.archiveRetention, 90));
  const organization = resolveOrganization(props);
  const shards = organization ? [] : resolveShards(scope, props.shards);
  const fanOut = organization !== undefined || shards.length > 1;

  const maxConcurrency = props.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  if (
    !isWholeNumber(maxConcurrency) ||
    maxConcurrency < MIN_MAX_CONCURRENCY ||
    maxConcurrency > MAX_MAX_CONCURRENCY
  ) {
    fail(
      `maxConcurrency must be a whole number from ${MIN_MAX_CONCURRENCY} to ${MAX_MAX_CONCURRENCY} (the limits of an SQS event source); got ${show(props.maxConcurrency)}.`,
    );
  }
  if (props.maxConcurrency !== undefined && !fanOut) {
    fail(
      'maxConcurrency applies only with organization or more than one shard; leave it out for a single shard.',
    );
  }

  const ssmDescribeTps = props.ssmDescribeTps ?? DEFAULT_SSM_DESCRIBE_TPS;
  if (typeof ssmDescribeTps !== 'number' || !Number.isFinite(ssmDescribeTps) || ssmDescribeTps <= 0) {
    fail(`ssmDescribeTps must be a number greater than 0; got ${show(props.ssmDescribeTps)}.`);
  }

  const maxEntryBytes = props.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  if (
    !isWholeNumber(maxEntryBytes) ||
    maxEntryBytes < MIN_ENTRY_BYTES ||
    maxEntryBytes > MAX_ENTRY_BYTES_LIMIT
  ) {
    fail(
      `maxEntryBytes must be a whole number from ${MIN_ENTRY_BYTES} to ${MAX_ENTRY_BYTES_LIMIT} (EventBridge's entry size limit); got ${show(props.maxEntryBytes)}.`,
    );
  }

  if (fanOut && props.reservedConcurrency !== undefined) {
    fail(
      'reservedConcurrency applies only to a single shard; with organization or more than one shard, maxConcurrency bounds the poll function.',
    );
  }
  const reservedConcurrency = fanOut ? undefined : (props.reservedConcurrency ?? 1);
  if (reservedConcurrency !== undefined && (!isWholeNumber(reservedConcurrency) || reservedConcurrency < 1)) {
    fail(`reservedConcurrency must be a whole number of at least 1; got ${show(props.reservedConcurrency)}.`);
  }

  const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
  if (!Object.values(RetentionDays).includes(logRetention)) {
    fail(
      `logRetention must be one of the RetentionDays values (1, 3, 5, 7, 14, 30, … days); got ${show(logRetention)}.`,
    );
  }

  const logLevel = props.logLevel ?? StepWatchLogLevel.INFO;
  if (!LOG_LEVELS.includes(logLevel))
    fail(`logLevel must be one of ${LOG_LEVELS.join(', ')}; got ${show(logLevel)}.`);

  const serviceName = props.serviceName ?? DEFAULT_SERVICE_NAME;
  if (serviceName.trim() === '') fail(`serviceName must be a non-empty string; got ${show(serviceName)}.`);

  const metricsNamespace = props.metricsNamespace ?? METRIC_NAMESPACE;
  if (metricsNamespace.trim() === '' || metricsNamespace.startsWith('AWS/')) {
    fail(
      `metricsNamespace must be a non-empty string that does not start with 'AWS/'; got ${show(metricsNamespace)}.`,
    );
  }

  const hints = props.hints ?? true;
  if (typeof hints !== 'boolean') fail(`hints must be true or false; got ${show(props.hints)}.`);

  const tableDeletionProtection = props.tableDeletionProtection ?? true;
  if (typeof tableDeletionProtection !== 'boolean')
    fail(`tableDeletionProtection must be true or false; got ${show(props.tableDeletionProtection)}.`);

  const hintBusName = props.hintBusName ?? DEFAULT_HINT_BUS_NAME;
  if (isLiteral(hintBusName) && (!EVENT_BUS_NAME.test(hintBusName) || hintBusName === 'default')) {
    fail(
      `hintBusName must be a new bus's name (1 to 256 letters, digits, '.', '-', '_' or '/', not 'default'); got ${show(hintBusName)}.`,
    );
  }

  const { backfillDays } = props;
  if (backfillDays !== undefined && !isBackfillDays(backfillDays))
    fail(`backfillDays must be ${BACKFILL_DAYS_ALLOWED}; got ${show(backfillDays)}.`);

  return {
    period,
    eventBusName,
    eventSource,
    archiveRetention,
    historyRetentionDays,
    shards,
    ownShardOnly: props.shards === undefined && organization === undefined,
    organization,
    fanOut,
    maxConcurrency,
    ssmDescribeTps,
    maxEntryBytes,
    reservedConcurrency,
    logRetention,
    logLevel,
    serviceName,
    metricsNamespace,
    tableEncryptionKey: props.tableEncryptionKey,
    tableRemovalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    tableDeletionProtection,
    eventBusEncryptionKey: props.eventBusEncryptionKey,
    hintBusName,
    schemaDirectory: props.schemaDirectory ?? join(moduleTreeRoot(), 'schemas'),
    notifications: resolveNotifications(props.notifications),
    hints,
    backfillDays,
  };
}
