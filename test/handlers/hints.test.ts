// Tests of createHintHandler without a stack: configuration, malformed and foreign records, a shard whose store fails.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import { createHintHandler } from '../../lambda/handlers/hints';
import { captureStdio } from '../helpers/stdio';

const OWN_ACCOUNT = '123456789012';
const OWN_REGION = 'us-east-1';

const context = {
  functionName: 'hints',
  invokedFunctionArn: `arn:aws:lambda:${OWN_REGION}:${OWN_ACCOUNT}:function:hints`,
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const ENV = {
  TABLE_NAME: 'table',
  EVENT_BUS_NAME: 'bus',
  AWS_REGION: OWN_REGION,
  POWERTOOLS_METRICS_DISABLED: 'true',
};

/** Clients that answer nothing (a closed port), counting every call they are asked to send. */
function unreachableClients(): {
  clients: { ssm: SSMClient; dynamodb: DynamoDBClient; eventBridge: EventBridgeClient };
  calls: string[];
} {
  const calls: string[] = [];
  const common = {
    region: OWN_REGION,
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  };
  const clients = {
    ssm: new SSMClient(common),
    dynamodb: new DynamoDBClient(common),
    eventBridge: new EventBridgeClient(common),
  };
  // One middleware per client: each client's stack types its own middleware.
  const options = { step: 'initialize', name: 'countCalls' } as const;
  clients.ssm.middlewareStack.add(
    (next, ctx) => (args) => {
      calls.push(String(ctx.commandName));
      return next(args);
    },
    options,
  );
  clients.dynamodb.middlewareStack.add(
    (next, ctx) => (args) => {
      calls.push(String(ctx.commandName));
      return next(args);
    },
    options,
  );
  clients.eventBridge.middlewareStack.add(
    (next, ctx) => (args) => {
      calls.push(String(ctx.commandName));
      return next(args);
    },
    options,
  );
  return { clients, calls };
}

function nativeEvent(account: string, region: string, n: number): string {
  return JSON.stringify({
    version: '0',
    id: `event-${n}`,
    'detail-type': 'EC2 Automation Step Status-change Notification',
    source: 'aws.ssm',
    account,
    time: '2026-11-25T12:00:00Z',
    region,
    resources: [],
    detail: {
      ExecutionId: `eeeeeeee-0000-4000-8000-${String(n).padStart(12, '0')}`,
      Definition: 'Doc',
      Status: 'Success',
      StepName: 'step',
    },
  });
}

function sqsEvent(bodies: readonly string[]): SQSEvent {
  return {
    Records: bodies.map(
      (body, i): SQSRecord => ({
        messageId: `m-${i}`,
        receiptHandle: `r-${i}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '0',
          SenderId: 'events.amazonaws.com',
          ApproximateFirstReceiveTimestamp: '0',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${OWN_REGION}:${OWN_ACCOUNT}:hints`,
        awsRegion: OWN_REGION,
      }),
    ),
  };
}

describe('Function: createHintHandler', () => {
  let output: string[] = [];

  beforeEach(() => {
    output = [];
    // Powertools writes JSON lines to stdout and stderr: kept for the assertions, out of the report.
    captureStdio(output);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function logged(message: string): Record<string, unknown>[] {
    return output
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === message);
  }

  it('acknowledges malformed records without asking AWS anything', async () => {
    // Prepare
    const { clients, calls } = unreachableClients();
    const handler = createHintHandler({ env: ENV, clients });
    const bodies = ['', 'not json', '{"source":"aws.ec2"}', JSON.stringify({ source: 'aws.ssm' })];

    // Act
    const response = await handler(sqsEvent(bodies), context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([]);
    expect(logged('acknowledged records that are not SSM Automation events')[0]).toMatchObject({
      messageIds: ['m-0', 'm-1', 'm-2', 'm-3'],
    });
  });

  it('drops hints for other accounts and regions with one log line', async () => {
    // Prepare
    const { clients, calls } = unreachableClients();
    const handler = createHintHandler({ env: ENV, clients });
    const bodies = [
      nativeEvent('111122223333', OWN_REGION, 1),
      nativeEvent(OWN_ACCOUNT, 'eu-west-1', 2),
      nativeEvent(OWN_ACCOUNT, 'eu-west-1', 3),
    ];

    // Act
    const response = await handler(sqsEvent(bodies), context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([]);
    const dropped = logged('dropped hints for shards this deployment does not poll');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({
      hintsByShard: { [`111122223333#${OWN_REGION}`]: 1, [`${OWN_ACCOUNT}#eu-west-1`]: 2 },
    });
  });

  it('serves the shards SHARDS lists, the own account filling in what an entry leaves out', async () => {
    // Prepare: eu-west-1 of the own account is listed, so its hint is served (and fails: nothing answers).
    const { clients, calls } = unreachableClients();
    const handler = createHintHandler({
      env: { ...ENV, SHARDS: JSON.stringify([{ region: 'eu-west-1' }]) },
      clients,
    });
    const bodies = [nativeEvent(OWN_ACCOUNT, OWN_REGION, 1), nativeEvent(OWN_ACCOUNT, 'eu-west-1', 2)];

    // Act
    const response = await handler(sqsEvent(bodies), context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(calls[0]).toBe('GetItemCommand');
    expect(logged('dropped hints for shards this deployment does not poll')[0]).toMatchObject({
      hintsByShard: { [`${OWN_ACCOUNT}#${OWN_REGION}`]: 1 },
    });
  });

  it('returns every record of a shard whose table cannot be reached, and acknowledges the malformed ones', async () => {
    // Prepare
    const { clients } = unreachableClients();
    const handler = createHintHandler({ env: ENV, clients });
    const bodies = [
      nativeEvent(OWN_ACCOUNT, OWN_REGION, 1),
      'garbage',
      nativeEvent(OWN_ACCOUNT, OWN_REGION, 1),
    ];

    // Act
    const response = await handler(sqsEvent(bodies), context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-2' }] });
    expect(logged('targeted cycle failed')[0]).toMatchObject({ shard: `${OWN_ACCOUNT}#${OWN_REGION}` });
  });

  it.each([
    ['not JSON', 'nope', 'SHARDS must be a JSON array of { account, region, roleArn } objects'],
    ['an empty array', '[]', 'SHARDS must be a non-empty JSON array of { account, region, roleArn } objects'],
    ['a short account', '[{"account":"1234"}]', 'SHARDS[0].account must be 12 digits, got "1234"'],
    ['a number for a region', '[{},{"region":7}]', 'SHARDS[1].region must be a non-empty string'],
    ['a string entry', '["eu-west-1"]', 'SHARDS[0] must be an object'],
  ])('rejects SHARDS that is %s with a ConfigError naming it', async (_, shards, problem) => {
    const handler = createHintHandler({ env: { ...ENV, SHARDS: shards } });

    const error = await handler(sqsEvent([]), context).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`Invalid configuration: ${problem}.`);
  });

  it('rejects a SHARDS_FILE missing from the bundle with a ConfigError naming it', async () => {
    const handler = createHintHandler({
      env: { ...ENV, SHARDS_FILE: 'shards.json', LAMBDA_TASK_ROOT: '/nonexistent-bundle' },
    });

    const error = await handler(sqsEvent([]), context).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'Invalid configuration: SHARDS_FILE names /nonexistent-bundle/shards.json, which cannot be read (ENOENT).',
    );
  });

  it('rejects a SCHEDULE_PERIOD_SECONDS that is not a positive number', async () => {
    const handler = createHintHandler({ env: { ...ENV, SCHEDULE_PERIOD_SECONDS: '-60' } });

    const error = await handler(sqsEvent([]), context).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'Invalid configuration: SCHEDULE_PERIOD_SECONDS must be a positive number, got "-60".',
    );
  });
});
