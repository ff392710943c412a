// Each bad StepWatch prop fails synth with its own one-sentence message; the context reader maps keys to props.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepWatchError } from '../../lambda/core/errors';
import { type ContextKey, stepWatchPropsFromContext } from '../../lib/context';
import { StepWatchConfigError } from '../../lib/errors';
import type { StepWatchCallAs } from '../../lib/props';
import { StepWatch, type StepWatchLogLevel, type StepWatchProps } from '../../lib/step-watch';

const ROLE = 'arn:aws:iam::111122223333:role/StepWatchReader';

let outdir: string;

beforeAll(() => {
  // Validation throws before anything is bundled; the Apps never synthesize, but each needs an outdir.
  outdir = mkdtempSync(join(tmpdir(), 'step-watch-validation-'));
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function build(props: StepWatchProps, account = '123456789012'): () => StepWatch {
  return () =>
    new StepWatch(
      new Stack(new App({ outdir }), 'Stack', { env: { account, region: 'us-east-1' } }),
      'Watch',
      props,
    );
}

describe('Class: StepWatch (validation)', () => {
  it.each<[string, StepWatchProps, string]>([
    [
      "a hint bus named 'default'",
      { hintBusName: 'default' },
      `hintBusName must be a new bus's name (1 to 256 letters, digits, '.', '-', '_' or '/', not 'default'); got "default".`,
    ],
    [
      'a schedule that is not a rate expression',
      { schedule: 'every minute' },
      `schedule must be a rate expression such as 'rate(1 minute)' or 'rate(5 minutes)', or a Duration, of whole minutes from 1 minute to 1 hour; got "every minute".`,
    ],
    [
      'a rate in seconds',
      { schedule: 'rate(30 seconds)' },
      `schedule must be a rate expression such as 'rate(1 minute)' or 'rate(5 minutes)', or a Duration, of whole minutes from 1 minute to 1 hour; got "rate(30 seconds)".`,
    ],
    [
      'a rate of 0 minutes',
      { schedule: 'rate(0 minutes)' },
      `schedule must be a rate expression such as 'rate(1 minute)' or 'rate(5 minutes)', or a Duration, of whole minutes from 1 minute to 1 hour; got "rate(0 minutes)".`,
    ],
    [
      'a rate above one hour',
      { schedule: 'rate(2 hours)' },
      `schedule must be a rate expression such as 'rate(1 minute)' or 'rate(5 minutes)', or a Duration, of whole minutes from 1 minute to 1 hour; got "rate(2 hours)".`,
    ],
    [
      'a Duration that is not whole minutes',
      { schedule: Duration.seconds(90) },
      `schedule must be a rate expression such as 'rate(1 minute)' or 'rate(5 minutes)', or a Duration, of whole minutes from 1 minute to 1 hour; got 1 minute 30 seconds.`,
    ],
    [
      'an event source starting with aws.',
      { eventSource: 'aws.ssm' },
      'eventSource must not start with "aws." (reserved for AWS services), got "aws.ssm".',
    ],
    [
      'an empty event source',
      { eventSource: '' },
      `eventSource must be 1-256 letters, digits, '.', '_', '-' or '/', got "".`,
    ],
    [
      'a bus name with spaces',
      { eventBusName: 'my bus' },
      `eventBusName must be the name of an existing event bus (1 to 256 letters, digits, '.', '-', '_' or '/'); got "my bus".`,
    ],
    [
      'an unknown region',
      { shards: [{ region: 'us-north-9' }] },
      `shards[0].region must be a known AWS region such as 'us-east-1'; got "us-north-9".`,
    ],
    [
      'an account id that is not 12 digits',
      { shards: [{ account: '1234', roleArn: ROLE }] },
      'shards[0].account must be a 12-digit AWS account id; got "1234".',
    ],
    [
      'a role ARN that is not one',
      { shards: [{ region: 'eu-west-1', roleArn: 'StepWatchReader' }] },
      `shards[0].roleArn must be an IAM role ARN such as 'arn:aws:iam::111122223333:role/StepWatchReader'; got "StepWatchReader".`,
    ],
    [
      'a role in another account than the shard',
      { shards: [{ account: '444455556666', roleArn: ROLE }] },
      'shards[0].roleArn must be a role in shards[0].account (444455556666); got a role in 111122223333.',
    ],
    [
      'another account without a role',
      { shards: [{ region: 'eu-west-1' }, { account: '111122223333' }] },
      "shards[1].roleArn is required when shards[1].account is set, unless it is this stack's own resolved account.",
    ],
    [
      'the same shard twice',
      { shards: [{ region: 'eu-west-1' }, { region: 'eu-west-1' }] },
      'shards must not list one account and region twice; shards[1] repeats shards[0].',
    ],
    [
      'no shard',
      { shards: [] },
      'shards must list at least one shard, or be left out to poll only this account and region.',
    ],
    [
      'a history retention of 0 days',
      { historyRetention: 0 },
      'historyRetention must be a whole number of days greater than 0; got 0.',
    ],
    [
      'a history retention of part of a day',
      { historyRetention: Duration.hours(12) },
      'historyRetention must be a whole number of days greater than 0; got 12 hours.',
    ],
    [
      'a negative archive retention',
      { archiveRetention: -1 },
      'archiveRetention must be a whole number of days greater than 0; got -1.',
    ],
    ['a Describe rate of 0', { ssmDescribeTps: 0 }, 'ssmDescribeTps must be a number greater than 0; got 0.'],
    [
      'an entry limit above 1 MB',
      { maxEntryBytes: 2_000_000 },
      "maxEntryBytes must be a whole number from 4096 to 1048576 (EventBridge's entry size limit); got 2000000.",
    ],
    [
      'reserved concurrency with several shards',
      { shards: [{ region: 'eu-west-1' }, { region: 'us-east-1' }], reservedConcurrency: 2 },
      'reservedConcurrency applies only to a single shard; with organization or more than one shard, maxConcurrency bounds the poll function.',
    ],
    [
      'reserved concurrency of 0',
      { reservedConcurrency: 0 },
      'reservedConcurrency must be a whole number of at least 1; got 0.',
    ],
    [
      'a maxConcurrency of 1',
      { shards: [{ region: 'eu-west-1' }, { region: 'us-east-1' }], maxConcurrency: 1 },
      'maxConcurrency must be a whole number from 2 to 1000 (the limits of an SQS event source); got 1.',
    ],
    [
      'a maxConcurrency above 1000',
      { organization: { regions: ['eu-west-1'] }, maxConcurrency: 1001 },
      'maxConcurrency must be a whole number from 2 to 1000 (the limits of an SQS event source); got 1001.',
    ],
    [
      'a maxConcurrency for a single shard',
      { maxConcurrency: 10 },
      'maxConcurrency applies only with organization or more than one shard; leave it out for a single shard.',
    ],
    [
      'an organization together with shards',
      { organization: { regions: ['eu-west-1'] }, shards: [{ region: 'eu-west-1' }] },
      'organization and shards exclude each other: the accounts and regions of the organization are the shards.',
    ],
    [
      'an organization without regions',
      { organization: { regions: [] } },
      `organization.regions must list at least one known AWS region such as 'us-east-1'; got [].`,
    ],
    [
      'an organization region aws-cdk-lib does not know',
      { organization: { regions: ['eu-west-1', 'eu-north-9'] } },
      `organization.regions[1] must be a known AWS region such as 'us-east-1'; got "eu-north-9".`,
    ],
    [
      'an organization region listed twice',
      { organization: { regions: ['eu-west-1', 'us-east-1', 'eu-west-1'] } },
      'organization.regions must not list one value twice; organization.regions[2] repeats organization.regions[0].',
    ],
    [
      'an OU id that is an account id',
      { organization: { regions: ['eu-west-1'], organizationalUnits: ['ou-ab12-cdef3456', '111122223333'] } },
      `organization.organizationalUnits[1] must be an OU id such as 'ou-ab12-cdef3456' or the root id such as 'r-ab12'; got "111122223333".`,
    ],
    [
      'an empty OU list',
      { organization: { regions: ['eu-west-1'], organizationalUnits: [] } },
      'organization.organizationalUnits must list at least one OU id, or be left out to cover the whole organization; got [].',
    ],
    [
      'an organization account that is not 12 digits',
      { organization: { regions: ['eu-west-1'], accounts: ['12345'] } },
      'organization.accounts[0] must be a 12-digit AWS account id; got "12345".',
    ],
    [
      'an excluded account that is not 12 digits',
      { organization: { regions: ['eu-west-1'], excludeAccounts: ['111122223333', 'dev'] } },
      'organization.excludeAccounts[1] must be a 12-digit AWS account id; got "dev".',
    ],
    [
      'a member role name with a slash',
      { organization: { regions: ['eu-west-1'], memberRoleName: 'team/reader' } },
      `organization.memberRoleName must be an IAM role name of 1 to 64 letters, digits or '+=,.@_-'; got "team/reader".`,
    ],
    [
      'an unknown callAs',
      {
        organization: {
          regions: ['eu-west-1'],
          callAs: 'ADMIN' as unknown as StepWatchCallAs,
        },
      },
      `organization.callAs must be 'SELF' or 'DELEGATED_ADMIN'; got "ADMIN".`,
    ],
    [
      'a log retention CloudWatch does not offer',
      { logRetention: 4 as RetentionDays },
      'logRetention must be one of the RetentionDays values (1, 3, 5, 7, 14, 30, … days); got 4.',
    ],
    [
      'an unknown log level',
      { logLevel: 'TRACE' as unknown as StepWatchLogLevel },
      'logLevel must be one of DEBUG, INFO, WARN, ERROR; got "TRACE".',
    ],
    [
      'an AWS metrics namespace',
      { metricsNamespace: 'AWS/Lambda' },
      `metricsNamespace must be a non-empty string that does not start with 'AWS/'; got "AWS/Lambda".`,
    ],
    [
      'an empty e-mail address',
      { notifications: { emails: ['ops@example.com', ''] } },
      'notifications.emails[1] must be an e-mail address such as ops@example.com; got "".',
    ],
    [
      'an e-mail address without a domain',
      { notifications: { emails: ['ops'] } },
      'notifications.emails[0] must be an e-mail address such as ops@example.com; got "ops".',
    ],
    [
      'no notification status',
      { notifications: { statuses: [] } },
      `notifications.statuses must list at least one non-empty status without commas such as 'Failed'; got [].`,
    ],
    [
      'a digest interval under a minute',
      { notifications: { digestInterval: Duration.seconds(30) } },
      'notifications.digestInterval must be a whole number of seconds from 1 minute to 1 day; got 30 seconds.',
    ],
    [
      'a digest interval over a day',
      { notifications: { digestInterval: Duration.hours(25) } },
      'notifications.digestInterval must be a whole number of seconds from 1 minute to 1 day; got 1 day 1 hour.',
    ],
    [
      'perChildMessages that is not a boolean',
      { notifications: { perChildMessages: 'yes' as unknown as boolean } },
      'notifications.perChildMessages must be true or false; got "yes".',
    ],
    [
      'an empty Slack workspace id',
      { notifications: { slack: { workspaceId: '', channelId: 'C0123ABCD' } } },
      'notifications.slack.workspaceId must be the Slack workspace id AWS Chatbot shows (upper-case letters and digits, such as T0123ABCD); got "".',
    ],
    [
      'an empty Slack channel id',
      { notifications: { slack: { workspaceId: 'T0123ABCD', channelId: '' } } },
      'notifications.slack.channelId must be a Slack channel id (letters and digits, such as C0123ABCD); got "".',
    ],
    [
      'a channel configuration name with spaces',
      {
        notifications: {
          slack: {
            workspaceId: 'T0123ABCD',
            channelId: 'C0123ABCD',
            channelConfigurationName: 'ops channel',
          },
        },
      },
      `notifications.slack.channelConfigurationName must be 1 to 128 letters, digits, '-' or '_'; got "ops channel".`,
    ],
    [
      'hints that is not a boolean',
      { hints: 'yes' as unknown as boolean },
      'hints must be true or false; got "yes".',
    ],
    [
      'a backfill of 0 days',
      { backfillDays: 0 },
      'backfillDays must be a whole number of days from 1 to 30 (SSM keeps Automation history 30 days); got 0.',
    ],
    [
      'a backfill longer than SSM remembers',
      { backfillDays: 31 },
      'backfillDays must be a whole number of days from 1 to 30 (SSM keeps Automation history 30 days); got 31.',
    ],
    [
      'a backfill of part of a day',
      { backfillDays: 2.5 },
      'backfillDays must be a whole number of days from 1 to 30 (SSM keeps Automation history 30 days); got 2.5.',
    ],
  ])('rejects %s', (_case, props, message) => {
    expect(build(props)).toThrow(new StepWatchConfigError(message));
  });

  it('throws a StepWatchConfigError, which is a StepWatchError', () => {
    // Act
    let caught: unknown;
    try {
      build({ eventSource: 'aws.ssm' })();
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(StepWatchConfigError);
    expect(caught).toBeInstanceOf(StepWatchError);
    expect((caught as Error).name).toBe('StepWatchConfigError');
  });

  it('requires a role for an explicit account when the stack account is unknown', () => {
    const envAgnostic = () =>
      new StepWatch(new Stack(new App({ outdir }), 'Stack'), 'Watch', {
        shards: [{ account: '123456789012' }],
      });
    expect(envAgnostic).toThrow(
      "shards[0].roleArn is required when shards[0].account is set, unless it is this stack's own resolved account.",
    );
  });

  it('names the schema file it cannot read', () => {
    expect(build({ schemaDirectory: join(outdir, 'missing') })).toThrow(
      /^schemaDirectory must hold a valid JSON Schema named step-status-change\.schema\.json; reading .+step-status-change\.schema\.json failed\.$/,
    );
  });
});

describe('Function: stepWatchPropsFromContext', () => {
  const reader =
    (context: Partial<Record<ContextKey, unknown>>) =>
    (key: ContextKey): unknown =>
      context[key];

  it('leaves every prop to its default when cdk.json holds the empty defaults', () => {
    // Act
    const { stackName, props } = stepWatchPropsFromContext(
      reader({
        eventBusName: '',
        regions: '',
        notificationEmails: '',
        slackWorkspaceId: '',
        notifications: false,
      }),
    );

    // Assess
    expect(stackName).toBe('SsmStepWatch');
    expect(props.eventBusName).toBeUndefined();
    expect(props.shards).toBeUndefined();
    expect(props.notifications).toBeUndefined();
  });

  it('turns comma lists into shards and e-mail subscriptions', () => {
    const { props } = stepWatchPropsFromContext(
      reader({ regions: 'eu-west-1, us-east-1', notificationEmails: 'a@example.com,b@example.com' }),
    );
    expect(props.shards).toEqual([{ region: 'eu-west-1' }, { region: 'us-east-1' }]);
    expect(props.notifications?.emails).toEqual(['a@example.com', 'b@example.com']);
  });

  it('reads numbers given as strings on the command line', () => {
    const { props } = stepWatchPropsFromContext(
      reader({
        historyRetentionDays: '30',
        ssmDescribeTps: '1.5',
        logRetentionDays: 7,
        reservedConcurrency: '',
      }),
    );
    expect(props).toMatchObject({ historyRetention: 30, ssmDescribeTps: 1.5, logRetention: 7 });
    expect(props.reservedConcurrency).toBeUndefined();
  });

  it('turns notifications on for a Slack channel, keeping a missing id empty for the construct to reject', () => {
    const { props } = stepWatchPropsFromContext(reader({ slackChannelId: 'C0123ABCD' }));
    expect(props.notifications?.slack).toEqual({
      workspaceId: '',
      channelId: 'C0123ABCD',
      channelConfigurationName: undefined,
    });
  });

  it('turns organization=true and regions into the organization prop, without shards', () => {
    // Act
    const { props } = stepWatchPropsFromContext(
      reader({
        organization: 'true',
        regions: 'eu-west-1,us-east-1',
        organizationalUnits: 'ou-ab12-cdef3456, ou-ab12-aaaa1111',
        accounts: '',
        excludeAccounts: '111122223333',
        memberRoleName: '',
        callAs: 'delegated_admin',
        maxConcurrency: '50',
      }),
    );

    // Assess
    expect(props.shards).toBeUndefined();
    expect(props.maxConcurrency).toBe(50);
    expect(props.organization).toEqual({
      regions: ['eu-west-1', 'us-east-1'],
      organizationalUnits: ['ou-ab12-cdef3456', 'ou-ab12-aaaa1111'],
      accounts: undefined,
      excludeAccounts: ['111122223333'],
      memberRoleName: undefined,
      callAs: 'DELEGATED_ADMIN',
    });
  });

  it('passes organization=true without regions on, for the construct to name the missing regions', () => {
    const { props } = stepWatchPropsFromContext(reader({ organization: true }));
    expect(props.organization?.regions).toEqual([]);
  });

  it('leaves the organization out when organization is false, whatever the regions', () => {
    const { props } = stepWatchPropsFromContext(
      reader({ organization: false, regions: 'eu-west-1', organizationalUnits: '' }),
    );
    expect(props.organization).toBeUndefined();
    expect(props.shards).toEqual([{ region: 'eu-west-1' }]);
  });

  it('rejects an organization key without organization=true', () => {
    expect(() => stepWatchPropsFromContext(reader({ organizationalUnits: 'ou-ab12-cdef3456' }))).toThrow(
      new StepWatchConfigError('context organizationalUnits applies only with organization=true.'),
    );
  });

  it('rejects a number key that is not a number', () => {
    expect(() => stepWatchPropsFromContext(reader({ historyRetentionDays: 'a year' }))).toThrow(
      new StepWatchConfigError("context historyRetentionDays must be a number; got 'a year'."),
    );
  });

  it('reads the digest interval in minutes and per-child messages for notifications', () => {
    const { props } = stepWatchPropsFromContext(
      reader({ notifications: 'true', notificationDigestMinutes: '5', notificationPerChildMessages: 'true' }),
    );
    expect(props.notifications?.digestInterval?.toSeconds()).toBe(300);
    expect(props.notifications?.perChildMessages).toBe(true);
  });

  it('names the context key of a bad digest interval in one sentence', () => {
    expect(() =>
      stepWatchPropsFromContext(reader({ notifications: 'true', notificationDigestMinutes: '0' })),
    ).toThrow(
      new StepWatchConfigError(
        "context notificationDigestMinutes must be a number of minutes from 1 to 1440 (whole seconds); got '0'.",
      ),
    );
  });

  it('reads backfillDays, and leaves it out when empty', () => {
    expect(stepWatchPropsFromContext(reader({ backfillDays: '30' })).props.backfillDays).toBe(30);
    expect(stepWatchPropsFromContext(reader({ backfillDays: 1 })).props.backfillDays).toBe(1);
    expect(stepWatchPropsFromContext(reader({ backfillDays: '' })).props.backfillDays).toBeUndefined();
  });

  it.each(['0', '31', '2.5', 'a month'])('rejects backfillDays=%s, naming the context key', (value) => {
    expect(() => stepWatchPropsFromContext(reader({ backfillDays: value }))).toThrow(
      new StepWatchConfigError(
        `context backfillDays must be a whole number of days from 1 to 30 (SSM keeps Automation history 30 days); got '${value}'.`,
      ),
    );
  });

  it('rejects a flag that is not true or false', () => {
    expect(() => stepWatchPropsFromContext(reader({ notifications: 'yes' }))).toThrow(
      new StepWatchConfigError("context notifications must be true or false; got 'yes'."),
    );
  });
});
