// Over the wire: executions handed through the hint inbox to the cycle holding the shard lease, on dynalite.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoHintInbox, INBOX_LIMIT } from '../../lambda/adapters/dynamodb/hint-inbox';
import { KEYS } from '../../lambda/adapters/dynamodb/schema';
import {
  execution,
  type Harness,
  idOf,
  sequentialSteps,
  startHarness,
  transitionsOf,
} from '../helpers/harness';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** Four runs of two 20 s steps, a scheduled cycle at 5 s that saw their first steps start. */
async function fourRuns(): Promise<Harness> {
  const h = await startHarness(
    Array.from({ length: 4 }, (_, i) =>
      execution(i + 1, [[0, 'InProgress']], sequentialSteps(10 * (i + 1), 2, 0, 20)),
    ),
    { behaviour: {} },
  );
  h.at(5);
  await h.cycle({ leaseUntil: h.now() + 55_000 });
  return h;
}

function inboxOf(h: Harness): DynamoHintInbox {
  return new DynamoHintInbox({ tableName: h.stack.tableName, client: h.stack.clients.dynamodb });
}

describe('Class: DynamoHintInbox', () => {
  it('takes hand-offs only while open, gives each id once, and closes only when empty', async () => {
    // Prepare
    harness = await fourRuns();
    const inbox = inboxOf(harness);
    const shard = harness.poller.options.shard;
    const now = harness.now();

    // Act
    const whileClosed = await inbox.handOff(shard, [idOf('e', 1)], now);
    await inbox.open(shard, now + 10_000);
    const whileOpen = await inbox.handOff(shard, [idOf('e', 2), idOf('e', 3)], now);
    const afterItsEnd = await inbox.handOff(shard, [idOf('e', 4)], now + 10_000);
    const closedWithIds = await inbox.close(shard);
    const taken = await inbox.take(shard);
    const takenAgain = await inbox.take(shard);
    const closedEmpty = await inbox.close(shard);

    // Assess
    expect([whileClosed, whileOpen, afterItsEnd]).toEqual([false, true, false]);
    expect(closedWithIds).toBe(false);
    expect(taken).toEqual([idOf('e', 2), idOf('e', 3)]);
    expect(takenAgain).toEqual([]);
    expect(closedEmpty).toBe(true);
    expect(await inbox.handOff(shard, [idOf('e', 1)], now)).toBe(false);
  });

  it('keeps parked ids for the next holder, and a forced close leaves them there', async () => {
    // Prepare
    harness = await fourRuns();
    const inbox = inboxOf(harness);
    const shard = harness.poller.options.shard;
    await inbox.park(shard, [idOf('e', 4)]);
    await inbox.open(shard, harness.now() + 10_000);

    // Act
    await inbox.forceClose(shard);
    const handedWhileClosed = await inbox.handOff(shard, [idOf('e', 1)], harness.now());
    const taken = await inbox.take(shard);

    // Assess
    expect(handedWhileClosed).toBe(false);
    expect(taken).toEqual([idOf('e', 4)]);
  });

  it('holds at most INBOX_LIMIT ids (plus one batch): a full inbox refuses hand-offs and parks nothing', async () => {
    // Prepare: the inbox filled to its limit, a hundred ids a call, as hint batches come.
    harness = await fourRuns();
    const inbox = inboxOf(harness);
    const shard = harness.poller.options.shard;
    const now = harness.now();
    await inbox.open(shard, now + 60_000);
    for (let i = 0; i < INBOX_LIMIT; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => idOf('e', 10_000 + i + j));
      expect(await inbox.handOff(shard, batch, now)).toBe(true);
    }

    // Act
    const handedWhenFull = await inbox.handOff(shard, [idOf('e', 1)], now);
    await inbox.park(shard, [idOf('e', 2)]);
    const item = await harness.stack.clients.dynamodb.send(
      new GetItemCommand({
        TableName: harness.stack.tableName,
        Key: { pk: { S: KEYS.poller(shard) }, sk: { S: KEYS.hintInbox } },
      }),
    );
    const taken = await inbox.take(shard);

    // Assess
    expect(handedWhenFull).toBe(false);
    expect(item.Item?.ids?.SS).toHaveLength(INBOX_LIMIT);
    expect(taken).toHaveLength(INBOX_LIMIT);
    expect(taken).not.toContain(idOf('e', 1));
    expect(taken).not.toContain(idOf('e', 2));
    expect(await inbox.handOff(shard, [idOf('e', 1)], now)).toBe(true);
  });
});

describe('Function: runPollCycle with the hint inbox, over the wire', () => {
  it('hands a targeted cycle’s executions to the holder of the lease with its inbox open, without reading SSM', async () => {
    // Prepare: a cycle holds the lease and has its inbox open until 60 s.
    harness = await fourRuns();
    const shard = harness.poller.options.shard;
    const store = harness.poller.deps.store;
    const state = await store.loadPollerState(shard);
    await store.savePollerState(
      shard,
      { ...state, leaseUntil: new Date(harness.now() + 60_000).toISOString() },
      state,
    );
    const inbox = inboxOf(harness);
    await inbox.open(shard, harness.now() + 60_000);
    harness.at(25);
    harness.stack.ssm.resetCallCounts();
    const before = harness.events().length;

    // Act
    const summary = await harness.cycle({ executionIds: [idOf('e', 2)], leaseUntil: harness.now() + 30_000 });

    // Assess
    expect(summary).toMatchObject({ handedOff: true, leaseHeldElsewhere: true, executionsPolled: 0 });
    expect(harness.stack.ssm.callCounts()).toEqual({});
    expect(harness.events()).toHaveLength(before);
    expect(await inbox.take(shard)).toEqual([idOf('e', 2)]);
  });

  it('parks them for the scheduled cycle on its turn, which reads them first and closes its inbox', async () => {
    // Prepare: the scheduled cycle (started at 5 s, period 60 s) is due at 65 s; a hint comes at 62 s.
    harness = await fourRuns();
    const shard = harness.poller.options.shard;
    harness.at(62);
    const hinted = await harness.cycle({
      executionIds: [idOf('e', 3)],
      leaseUntil: harness.now() + 30_000,
      schedulePeriodSeconds: 60,
    });
    harness.at(65);
    const before = harness.events().length;

    // Act
    const scheduled = await harness.cycle({ leaseUntil: harness.now() + 55_000 });

    // Assess: parked, then read first by the scheduled cycle, before the others, once; the inbox is closed.
    expect(hinted).toMatchObject({ handedOff: true, executionsPolled: 0 });
    expect(scheduled).toMatchObject({ inboxExecutions: 1, executionsPolled: 4, complete: true });
    const fresh = harness.events().slice(before);
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.map((e) => (e.detail as { executionId: string }).executionId)[0]).toBe(idOf('e', 3));
    expect(await inboxOf(harness).handOff(shard, [idOf('e', 1)], harness.now())).toBe(false);
  });
});

describe('Function: runPollCycle reading what hints hand over, over the wire', () => {
  it('reads an execution handed over while its queue runs next, not in its place', async () => {
    // Prepare: a hint reader hands the fourth run over while the scheduled cycle serves the first.
    harness = await fourRuns();
    const h = harness;
    const store = h.poller.deps.store;
    const load = store.loadExecution.bind(store);
    store.loadExecution = async (executionId) => {
      if (executionId === idOf('e', 1)) {
        await inboxOf(h).handOff(h.poller.options.shard, [idOf('e', 4)], h.now());
        h.at(67); // the holder looks into its inbox once a second
      }
      return load(executionId);
    };
    h.at(65);
    const before = h.events().length;

    // Act
    const summary = await h.cycle({ leaseUntil: h.now() + 55_000 });

    // Assess: the first run, then the hinted one, then the rest; each once.
    const order = [
      ...new Set(
        h
          .events()
          .slice(before)
          .map((e) => (e.detail as { executionId: string }).executionId),
      ),
    ];
    expect(order).toEqual([idOf('e', 1), idOf('e', 4), idOf('e', 2), idOf('e', 3)]);
    expect(summary).toMatchObject({ inboxExecutions: 1, executionsPolled: 4 });
  });
});

describe('Function: runPollCycle handing hints back, over the wire', () => {
  it('leaves the hinted executions a targeted cycle could not read in the inbox for the next holder', async () => {
    // Prepare
    harness = await fourRuns();
    const shard = harness.poller.options.shard;
    harness.at(25);

    // Act: time for one execution of the two hinted.
    const summary = await harness.cycle({
      executionIds: [idOf('e', 2), idOf('e', 4)],
      leaseUntil: harness.now() + 30_000,
      maxExecutions: 1,
    });

    // Assess: one read; the other waits in the (closed) inbox, where the next holder takes it first.
    expect(summary).toMatchObject({ executionsPolled: 1, executionsDeferred: 1 });
    expect(await inboxOf(harness).handOff(shard, [idOf('e', 1)], harness.now())).toBe(false);
    expect(await inboxOf(harness).take(shard)).toEqual([idOf('e', 4)]);
  });
});

describe('Function: createPoller with hints off', () => {
  it('runs its cycles without opening or reading the hint inbox', async () => {
    // Prepare
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(10, 2, 0, 20))], {
      behaviour: {},
      config: { hints: false },
    });

    // Act
    harness.at(5);
    await harness.cycle({ leaseUntil: harness.now() + 55_000 });
    harness.at(65);
    await harness.cycle({ leaseUntil: harness.now() + 55_000 });

    // Assess: the events went out, and the table holds no inbox item for the shard
    expect(transitionsOf(harness.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0010:null>InProgress',
      'step:0010:InProgress>Success',
      'step:0011:Pending>Success',
    ]);
    expect(harness.poller.deps.inbox).toBeUndefined();
    const item = await harness.stack.clients.dynamodb.send(
      new GetItemCommand({
        TableName: harness.stack.tableName,
        Key: { pk: { S: KEYS.poller(harness.poller.options.shard) }, sk: { S: KEYS.hintInbox } },
        ConsistentRead: true,
      }),
    );
    expect(item.Item).toBeUndefined();
  });
});

describe('Function: runPollCycle with the hint inbox', () => {
  it('closes the inbox when the cycle fails, so no hint reader hands ids to a cycle that is gone', async () => {
    // Prepare: the store fails while the cycle reads
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(10, 2, 0, 20))], {
      behaviour: {},
    });
    const store = harness.poller.deps.store;
    store.saveExecution = async () => {
      throw new Error('DynamoDB is down');
    };
    harness.at(5);

    // Act
    const cycle = harness.cycle({ leaseUntil: harness.now() + 55_000 });

    // Assess
    await expect(cycle).rejects.toThrow('DynamoDB is down');
    expect(await inboxOf(harness).handOff(harness.poller.options.shard, [idOf('e', 1)], harness.now())).toBe(
      false,
    );
  });
});

describe('Function: runPollCycle opening the hint inbox', () => {
  it('takes hand-offs from the moment it holds the lease, before it resends and discovers', async () => {
    // Prepare: a hint reader hands an execution over while the cycle lists its pending events.
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(10, 2, 0, 20))], {
      behaviour: {},
    });
    const h = harness;
    const store = h.poller.deps.store;
    const listPending = store.listPending.bind(store);
    let handedOff: boolean | undefined;
    store.listPending = async (shard) => {
      handedOff = await inboxOf(h).handOff(shard, [idOf('e', 1)], h.now());
      return listPending(shard);
    };
    h.at(5);

    // Act
    const summary = await h.cycle({ leaseUntil: h.now() + 55_000 });

    // Assess
    expect(handedOff).toBe(true);
    expect(summary.inboxExecutions).toBe(1);
    expect(transitionsOf(h.events())).toContain('execution:0001:null>InProgress');
  });
});
