// Turns CDK context (cdk.json defaults, `-c key=value` overrides) into StepWatch stack props.
import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { StepWatchConfigError } from './errors';
import type { StepWatchLogLevel, StepWatchOrganization, StepWatchProps } from './props';
import { BACKFILL_DAYS_ALLOWED, isBackfillDays, isDigestIntervalSeconds } from './resolved-props';

/** The context keys bin/app.ts reads; docs/deploy.md has a table of them. */
export const CONTEXT_KEYS = [
  'stackName',
  'schedule',
  'eventBusName',
  'eventSource',
  'historyRetentionDays',
  'archiveRetentionDays',
  'regions',
  'organization',
  'organizationalUnits',
  'accounts',
  'excludeAccounts',
  'memberRoleName',
  'callAs',
  'maxConcurrency',
  'ssmDescribeTps',
  'maxEntryBytes',
  'reservedConcurrency',
  'logRetentionDays',
  'logLevel',
  'notifications',
  'notificationStatuses',
  'notificationEmails',
  'slackWorkspaceId',
  'slackChannelId',
  'slackChannelConfigurationName',
  'notificationDigestMinutes',
  'notificationPerChildMessages',
  'hints',
  'hintForwarderFor',
  'backfillDays',
] as const;

/** One of {@link CONTEXT_KEYS}. */
export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** Reads one context value, e.g. `(key) => app.node.tryGetContext(key)`. */
export type ContextReader = (key: ContextKey) => unknown;

/** What the app builds from context: the stack name and the StepWatch props. */
export interface StepWatchContext {
  readonly stackName: string;
  readonly props: StepWatchProps;
}

/** A string setting; empty or absent means "use the default". */
function text(read: ContextReader, key: ContextKey): string | undefined {
  const value = read(key);
  if (value === undefined || value === null) return undefined;
  const trimmed = String(value).trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A list setting: a JSON array in cdk.json or a comma-separated string on the command line. */
function list(read: ContextReader, key: ContextKey): string[] | undefined {
  const value = read(key);
  const items = Array.isArray(value) ? value.map(String) : (text(read, key)?.split(',') ?? []);
  const trimmed = items.map((item) => item.trim()).filter((item) => item !== '');
  return trimmed.length > 0 ? trimmed : undefined;
}

function number(read: ContextReader, key: ContextKey): number | undefined {
  const value = text(read, key);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed))
    throw new StepWatchConfigError(`context ${key} must be a number; got '${value}'.`);
  return parsed;
}

/** `backfillDays`, checked here so that the message names the context key. */
function backfillDays(read: ContextReader): number | undefined {
  const value = text(read, 'backfillDays');
  if (value === undefined) return undefined;
  const days = Number(value);
  if (!isBackfillDays(days))
    throw new StepWatchConfigError(`context backfillDays must be ${BACKFILL_DAYS_ALLOWED}; got '${value}'.`);
  return days;
}

/** `notificationDigestMinutes`, checked here so that the message names the context key. */
function digestInterval(read: ContextReader): Duration | undefined {
  const value = text(read, 'notificationDigestMinutes');
  if (value === undefined) return undefined;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || !isDigestIntervalSeconds(minutes * 60)) {
    throw new StepWatchConfigError(
      `context notificationDigestMinutes must be a number of minutes from 1 to 1440 (whole seconds); got '${value}'.`,
    );
  }
  return Duration.seconds(minutes * 60);
}

function flag(read: ContextReader, key: ContextKey): boolean {
  return optionalFlag(read, key) ?? false;
}

/** A flag whose absence leaves the construct's default. */
function optionalFlag(read: ContextReader, key: ContextKey): boolean | undefined {
  const value = text(read, key)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new StepWatchConfigError(`context ${key} must be true or false; got '${value}'.`);
}

/** Keys that only mean something with `organization=true`. */
const ORGANIZATION_KEYS = [
  'organizationalUnits',
  'accounts',
  'excludeAccounts',
  'memberRoleName',
  'callAs',
] as const satisfies readonly ContextKey[];

/**
 * `organization=true`: `regions` are the organization's regions, and the organization keys apply.
 * Without it, `regions` are shards of this account and the organization keys must be empty.
 */
function organization(read: ContextReader, regions: string[] | undefined): StepWatchOrganization | undefined {
  if (!flag(read, 'organization')) {
    const stray = ORGANIZATION_KEYS.find((key) => list(read, key) !== undefined);
    if (stray !== undefined)
      throw new StepWatchConfigError(`context ${stray} applies only with organization=true.`);
    return undefined;
  }
  return {
    regions: regions ?? [],
    organizationalUnits: list(read, 'organizationalUnits'),
    accounts: list(read, 'accounts'),
    excludeAccounts: list(read, 'excludeAccounts'),
    memberRoleName: text(read, 'memberRoleName'),
    callAs: text(read, 'callAs')?.toUpperCase() as StepWatchOrganization['callAs'],
  };
}

/**
 * Builds the stack name and StepWatch props from context. Unset keys leave the construct's defaults;
 * the construct validates the values and names the prop in its message, except `backfillDays`,
 * whose message names the context key.
 *
 * @example
 * ```ts
 * const { stackName, props } = stepWatchPropsFromContext((key) => app.node.tryGetContext(key));
 * ```
 */
export function stepWatchPropsFromContext(read: ContextReader): StepWatchContext {
  const emails = list(read, 'notificationEmails');
  const workspaceId = text(read, 'slackWorkspaceId');
  const channelId = text(read, 'slackChannelId');
  const slack =
    workspaceId !== undefined || channelId !== undefined
      ? {
          workspaceId: workspaceId ?? '',
          channelId: channelId ?? '',
          channelConfigurationName: text(read, 'slackChannelConfigurationName'),
        }
      : undefined;
  const notify = flag(read, 'notifications') || emails !== undefined || slack !== undefined;
  const regions = list(read, 'regions');
  const org = organization(read, regions);

  const props: StepWatchProps = {
    schedule: text(read, 'schedule'),
    eventBusName: text(read, 'eventBusName'),
    eventSource: text(read, 'eventSource'),
    historyRetention: number(read, 'historyRetentionDays'),
    archiveRetention: number(read, 'archiveRetentionDays'),
    shards: org ? undefined : regions?.map((region) => ({ region })),
    organization: org,
    maxConcurrency: number(read, 'maxConcurrency'),
    ssmDescribeTps: number(read, 'ssmDescribeTps'),
    maxEntryBytes: number(read, 'maxEntryBytes'),
    reservedConcurrency: number(read, 'reservedConcurrency'),
    logRetention: number(read, 'logRetentionDays') as RetentionDays | undefined,
    logLevel: text(read, 'logLevel')?.toUpperCase() as StepWatchLogLevel | undefined,
    notifications: notify
      ? {
          statuses: list(read, 'notificationStatuses'),
          emails,
          slack,
          digestInterval: digestInterval(read),
          perChildMessages: optionalFlag(read, 'notificationPerChildMessages'),
        }
      : undefined,
    hints: optionalFlag(read, 'hints'),
    backfillDays: backfillDays(read),
  };
  return { stackName: text(read, 'stackName') ?? 'SsmStepWatch', props };
}

/** What `hintForwarderFor` asks for: a forwarder stack instead of the StepWatch stack. */
export interface HintForwarderContext {
  readonly stackName: string;
  readonly pollerAccount: string;
  readonly pollerRegion: string;
}

/**
 * Reads `hintForwarderFor=<pollerAccount>:<pollerRegion>`: set, the app deploys only a
 * `StepWatchHintForwarder` (named after `stackName`, plus `HintForwarder`) into the current account
 * and region. Undefined when the key is empty.
 *
 * @example
 * ```ts
 * const forwarder = hintForwarderFromContext((key) => app.node.tryGetContext(key));
 * ```
 */
export function hintForwarderFromContext(read: ContextReader): HintForwarderContext | undefined {
  const value = text(read, 'hintForwarderFor');
  if (value === undefined) return undefined;
  const match = /^(\d{12}):([a-z0-9-]+)$/.exec(value);
  if (!match?.[1] || !match[2]) {
    throw new StepWatchConfigError(
      `context hintForwarderFor must be <pollerAccount>:<pollerRegion> such as 111122223333:eu-west-1; got '${value}'.`,
    );
  }
  return {
    stackName: `${text(read, 'stackName') ?? 'SsmStepWatch'}HintForwarder`,
    pollerAccount: match[1],
    pollerRegion: match[2],
  };
}
