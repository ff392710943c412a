// Over the wire: SQS batches of SSM's own events (from the simulator) through the hint handler into the recorder.
import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHintHandler, type HintHandler } from '../../lambda/handlers/hints';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../sandbox/local-stack';
import type { NativeEvent, NativeEventOptions } from '../../sandbox/native-events';
import {
  execution,
  type Harness,
  idOf,
  sequentialSteps,
  startHarness,
  step,
  T0,
  transitionsOf,
} from '../helpers/harness';
import { executionTransitionsOf, stepTransitionsById } from '../helpers/observers';
import { schemaErrors } from '../helpers/schemas';

let harness: Harness | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await harness?.stop();
  harness = undefined;
});

const context = {
  functionName: 'hints',
  invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:hints`,
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/** SSM's own events the stack's simulator delivered by now, each once. */
function nativeEventsOf(h: Harness): () => NativeEvent[] {
  return () => h.stack.ssm.takeNativeEvents(h.now());
}

/** The same events as another account's SSM would send them. */
function fromAccount(account: string, events: readonly NativeEvent[]): string[] {
  return events.map((e) => JSON.stringify({ ...e.event, account }));
}

/** An SQS batch as EventBridge's queue target delivers it: each body the whole event as JSON. */
function batchOf(bodies: readonly string[], firstMessage = 0): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m-${firstMessage + i}`,
      receiptHandle: `r-${firstMessage + i}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(T0),
        SenderId: 'events.amazonaws.com',
        ApproximateFirstReceiveTimestamp: String(T0),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:hints`,
      awsRegion: LOCAL_REGION,
    })),
  };
}

function bodiesOf(events: readonly NativeEvent[]): string[] {
  return events.map((e) => JSON.stringify(e.event));
}

/** The hint handler on the harness's stack and virtual clock; its waits let virtual time pass. */
function hintHandlerOn(
  h: Harness,
  options: { leaseWaitMs?: number; schedulePeriodSeconds?: number } = {},
): HintHandler {
  return createHintHandler({
    env: {
      TABLE_NAME: h.stack.tableName,
      EVENT_BUS_NAME: 'test-bus',
      AWS_REGION: LOCAL_REGION,
      SSM_DESCRIBE_TPS: '1000',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      ...(options.schedulePeriodSeconds !== undefined && {
        SCHEDULE_PERIOD_SECONDS: String(options.schedulePeriodSeconds),
      }),
    },
    clients: h.stack.clients,
    timer: { now: () => h.now(), sleep: async (ms) => h.at((h.now() + ms - T0) / 1000) },
    leaseWaitMs: options.leaseWaitMs ?? 0,
  });
}

/** Keeps Powertools' JSON lines out of the test report. */
function quietLogs(): void {
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation(() => true);
  }
}

/** Two sequential runs: e1 of three 10 s steps, e2 of two 10 s steps whose last fails; SSM sends its own events. */
async function twoRuns(nativeEvents: NativeEventOptions): Promise<Harness> {
  return startHarness(
    [
      execution(
        1,
        [
          [0, 'InProgress'],
          [30, 'Success'],
        ],
        sequentialSteps(1, 3, 0, 10),
      ),
      execution(
        2,
        [
          [0, 'InProgress'],
          [20, 'Failed'],
        ],
        [
          step(11, [
            [0, 'InProgress'],
            [10, 'Success'],
          ]),
          step(12, [
            [10, 'InProgress'],
            [20, 'Failed'],
          ]),
        ],
      ),
    ],
    { behaviour: {}, nativeEvents },
  );
}

/** Stands for a scheduled cycle still running: the shard's lease held until `until` (epoch ms). */
async function holdLeaseUntil(h: Harness, until: number): Promise<void> {
  const store = h.poller.deps.store;
  const shard = h.poller.options.shard;
  const state = await store.loadPollerState(shard);
  await store.savePollerState(shard, { ...state, leaseUntil: new Date(until).toISOString() }, state);
}

describe('Function: createHintHandler over the wire', () => {
  it('sends a hinted execution’s new transitions within the hinted call', async () => {
    // Prepare: a scheduled cycle at 1 s; SSM's events of the changes at 10 s arrive by 12 s.
    quietLogs();
    harness = await twoRuns({ delaySeconds: [0, 2] });
    const take = nativeEventsOf(harness);
    const handle = hintHandlerOn(harness);
    harness.at(1);
    await harness.cycle();
    take();
    const before = harness.events().length;

    // Act
    harness.at(12);
    const hints = take();
    const response = await handle(batchOf(bodiesOf(hints)), context);

    // Assess
    expect(hints.length).toBeGreaterThanOrEqual(4);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(transitionsOf(harness.events().slice(before))).toEqual([
      'step:0001:InProgress>Success',
      'step:0002:Pending>InProgress',
      'step:0011:InProgress>Success',
      'step:0012:Pending>InProgress',
    ]);
    expect(harness.events().flatMap((e) => schemaErrors(e.detailType, e.detail))).toEqual([]);
  });

  it('reads an execution once however many of its events one batch holds', async () => {
    // Prepare
    quietLogs();
    harness = await twoRuns({ delaySeconds: [0, 0] });
    const take = nativeEventsOf(harness);
    const handle = hintHandlerOn(harness);
    harness.at(1);
    await harness.cycle();
    take();
    harness.at(25);
    const hints = take().filter(
      (e) => (e.event.detail as { ExecutionId: string }).ExecutionId === idOf('e', 1),
    );
    harness.stack.ssm.resetCallCounts();

    // Act
    const response = await handle(batchOf(bodiesOf(hints)), context);

    // Assess: four events about e1 (two steps ended, two started) cost one listing and one step read.
    expect(hints).toHaveLength(4);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(harness.stack.ssm.callCounts()).toEqual({
      DescribeAutomationExecutions: 1,
      DescribeAutomationStepExecutions: 1,
    });
  });

  it('sends nothing twice for duplicate, late and malformed hints', async () => {
    // Prepare: every event delivered twice; the first batch is held back and delivered last (late).
    quietLogs();
    harness = await twoRuns({ delaySeconds: [0, 1], duplicateRate: 1 });
    const take = nativeEventsOf(harness);
    const handle = hintHandlerOn(harness);
    harness.at(1);
    await harness.cycle();
    harness.at(12);
    const early = bodiesOf(take());
    const malformed = [
      '',
      '{"source":"aws.ssm","detail-type":"EC2 Automation Step Status-change Notification"}',
    ];

    // Act
    const responses = [await handle(batchOf([...early, ...malformed]), context)];
    harness.at(32);
    const later = bodiesOf(take());
    responses.push(await handle(batchOf([...later, ...later]), context));
    harness.at(40);
    responses.push(await handle(batchOf(early), context));
    harness.at(61);
    await harness.cycle();

    // Assess
    expect(responses.map((r) => r.batchItemFailures)).toEqual([[], [], []]);
    const ids = harness.events().map((e) => (e.detail as { eventId: string }).eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(stepTransitionsById(harness.events(), idOf('e', 1))).toEqual({
      [idOf('s', 1)]: ['null>InProgress', 'InProgress>Success'],
      [idOf('s', 2)]: ['Pending>InProgress', 'InProgress>Success'],
      // Started and ended between the two hinted reads (12 s, 32 s): one transition.
      [idOf('s', 3)]: ['Pending>Success'],
    });
    expect(executionTransitionsOf(harness.events(), idOf('e', 2))).toEqual([
      'null>InProgress',
      'InProgress>Failed',
    ]);
  });

  it('drops a hint for another shard without asking SSM', async () => {
    // Prepare
    quietLogs();
    harness = await twoRuns({ delaySeconds: [0, 0] });
    const take = nativeEventsOf(harness);
    const handle = hintHandlerOn(harness);
    harness.at(12);
    const hints = take();
    harness.stack.ssm.resetCallCounts();

    // Act
    const response = await handle(batchOf(fromAccount('111122223333', hints)), context);

    // Assess
    expect(hints.length).toBeGreaterThan(0);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(harness.stack.ssm.callCounts()).toEqual({});
    expect(harness.events()).toEqual([]);
  });

  it('returns the shard’s records while the scheduled cycle holds the lease, and acknowledges the malformed', async () => {
    // Prepare: the scheduled cycle took the lease at 10 s until its timeout at 65 s and is still running.
    quietLogs();
    harness = await twoRuns({ delaySeconds: [0, 0] });
    const take = nativeEventsOf(harness);
    const handle = hintHandlerOn(harness, { leaseWaitMs: 5000 });
    harness.at(1);
    await harness.cycle();
    await holdLeaseUntil(harness, T0 + 65_000);
    harness.at(12);
    const bodies = [...bodiesOf(take()), 'not an event'];
    const before = harness.events().length;
    harness.stack.ssm.resetCallCounts();

    // Act
    const response = await handle(batchOf(bodies), context);

    // Assess: the wait (5 s of virtual time) ended with the lease still held.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      bodies.slice(0, -1).map((_, i) => `m-${i}`),
    );
    expect(harness.now()).toBe(T0 + 17_000);
    expect(harness.stack.ssm.callCounts()).toEqual({});
    expect(harness.events()).toHaveLength(before);
  });

  it('takes the lease once the scheduled cycle releases it within the wait', async () => {
    // Prepare: the scheduled cycle's lease ends at 14 s; the hint comes at 12 s and waits up to 5 s.
    quietLogs();
    harness = await twoRuns({ delaySeconds: [0, 0] });
    const take = nativeEventsOf(harness);
    const handle = hintHandlerOn(harness, { leaseWaitMs: 5000 });
    harness.at(1);
    await harness.cycle();
    await holdLeaseUntil(harness, T0 + 14_000);
    harness.at(12);
    const before = harness.events().length;

    // Act
    const response = await handle(batchOf(bodiesOf(take())), context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(harness.now()).toBe(T0 + 14_000);
    expect(harness.events().length).toBeGreaterThan(before);
  });

  it('keeps each step’s statuses in order while hinted and scheduled cycles interleave under lossy, late, repeated hints', async () => {
    // Prepare: four runs; hints 0–20 s late, 10% lost, 30% twice, some malformed and some for another
    // account; a scheduled cycle every 60 s, now and then at the same moment as a hint batch.
    quietLogs();
    harness = await startHarness(
      [
        execution(
          1,
          [
            [0, 'InProgress'],
            [42, 'Success'],
          ],
          sequentialSteps(1, 6, 0, 7),
        ),
        execution(
          2,
          [
            [20, 'InProgress'],
            [59, 'Failed'],
          ],
          [
            step(21, [
              [20, 'InProgress'],
              [33, 'Success'],
            ]),
            step(22, [
              [33, 'InProgress'],
              [46, 'Success'],
            ]),
            step(23, [
              [46, 'InProgress'],
              [59, 'Failed'],
            ]),
          ],
        ),
        execution(
          3,
          [
            [65, 'InProgress'],
            [85, 'Success'],
          ],
          sequentialSteps(31, 4, 65, 5),
        ),
        execution(
          4,
          [
            [100, 'InProgress'],
            [140, 'Success'],
          ],
          sequentialSteps(41, 8, 100, 5),
        ),
      ],
      { behaviour: {}, nativeEvents: { delaySeconds: [0, 20], lossRate: 0.1, duplicateRate: 0.3, seed: 7 } },
    );
    const h = harness;
    const take = nativeEventsOf(h);
    const handle = hintHandlerOn(h, { leaseWaitMs: 0, schedulePeriodSeconds: 60 });
    let redeliver: { at: number; bodies: string[] }[] = [];
    let message = 0;
    const failures: string[] = [];
    let sentByHints = 0;
    let readFromInbox = 0;

    // Act
    for (let t = 1; t <= 200; t++) {
      h.at(t);
      const due = redeliver.filter((r) => r.at <= t);
      redeliver = redeliver.filter((r) => r.at > t);
      const delivered = take();
      const bodies = [
        ...bodiesOf(delivered),
        ...fromAccount('111122223333', delivered.slice(0, 1)),
        ...due.flatMap((r) => r.bodies),
        ...(t % 17 === 0 ? ['{"detail-type":"EC2 Automation Step Status-change Notification"}'] : []),
      ];
      const batch = batchOf(bodies, message);
      message += bodies.length;
      const hinted = bodies.length > 0 && t % 2 === 0 ? handle(batch, context) : undefined;
      const scheduled = t % 60 === 0 ? h.cycle({ leaseUntil: h.now() + 55_000 }) : undefined;
      const before = h.events().length;
      const [response, summary] = await Promise.all([hinted, scheduled]);
      readFromInbox += summary?.inboxExecutions ?? 0;
      if (hinted && !scheduled) sentByHints += h.events().length - before;
      if (!hinted && bodies.length > 0) redeliver.push({ at: t + 1, bodies });
      if (response && response.batchItemFailures.length > 0) {
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        failures.push(...failed);
        redeliver.push({
          at: t + 30,
          bodies: batch.Records.filter((r) => failed.has(r.messageId)).map((r) => r.body),
        });
      }
    }
    h.at(260);
    await h.cycle({ leaseUntil: h.now() + 55_000 });

    // Assess: hints did the sending mostly, and some met the scheduled cycle's lease or turn (handed
    // to it through the hint inbox, or returned).
    const events = h.events();
    expect(sentByHints).toBeGreaterThan(events.length / 2);
    expect(failures.length + readFromInbox).toBeGreaterThan(0);
    const ids = events.map((e) => (e.detail as { eventId: string }).eventId);
    expect(new Set(ids).size).toBe(ids.length);
    const truth = h.stack.ssm.groundTruth();
    for (const run of [1, 2, 3, 4]) {
      const executionId = idOf('e', run);
      expectChainOf(
        executionTransitionsOf(events, executionId),
        truth
          .filter((e) => e.kind === 'execution' && e.executionId === executionId)
          .flatMap((e) => e.status ?? []),
      );
      const byStep = stepTransitionsById(events, executionId);
      const steps = h.stack.ssm.scenario.executions.find((e) => e.id === executionId)?.steps ?? [];
      expect(Object.keys(byStep).sort()).toEqual(steps.map((s) => s.id).sort());
      for (const { id } of steps) {
        expectChainOf(
          byStep[id] ?? [],
          truth.filter((e) => e.kind === 'step' && e.stepExecutionId === id).flatMap((e) => e.status ?? []),
        );
      }
    }
    expect(events.flatMap((e) => schemaErrors(e.detailType, e.detail))).toEqual([]);
  });
});

/**
 * One step's (or execution's) events in order form a chain: each starts where the one before ended
 * (the first from null or Pending), visits SSM's statuses in SSM's order, skipping only those that
 * began and ended between two reads, and ends where SSM ended.
 */
function expectChainOf(transitions: readonly string[], truth: readonly string[]): void {
  const pairs = transitions.map((t) => t.split('>') as [string, string]);
  expect(pairs.length).toBeGreaterThan(0);
  expect(['null', 'Pending']).toContain(pairs[0]?.[0]);
  pairs.slice(1).forEach(([previous], i) => {
    expect(previous).toBe(pairs[i]?.[1]);
  });
  let cursor = 0;
  for (const [, status] of pairs) {
    const at = truth.indexOf(status, cursor);
    expect(
      at,
      `${status} after ${truth.slice(0, cursor).join('>')} in ${truth.join('>')}`,
    ).toBeGreaterThanOrEqual(0);
    cursor = at + 1;
  }
  expect(pairs.at(-1)?.[1]).toBe(truth.at(-1));
}
