// Over the wire: a snapshot save that dies half-way (DynamoDB faults, a crash) must not hide a later transition.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type CycleSummary, runPollCycle } from '../../lambda/cycle/poll-cycle';
import { createPoller, type Poller } from '../../lambda/runtime/poller';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../sandbox/local-stack';
import { execution, type Harness, startHarness, step, transitionsOf } from '../helpers/harness';
import { crashAfterSideEffects, DynamoFaultProxy, InstantRetryStrategy, ProcessCrash } from './fault-layer';

let harness: Harness | undefined;
let proxy: DynamoFaultProxy | undefined;
let client: DynamoDBClient | undefined;
afterEach(async () => {
  client?.destroy();
  await proxy?.stop();
  await harness?.stop();
  harness = undefined;
  proxy = undefined;
  client = undefined;
});

/** The harness's stack, and a poller whose DynamoDB calls go through a fault proxy. */
async function startBehindProxy(): Promise<{ h: Harness; proxy: DynamoFaultProxy; poller: Poller }> {
  // The step runs, waits (an approval), then runs again: the return to InProgress is a transition.
  harness = await startHarness([
    execution(
      1,
      [[0, 'InProgress']],
      [
        step(1, [
          [0, 'InProgress'],
          [10, 'Waiting'],
          [20, 'InProgress'],
        ]),
      ],
    ),
  ]);
  const h = harness;
  proxy = new DynamoFaultProxy({ target: h.stack.env.AWS_ENDPOINT_URL_DYNAMODB ?? '' });
  client = new DynamoDBClient({
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: await proxy.start(),
    retryStrategy: new InstantRetryStrategy(3),
  });
  const poller = createPoller(
    {
      tableName: h.stack.tableName,
      eventBusName: 'test-bus',
      eventSource: 'ssm-step-watch',
      historyRetentionDays: 30,
      maxEntryBytes: 262_144,
      ssmDescribeTps: 1000,
    },
    { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
    {
      clients: { ...h.stack.clients, dynamodb: client },
      timer: { now: () => h.now(), sleep: async () => {} },
    },
  );
  return { h, proxy, poller };
}

const cycle = (poller: Poller): Promise<CycleSummary> => runPollCycle(poller.deps, poller.options);

describe('Function: runPollCycle when a snapshot write dies half-way', () => {
  it('delivers a return to an earlier status after the execution write was applied but its reply lost', async () => {
    // Prepare
    const { h, proxy, poller } = await startBehindProxy();
    h.at(1);
    await cycle(poller);

    // Act: at 15 s the outbox write goes through, the snapshot write is applied but its reply lost.
    h.at(15);
    proxy.injectFaults({ nextCalls: ['ok', 'lostReply'], operations: ['PutItem'] });
    await cycle(poller);
    h.at(25);
    await cycle(poller);

    // Assess
    expect(proxy.stats()).toMatchObject({ injected: { lostReply: 1 }, conditionalCheckFailed: 1 });
    expect(transitionsOf(h.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
      'step:0001:InProgress>Waiting',
      'step:0001:Waiting>InProgress',
    ]);
  });

  it('delivers a return to an earlier status after the step snapshot write failed for good', async () => {
    const { h, proxy, poller } = await startBehindProxy();
    h.at(1);
    await cycle(poller);

    h.at(15);
    proxy.injectFaults({
      nextCalls: ['throughput', 'throughput', 'throughput'],
      operations: ['BatchWriteItem'],
    });
    const failed = await cycle(poller).catch((error: unknown) => error);
    h.at(25);
    await cycle(poller);

    expect(failed).toBeInstanceOf(Error);
    expect(transitionsOf(h.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
      'step:0001:InProgress>Waiting',
      'step:0001:Waiting>InProgress',
    ]);
  });

  it('delivers a return to an earlier status after two cycles in a row died around their saves', async () => {
    // Prepare
    const { h, poller } = await startBehindProxy();
    h.at(1);
    await cycle(poller);

    // Act: the first dies right after recording the Waiting transition; the second resends it and dies
    // after one more side effect — the snapshot save once resent events are marked sent only after it.
    h.at(15);
    const first = crashAfterSideEffects(poller.deps, 1);
    await expect(runPollCycle(first.deps, poller.options)).rejects.toBeInstanceOf(ProcessCrash);
    h.at(16);
    const second = crashAfterSideEffects(poller.deps, 2);
    await expect(runPollCycle(second.deps, poller.options)).rejects.toBeInstanceOf(ProcessCrash);
    h.at(25);
    await cycle(poller);

    // Assess: the resent Waiting arrives twice with one eventId; the return to InProgress arrives.
    expect([...new Set(transitionsOf(h.events()))]).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
      'step:0001:InProgress>Waiting',
      'step:0001:Waiting>InProgress',
    ]);
  });
});
