// Tests of what the app says about its context: unknown keys, unknown statuses, and construct errors in terms of the key typed.
import { describe, expect, it } from 'vitest';
import {
  CONTEXT_KEYS,
  type ContextKey,
  checkContextKeys,
  contextErrorOf,
  stepWatchPropsFromContext,
} from '../../lib/context';
import { StepWatchConfigError } from '../../lib/errors';

const reader =
  (values: Partial<Record<ContextKey, unknown>>) =>
  (key: ContextKey): unknown =>
    values[key];

describe('Function: checkContextKeys', () => {
  it('names the closest key of a mistyped one', () => {
    expect(() => checkContextKeys(['stackName', 'notificationEmail'])).toThrow(
      /^context key notificationEmail is not one this app reads\. Did you mean notificationEmails\? Keys: stackName, /,
    );
  });

  it('offers no key when none is close', () => {
    expect(() => checkContextKeys(['colour'])).toThrow(
      /^context key colour is not one this app reads\. Keys: /,
    );
  });

  it("passes every key of ours and the CDK's own keys", () => {
    expect(() =>
      checkContextKeys([
        ...CONTEXT_KEYS,
        '@aws-cdk/core:enableStackNameDuplicates',
        'aws:cdk:enable-path-metadata',
        'cdk-migrate',
        'availability-zones:account=111122223333:region=eu-west-1',
        'acknowledged-issue-numbers',
      ]),
    ).not.toThrow();
  });
});

describe('Function: contextErrorOf', () => {
  it.each([
    [
      "shards[0].region must be a known AWS region such as 'us-east-1'; got 'us-north-9'.",
      "context key regions: a value must be a known AWS region such as 'us-east-1'; got 'us-north-9'.",
    ],
    [
      "organization.regions[1] must be a known AWS region such as 'us-east-1'; got 'mars-1'.",
      "context key regions: a value must be a known AWS region such as 'us-east-1'; got 'mars-1'.",
    ],
    [
      'historyRetention must be a whole number of days greater than 0; got 0 days.',
      'context key historyRetentionDays: the value must be a whole number of days greater than 0; got 0 days.',
    ],
    [
      "notifications.emails[0] must be an e-mail address; got 'ops'.",
      "context key notificationEmails: a value must be an e-mail address; got 'ops'.",
    ],
    [
      "logLevel must be one of DEBUG, INFO; got 'LOUD'.",
      "context key logLevel: the value must be one of DEBUG, INFO; got 'LOUD'.",
    ],
    [
      'notifications.digestInterval must be a whole number of seconds from 1 minute to 1 day; got 2 days.',
      'context key notificationDigestMinutes: the value must be a whole number of seconds from 1 minute to 1 day; got 2 days.',
    ],
    [
      "notifications.perChildMessages must be true or false; got 'yes'.",
      "context key notificationPerChildMessages: the value must be true or false; got 'yes'.",
    ],
  ])('says %j in terms of the context key', (message, expected) => {
    expect(contextErrorOf(new StepWatchConfigError(message)).message).toBe(expected);
  });

  it('leaves an error that names no prop fed by context as it is', () => {
    const error = new StepWatchConfigError('schemaDirectory must hold a valid JSON Schema named x.json.');
    expect(contextErrorOf(error)).toBe(error);
  });
});

describe('Context key: notificationStatuses', () => {
  it('writes known statuses as SSM does, in any case given', () => {
    const { props } = stepWatchPropsFromContext(
      reader({ notifications: 'true', notificationStatuses: 'failed, TimedOut,cancelled' }),
    );
    expect(props.notifications?.statuses).toEqual(['Failed', 'TimedOut', 'Cancelled']);
  });

  it('applies only with notifications on', () => {
    expect(() => stepWatchPropsFromContext(reader({ notificationStatuses: 'Failed' }))).toThrow(
      'context key notificationStatuses applies only with notifications=true, notificationEmails or a Slack channel.',
    );
  });

  it('rejects an unknown status, listing the allowed ones', () => {
    expect(() => stepWatchPropsFromContext(reader({ notificationStatuses: 'Failed,Bogus' }))).toThrow(
      /^context key notificationStatuses: 'Bogus' is not an SSM Automation status; allowed: Pending, InProgress, .*Exited\.$/,
    );
  });
});
