// Turns CDK context (cdk.json defaults, `-c key=value` overrides) into StepWatch stack props.
import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { KNOWN_STATUSES } from '../lambda/core/status';
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
  'tableDeletionProtection',
  'hintBusName',
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
  const statuses = notificationStatuses(read);
  if (statuses !== undefined && !notify) {
    throw new StepWatchConfigError(
      'context key notificationStatuses applies only with notifications=true, notificationEmails or a Slack channel.',
    );
  }
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
          statuses,
          emails,
          slack,
          digestInterval: digestInterval(read),
          perChildMessages: optionalFlag(read, 'notificationPerChildMessages'),
        }
      : undefined,
    hints: optionalFlag(read, 'hints'),
    backfillDays: backfillDays(read),
    tableDeletionProtection: optionalFlag(read, 'tableDeletionProtection'),
    hintBusName: text(read, 'hintBusName'),
  };
  return { stackName: text(read, 'stackName') ?? 'SsmStepWatch', props };
}

/** What `hintForwarderFor` asks for: a forwarder stack instead of the StepWatch stack. */
export interface HintForwarderContext {
  readonly stackName: string;
  readonly pollerAccount: string;
  readonly pollerRegion: string;
  /** `hintBusName`; undefined: the forwarder's default. */
  readonly pollerHintBusName: string | undefined;
  /** `memberRoleName` (the StepWatch's, which names the forwarder's role); undefined: the default. */
  readonly memberRoleName: string | undefined;
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
    pollerHintBusName: text(read, 'hintBusName'),
    memberRoleName: text(read, 'memberRoleName'),
  };
}

/**
 * `notificationStatuses`: step statuses SSM documents, in any case (written as SSM writes them); an
 * unknown one is an error listing the allowed ones, since a rule on a misspelt status never fires.
 */
function notificationStatuses(read: ContextReader): string[] | undefined {
  const values = list(read, 'notificationStatuses');
  return values?.map((value) => {
    const known = KNOWN_STATUSES.find((status) => status.toLowerCase() === value.toLowerCase());
    if (known === undefined) {
      throw new StepWatchConfigError(
        `context key notificationStatuses: '${value}' is not an SSM Automation status; allowed: ${KNOWN_STATUSES.join(', ')}.`,
      );
    }
    return known;
  });
}

/**
 * Keys this app reads are plain camelCase words; CDK's own (`@aws-cdk/...`, `aws:cdk:...`,
 * `cdk-...`, lookups such as `availability-zones:...`, `acknowledged-issue-numbers`) all hold a
 * character other than a letter or digit, so they are never taken for a mistyped key of ours.
 */
const OUR_KEY_SHAPE = /^[a-z][A-Za-z0-9]*$/;

/**
 * Checks the context keys given (cdk.json, `-c key=value`): a key shaped like ours (see
 * {@link OUR_KEY_SHAPE}) that the app does not read is an error naming the closest known key, so a
 * typo (`notificationEmail`) is not silently ignored. Other keys belong to the CDK and pass.
 *
 * @example
 * ```ts
 * checkContextKeys(Object.keys(app.node.getAllContext())); // throws for 'notificationEmail'
 * ```
 */
export function checkContextKeys(keys: readonly string[]): void {
  const known: readonly string[] = CONTEXT_KEYS;
  const unknown = keys.filter((key) => OUR_KEY_SHAPE.test(key) && !known.includes(key));
  const [first] = unknown;
  if (first === undefined) return;
  const closest = closestKey(first, known);
  const hint = closest === undefined ? '' : ` Did you mean ${closest}?`;
  throw new StepWatchConfigError(
    `context key ${first} is not one this app reads.${hint} Keys: ${known.join(', ')} (docs/deploy.md).`,
  );
}

/** Which context key feeds a prop, when its name differs from the prop's. */
const KEY_OF_PROP: Readonly<Record<string, ContextKey>> = {
  historyRetention: 'historyRetentionDays',
  archiveRetention: 'archiveRetentionDays',
  logRetention: 'logRetentionDays',
  shards: 'regions',
  'organization.regions': 'regions',
  'organization.organizationalUnits': 'organizationalUnits',
  'organization.accounts': 'accounts',
  'organization.excludeAccounts': 'excludeAccounts',
  'organization.memberRoleName': 'memberRoleName',
  'organization.callAs': 'callAs',
  'notifications.statuses': 'notificationStatuses',
  'notifications.emails': 'notificationEmails',
  'notifications.slack.workspaceId': 'slackWorkspaceId',
  'notifications.slack.channelId': 'slackChannelId',
  'notifications.slack.channelConfigurationName': 'slackChannelConfigurationName',
  'notifications.digestInterval': 'notificationDigestMinutes',
  'notifications.perChildMessages': 'notificationPerChildMessages',
};

/**
 * The construct's validation error, said in terms of the context key the value came from: the
 * construct names its prop (`shards[0].region must be …`), the user typed `-c regions=…`. Errors
 * that name no prop fed by a context key come back as they are.
 *
 * @example
 * ```ts
 * contextErrorOf(new StepWatchConfigError("shards[0].region must be a known AWS region such as 'us-east-1'; got 'us-north-9'.")).message;
 * // "context key regions: a value must be a known AWS region such as 'us-east-1'; got 'us-north-9'."
 * ```
 */
export function contextErrorOf(error: StepWatchConfigError): StepWatchConfigError {
  const match = /^([A-Za-z]+(?:\[\d+\])?(?:\.[A-Za-z]+(?:\[\d+\])?)*) (.*)$/s.exec(error.message);
  if (!match?.[1] || match[2] === undefined) return error;
  const path = match[1];
  const unindexed = path.replace(/\[\d+\]/g, '');
  const key = contextKeyOfProp(unindexed);
  if (key === undefined) return error;
  const subject = /\[\d+\]/.test(path) ? 'a value' : 'the value';
  return new StepWatchConfigError(`context key ${key}: ${subject} ${match[2]}`, { cause: error });
}

function contextKeyOfProp(path: string): ContextKey | undefined {
  for (let prefix = path; prefix !== ''; prefix = prefix.replace(/\.?[A-Za-z]+$/, '')) {
    const key = KEY_OF_PROP[prefix] ?? (CONTEXT_KEYS as readonly string[]).find((k) => k === prefix);
    if (key !== undefined) return key as ContextKey;
  }
  return undefined;
}

/** The known key nearest to `key` in edits (case-insensitive), when it is near enough to be a typo. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { key: candidate, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(key.length / 3))
    ? best.key
    : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
