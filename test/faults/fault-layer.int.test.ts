// Over the wire: the fault layer does what it says — DynamoDB errors as the SDK sees them, crashes, the deadline.
import {
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable } from '../../lambda/adapters/dynamodb/create-table';
import type { PollCycleDeps } from '../../lambda/core/ports';
import { type LocalDynamo, startDynamo } from '../../sandbox/dynamo';
import {
  crashAfterSideEffects,
  DynamoFaultProxy,
  deadlineAfterReads,
  InstantRetryStrategy,
  ProcessCrash,
} from './fault-layer';

describe('Class: DynamoFaultProxy', () => {
  let dynamo: LocalDynamo;
  let proxy: DynamoFaultProxy;
  const clientOf = (maxAttempts: number) =>
    new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      endpoint: proxy.endpoint,
      retryStrategy: new InstantRetryStrategy(maxAttempts),
    });
  const put = (n: number) =>
    new PutItemCommand({
      TableName: 'faults',
      Item: { pk: { S: `k${n}` }, sk: { S: 's' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });

  beforeAll(async () => {
    dynamo = await startDynamo();
    proxy = new DynamoFaultProxy({ target: dynamo.endpoint });
    await proxy.start();
    const admin = clientOf(1);
    await createTable(admin, 'faults');
    admin.destroy();
  });
  afterAll(async () => {
    await proxy.stop();
    await dynamo.stop();
  });

  it('answers JSON 1.0 errors the SDK parses into its own exceptions, and forwards the rest', async () => {
    const client = clientOf(1);
    proxy.injectFaults({ nextCalls: ['throughput'] });

    const error = await client.send(put(1)).catch((e: unknown) => e);
    await client.send(put(1));

    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(proxy.stats().injected.throughput).toBe(1);
    client.destroy();
  });

  it('lets the SDK retry resets, throttling and 500s through to success', async () => {
    const client = clientOf(4);
    proxy.injectFaults({ nextCalls: ['reset', 'throttling', 'internal'] });

    const output = await client.send(put(2));

    expect(output.$metadata.attempts).toBe(4);
    expect(proxy.pendingFaults()).toBe(0);
    client.destroy();
  });

  it('applies a write whose reply it loses, so the retry meets ConditionalCheckFailed', async () => {
    const client = clientOf(2);
    const before = proxy.stats().conditionalCheckFailed;
    proxy.injectFaults({ nextCalls: ['lostReply'], operations: ['PutItem'] });

    const error = await client.send(put(3)).catch((e: unknown) => e);
    const item = await client.send(
      new GetItemCommand({ TableName: 'faults', Key: { pk: { S: 'k3' }, sk: { S: 's' } } }),
    );

    expect((error as Error).name).toBe('ConditionalCheckFailedException');
    expect(item.Item).toBeDefined();
    expect(proxy.stats().conditionalCheckFailed).toBe(before + 1);
    client.destroy();
  });

  it('keeps faults for the operations named, letting others through', async () => {
    const client = clientOf(1);
    proxy.injectFaults({ nextCalls: ['internal'], operations: ['UpdateItem'] });

    await client.send(put(4));

    expect(proxy.pendingFaults()).toBe(1);
    proxy.clearFaults();
    client.destroy();
  });
});

describe('Function: crashAfterSideEffects', () => {
  /** Deps whose ports record their calls and answer at once. */
  function fakeDeps(calls: string[]): PollCycleDeps {
    const port = (name: string) =>
      new Proxy(
        {},
        {
          get:
            (_target, method) =>
            async (..._args: unknown[]) => {
              calls.push(`${name}.${String(method)}`);
              return { claimed: [], alreadyRecorded: [] };
            },
        },
      );
    return {
      source: port('source'),
      store: port('store'),
      publisher: port('publisher'),
      now: () => 0,
    } as unknown as PollCycleDeps;
  }

  it('lets the k-th side effect happen, then fails it and every later call', async () => {
    const calls: string[] = [];
    const crashing = crashAfterSideEffects(fakeDeps(calls), 2);
    const { store, source, publisher } = crashing.deps;

    await store.loadPollerState('s');
    await store.recordEvents('s', []);
    await expect(publisher.publishBatch([])).rejects.toBeInstanceOf(ProcessCrash);
    await expect(source.listInFlight()).rejects.toBeInstanceOf(ProcessCrash);

    expect(calls).toEqual(['store.loadPollerState', 'store.recordEvents', 'publisher.publishBatch']);
    expect(crashing.crashed()).toBe(true);
    expect(crashing.sideEffects()).toBe(2);
  });

  it('dies before the first side effect when k is 0', async () => {
    const calls: string[] = [];
    const crashing = crashAfterSideEffects(fakeDeps(calls), 0);

    await expect(crashing.deps.store.markSent([], 'now')).rejects.toBeInstanceOf(ProcessCrash);

    expect(calls).toEqual([]);
  });
});

describe('Function: deadlineAfterReads', () => {
  it('keeps the clock before the deadline for n reads, then past it', () => {
    const clock = deadlineAfterReads(() => 1000, 2);

    expect([clock.now(), clock.now(), clock.now()]).toEqual([1000, 1000, 1001]);
    expect(clock.deadline).toBe(1001);
  });
});
