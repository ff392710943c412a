// Over the wire: the poll handler with BACKFILL_DAYS records what SSM remembers after its scheduled cycle, publishes none of it, and stops once done.
import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoHistoryReader } from '../../lambda/adapters/dynamodb/history-reader';
import { DynamoSnapshotStore } from '../../lambda/adapters/dynamodb/snapshot-store';
import { backfillShard } from '../../lambda/cycle/backfill';
import { createHandler, type PollHandler } from '../../lambda/handlers/poll';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../sandbox/local-stack';
import { execution, type Harness, idOf, sequentialSteps, startHarness, T0 } from '../helpers/harness';
import { captureStdio } from '../helpers/stdio';

const SHARD = `${LOCAL_ACCOUNT}#${LOCAL_REGION}`;
const DAY = 86_400;
/** Where the clock stands at the first invocation: 15 days after the scenario's start. */
const NOW = 15 * DAY;

const context = {
  functionName: 'poll',
  invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:poll`,
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 55_000,
} as unknown as Context;

/**
 * Ended runs of two 10 s steps: 14, 5, 3 and 2 days before {@link NOW} (e1 to e4). A 10-day backfill
 * reaches e2 to e4; e1 is older.
 */
const ENDED_RUNS = [1, 10, 12, 13].map((day, i) =>
  execution(
    i + 1,
    [
      [day * DAY, 'InProgress'],
      [day * DAY + 20, 'Success'],
    ],
    sequentialSteps(10 * (i + 1), 2, day * DAY, 10),
  ),
);
const IN_REACH = [2, 3, 4].map((n) => idOf('e', n));

let harness: Harness | undefined;
let output: string[] = [];

beforeEach(() => {
  output = [];
  // Powertools writes JSON lines to stdout and stderr: kept for the assertions, out of the report.
  captureStdio(output);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await harness?.stop();
  harness = undefined;
});

/** The poll handler on the harness's stack and virtual clock, with `env` on top of its table and bus. */
function pollHandlerOn(h: Harness, env: Record<string, string> = {}): PollHandler {
  return createHandler({
    env: {
      TABLE_NAME: h.stack.tableName,
      EVENT_BUS_NAME: 'test-bus',
      AWS_REGION: LOCAL_REGION,
      SSM_DESCRIBE_TPS: '1000',
      ...env,
    },
    clients: h.stack.clients,
    timer: { now: () => h.now(), sleep: async (ms) => h.at((h.now() + ms - T0) / 1000) },
  });
}

/** The JSON lines logged since `from` with this message. */
function logged(message: string, from = 0): Record<string, unknown>[] {
  return output
    .slice(from)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === message);
}

/** How many transitions the table holds for each execution. */
async function recordedPerExecution(h: Harness): Promise<Record<string, number>> {
  const reader = new DynamoHistoryReader({ tableName: h.stack.tableName, client: h.stack.clients.dynamodb });
  const counts: Record<string, number> = {};
  for (const run of ENDED_RUNS) {
    let count = 0;
    for await (const _record of reader.transitions(run.id)) count++;
    counts[run.id] = count;
  }
  return counts;
}

describe('Function: createHandler (BACKFILL_DAYS)', () => {
  it('records the ended executions of the last BACKFILL_DAYS after its scheduled cycles, publishing none, until done', async () => {
    // Prepare
    harness = await startHarness(ENDED_RUNS);
    const h = harness;
    h.at(NOW);
    const handler = pollHandlerOn(h, { BACKFILL_DAYS: '10' });

    // Act: invocations a minute apart until the backfill says it is done
    const cycles: Record<string, unknown>[] = [];
    for (let i = 0; i < 5 && cycles.at(-1)?.done !== true; i++) {
      h.at(NOW + 60 * i);
      const result = await handler({}, context);
      expect(result).toMatchObject({ shard: SHARD, transitions: 0, complete: true });
      cycles.push(...logged('backfill cycle').slice(cycles.length));
    }

    // Assess: each execution in reach recorded once, with its execution and step transitions
    expect(cycles.at(-1)).toMatchObject({ level: 'INFO', shard: SHARD, done: true });
    for (const line of cycles) {
      expect(line).toEqual(
        expect.objectContaining({
          executionsPolled: expect.any(Number),
          transitions: expect.any(Number),
          readUntil: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          done: expect.any(Boolean),
        }),
      );
    }
    const counts = await recordedPerExecution(h);
    expect(counts).toEqual({ [idOf('e', 1)]: 0, ...Object.fromEntries(IN_REACH.map((id) => [id, 3])) });
    expect(cycles.reduce((sum, line) => sum + (line.transitions as number), 0)).toBe(9);
    expect(h.events()).toEqual([]);

    // Act: the next invocation, once done
    const before = output.length;
    h.at(NOW + 600);
    await handler({}, context);

    // Assess: nothing more read or logged
    expect(logged('backfill cycle', before)).toEqual([]);
    expect(logged('poll cycle finished', before)).toHaveLength(1);
    expect(await recordedPerExecution(h)).toEqual(counts);
    expect(h.events()).toEqual([]);
  });

  it('backfills nothing without BACKFILL_DAYS', async () => {
    // Prepare
    harness = await startHarness(ENDED_RUNS);
    const h = harness;
    h.at(NOW);
    const handler = pollHandlerOn(h);

    // Act
    await handler({}, context);
    h.at(NOW + 60);
    await handler({}, context);

    // Assess
    expect(logged('backfill cycle')).toEqual([]);
    expect(Object.values(await recordedPerExecution(h))).toEqual([0, 0, 0, 0]);
    const store = new DynamoSnapshotStore({ tableName: h.stack.tableName, client: h.stack.clients.dynamodb });
    expect((await store.loadPollerState(backfillShard(SHARD))).watermark).toBeNull();
    expect(h.events()).toEqual([]);
  });

  it('logs a failed backfill as a warning and still answers with the scheduled cycle', async () => {
    // Prepare: the table refuses to read the backfill's state, and only that
    harness = await startHarness(ENDED_RUNS);
    const h = harness;
    h.at(NOW);
    h.stack.clients.dynamodb.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === 'GetItemCommand' && JSON.stringify(args.input).includes('#backfill'))
          throw new Error('backfill state unreadable');
        return next(args);
      },
      { step: 'initialize', name: 'refuseBackfillState' },
    );
    const handler = pollHandlerOn(h, { BACKFILL_DAYS: '10' });

    // Act
    const result = await handler({}, context);

    // Assess
    expect(result).toMatchObject({ shard: SHARD, complete: true, leaseHeldElsewhere: false });
    expect(logged('backfill cycle')).toEqual([]);
    const [warning, ...more] = logged('backfill cycle failed; the next invocation tries again');
    expect(more).toEqual([]);
    expect(warning).toMatchObject({ level: 'WARN', shard: SHARD });
    expect(JSON.stringify(warning)).toMatch(/backfill state unreadable/);
    expect(Object.values(await recordedPerExecution(h))).toEqual([0, 0, 0, 0]);
  });

  it('leaves the backfill to a later invocation when the scheduled cycle leaves under 10 s', async () => {
    // Prepare: 19 s left, of which the reserve keeps 10
    harness = await startHarness(ENDED_RUNS);
    const h = harness;
    h.at(NOW);
    const handler = pollHandlerOn(h, { BACKFILL_DAYS: '10' });
    const short = { ...context, getRemainingTimeInMillis: () => 19_000 } as Context;

    // Act
    await handler({}, short);

    // Assess
    expect(logged('backfill cycle')).toEqual([]);
    expect(Object.values(await recordedPerExecution(h))).toEqual([0, 0, 0, 0]);

    // Act: the next invocation, with the usual time
    h.at(NOW + 60);
    await handler({}, context);

    // Assess
    expect(logged('backfill cycle')).toHaveLength(1);
  });

  it('runs the backfills of a batch of work items after every shard of the batch had its scheduled cycle', async () => {
    // Prepare: two shards (one simulator answers both regions), one work item each
    harness = await startHarness(ENDED_RUNS);
    const h = harness;
    h.at(NOW);
    const shards = [
      { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
      { account: LOCAL_ACCOUNT, region: 'eu-west-1' },
    ];
    // As deployed, the poll function knows the shard list the work items come from.
    const handler = pollHandlerOn(h, {
      BACKFILL_DAYS: '10',
      POLL_PERIOD_SECONDS: '60',
      SHARDS: JSON.stringify(shards),
    });
    const batch: SQSEvent = {
      Records: shards.map((shard, i) => ({
        messageId: `m-${i}`,
        receiptHandle: `r-${i}`,
        body: JSON.stringify({ shard, dispatchedAt: h.now() }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(h.now()),
          SenderId: 'sqs',
          ApproximateFirstReceiveTimestamp: String(h.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:work`,
        awsRegion: LOCAL_REGION,
      })),
    };

    // Act
    const response = await handler(batch, context);

    // Assess: both scheduled cycles, then both backfill cycles, each under its own shard
    expect(response).toEqual({ batchItemFailures: [] });
    const lines = output
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === 'poll cycle finished' || line.message === 'backfill cycle')
      .map((line) => `${line.message}:${line.shard}`);
    expect(lines).toEqual([
      `poll cycle finished:${SHARD}`,
      `poll cycle finished:${LOCAL_ACCOUNT}#eu-west-1`,
      `backfill cycle:${SHARD}`,
      `backfill cycle:${LOCAL_ACCOUNT}#eu-west-1`,
    ]);
    expect(h.events()).toEqual([]);
  });
});
