// Tests of the sandbox hint queue: batching window, batch size, redelivery, SQS and Lambda shapes, the pump.
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandbox/errors';
import { HintPump, HintQueue, lambdaContext } from '../../sandbox/hint-queue';
import type { NativeEvent } from '../../sandbox/native-events';

const T0 = Date.parse('2026-11-25T14:00:00Z');

/** A native event about execution `n`, changed at `changedSeconds`, delivered at `deliverSeconds`. */
function native(n: number, changedSeconds: number, deliverSeconds: number): NativeEvent {
  return {
    changedAt: T0 + changedSeconds * 1000,
    deliverAt: T0 + deliverSeconds * 1000,
    event: {
      source: 'aws.ssm',
      'detail-type': 'EC2 Automation Step Status-change Notification',
      detail: { ExecutionId: `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}` },
    },
  };
}

const at = (seconds: number): number => T0 + seconds * 1000;
const idsOf = (event: SQSEvent): string[] =>
  event.Records.map((r) =>
    (JSON.parse(r.body) as { detail: { ExecutionId: string } }).detail.ExecutionId.slice(-2),
  );

describe('Class: HintQueue', () => {
  it('holds a message until it is delivered, then a batch until the batching window passed', () => {
    // Prepare
    const queue = new HintQueue({ batchingWindowMs: 1000 });
    queue.push([native(1, 0, 2), native(2, 1, 2.5)]);

    // Act & Assess
    expect(queue.readyAt(at(1.9))).toBeUndefined();
    expect(queue.readyAt(at(2))).toBe(at(3));
    expect(queue.take(at(2.9))).toBeUndefined();
    const batch = queue.take(at(3));
    expect(batch && idsOf(batch.event)).toEqual(['01', '02']);
    expect(batch?.messages.map((m) => m.changedAt)).toEqual([at(0), at(1)]);
    expect(queue.size).toBe(0);
    expect(queue.take(at(10))).toBeUndefined();
  });

  it('hands a full batch at once, oldest first, and keeps the rest for the next', () => {
    // Prepare
    const queue = new HintQueue({ batchingWindowMs: 5000, batchSize: 3 });
    queue.push([native(4, 0, 0.4), native(1, 0, 0.1), native(3, 0, 0.3), native(2, 0, 0.2)]);

    // Act
    const before = [queue.readyAt(at(0.2)), queue.readyAt(at(0.3))];
    const first = queue.take(at(0.4));
    const second = queue.take(at(0.4));

    // Assess: two visible messages wait their window; the third fills the batch at 0.3 s; the
    // fourth then waits its own window.
    expect(before).toEqual([at(5.1), at(0.3)]);
    expect(first && idsOf(first.event)).toEqual(['01', '02', '03']);
    expect(second).toBeUndefined();
    expect(queue.readyAt(at(0.4))).toBe(at(5.4));
  });

  it('deletes the handled records and brings the failed ones back after the visibility timeout', () => {
    // Prepare
    const queue = new HintQueue({ batchingWindowMs: 0, visibilityTimeoutMs: 30_000 });
    queue.push([native(1, 0, 1), native(2, 0, 1), native(3, 0, 1)]);
    const batch = queue.take(at(1));
    if (batch === undefined) throw new Error('no batch');
    const failedId = batch.messages[1]?.messageId ?? '';

    // Act
    const back = queue.settle(batch, { batchItemFailures: [{ itemIdentifier: failedId }] }, at(2));

    // Assess
    expect(back.map((m) => [m.messageId, m.visibleAt, m.receives])).toEqual([[failedId, at(32), 1]]);
    expect(queue.take(at(31.9))).toBeUndefined();
    const again = queue.take(at(32));
    expect(again?.event.Records.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount])).toEqual([
      [failedId, '2'],
    ]);
    if (again === undefined) throw new Error('no batch');
    expect(queue.settle(again, 'failed', at(33)).map((m) => m.receives)).toEqual([2]);
  });

  it('shapes each record as SQS hands it to Lambda, the whole event as its body', () => {
    const queue = new HintQueue({ batchingWindowMs: 0, account: '111122223333', region: 'eu-west-1' });
    const event = native(7, 0, 1);
    queue.push([event]);
    const record = queue.take(at(1))?.event.Records[0];
    expect(record).toEqual({
      messageId: 'hint-1',
      receiptHandle: 'hint-1/1',
      body: JSON.stringify(event.event),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(at(1)),
        SenderId: 'events.amazonaws.com',
        ApproximateFirstReceiveTimestamp: String(at(1)),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:step-watch-hints',
      awsRegion: 'eu-west-1',
    });
  });

  it.each([
    [{ batchSize: 0 }, 'batchSize must be an integer from 1 to 10000 (got 0).'],
    [{ batchingWindowMs: -1 }, 'batchingWindowMs must be >= 0.'],
    [{ visibilityTimeoutMs: -5 }, 'visibilityTimeoutMs must be >= 0.'],
  ])('rejects %j with a SandboxError', (options, message) => {
    expect(() => new HintQueue(options)).toThrow(new SandboxError(message));
  });
});

describe('Function: lambdaContext', () => {
  it('counts the remaining time down on the given clock, from the invocation', () => {
    let now = at(0);
    const context = lambdaContext({
      functionName: 'hints',
      account: '111122223333',
      region: 'eu-west-1',
      timeoutMs: 30_000,
      invokedAt: at(0),
      clock: () => now,
      requestId: 'r-1',
    });
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:eu-west-1:111122223333:function:hints');
    expect(context.getRemainingTimeInMillis()).toBe(30_000);
    now = at(12.5);
    expect(context.getRemainingTimeInMillis()).toBe(17_500);
    now = at(45);
    expect(context.getRemainingTimeInMillis()).toBe(0);
    expect(() => context.succeed('x')).toThrow(SandboxError);
  });
});

describe('Class: HintPump', () => {
  /** A native event source whose events are all known up front. */
  const sourceOf = (events: NativeEvent[]) => ({
    takeNativeEvents: (now: number) => {
      const due = events.filter((e) => e.deliverAt <= now);
      events.splice(0, events.length, ...events.filter((e) => e.deliverAt > now));
      return due;
    },
  });

  it('invokes the handler once per ready batch and requeues what it returns as failures', async () => {
    // Prepare: the handler fails every record about execution 02.
    let now = at(0);
    const seen: { ids: string[]; remaining: number }[] = [];
    const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
      seen.push({ ids: idsOf(event), remaining: context.getRemainingTimeInMillis() });
      return {
        batchItemFailures: event.Records.filter((r) => r.body.includes('000000000002')).map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    };
    const pump = new HintPump({
      source: sourceOf([native(1, 0, 0.5), native(2, 0, 0.7), native(3, 2, 4)]),
      handler,
      clock: () => now,
      queue: { batchingWindowMs: 1000, visibilityTimeoutMs: 10_000 },
      timeoutMs: 20_000,
    });

    // Act
    const results = [];
    for (const seconds of [1, 2, 3, 5, 12, 13]) {
      now = at(seconds);
      results.push(await pump.pump());
    }

    // Assess
    expect(results).toEqual([
      { batches: 0, records: 0, redelivered: 0 },
      { batches: 1, records: 2, redelivered: 1 },
      { batches: 0, records: 0, redelivered: 0 },
      { batches: 1, records: 1, redelivered: 0 },
      { batches: 0, records: 0, redelivered: 0 },
      { batches: 1, records: 1, redelivered: 1 },
    ]);
    expect(seen).toEqual([
      { ids: ['01', '02'], remaining: 20_000 },
      { ids: ['03'], remaining: 20_000 },
      { ids: ['02'], remaining: 20_000 },
    ]);
  });

  it('gives a batch whose handler threw back whole', async () => {
    let now = at(0);
    const pump = new HintPump({
      source: sourceOf([native(1, 0, 0), native(2, 0, 0)]),
      handler: async () => {
        throw new Error('boom');
      },
      clock: () => now,
      queue: { batchingWindowMs: 0, visibilityTimeoutMs: 1000 },
    });
    expect(await pump.pump()).toEqual({ batches: 1, records: 2, redelivered: 2 });
    expect(pump.queue.size).toBe(2);
    now = at(1);
    expect(await pump.pump()).toEqual({ batches: 1, records: 2, redelivered: 2 });
  });
});
