// Over the wire: targeted cycles (executionIds) against the documented SSM simulator and dynalite.
import type { DescribeAutomationExecutionsCommandInput } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  execution,
  type Harness,
  idOf,
  sequentialSteps,
  startHarness,
  step,
  transitionsOf,
} from '../helpers/harness';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** Records the filters of every DescribeAutomationExecutions call the poller's SSM client sends. */
function recordExecutionListings(h: Harness): string[] {
  const listings: string[] = [];
  h.stack.clients.ssm.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'DescribeAutomationExecutionsCommand') {
        const input = args.input as DescribeAutomationExecutionsCommandInput;
        listings.push(
          (input.Filters ?? []).map((filter) => `${filter.Key}:${filter.Values?.length ?? 0}`).join(' '),
        );
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordExecutionListings' },
  );
  return listings;
}

describe('Function: runPollCycle, targeted, over the wire', () => {
  it('reads the hinted executions by id, ten a call, and no other', async () => {
    // Prepare: twelve runs of two 20 s steps; a scheduled cycle has seen their first steps start.
    harness = await startHarness(
      Array.from({ length: 12 }, (_, i) =>
        execution(i + 1, [[0, 'InProgress']], sequentialSteps(10 * (i + 1), 2, 0, 20)),
      ),
      { behaviour: {} },
    );
    harness.at(5);
    await harness.cycle();
    const listings = recordExecutionListings(harness);
    const before = harness.events().length;
    const hinted = Array.from({ length: 11 }, (_, i) => idOf('e', i + 1));

    // Act
    harness.at(25);
    const summary = await harness.cycle({ executionIds: [...hinted, idOf('e', 1)] });

    // Assess
    expect(listings).toEqual(['ExecutionId:10', 'ExecutionId:1']);
    expect(summary).toMatchObject({ executionsSeen: 11, executionsPolled: 11, complete: true });
    const fresh = transitionsOf(harness.events().slice(before));
    expect(fresh).toHaveLength(22);
    expect(fresh.filter((t) => t.endsWith('InProgress>Success'))).toHaveLength(11);
    expect(fresh.filter((t) => /:(0012|0120|0121):/.test(t))).toEqual([]);
  });

  it('leaves the watermark, the cursor and lastCompleteAt to the scheduled cycle and releases its lease', async () => {
    // Prepare
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(1, 3, 0, 20))], {
      behaviour: {},
    });
    harness.at(5);
    await harness.cycle({ leaseUntil: harness.now() + 30_000 });
    const store = harness.poller.deps.store;
    const shard = harness.poller.options.shard;
    const before = await store.loadPollerState(shard);

    // Act
    harness.at(45);
    const summary = await harness.cycle({ executionIds: [idOf('e', 1)], leaseUntil: harness.now() + 30_000 });

    // Assess
    expect(summary).toMatchObject({ executionsPolled: 1, transitions: 3, leaseHeldElsewhere: false });
    expect(await store.loadPollerState(shard)).toMatchObject({
      watermark: before.watermark,
      cursor: before.cursor,
      lastCompleteAt: before.lastCompleteAt,
      leaseUntil: null,
      version: before.version + 2,
    });
  });

  it('stands down while a scheduled cycle holds the lease, then reads once it is free', async () => {
    // Prepare: a scheduled cycle took the lease and died; it runs until its timeout at 65 s.
    harness = await startHarness([execution(1, [[0, 'InProgress']], [step(1, [[0, 'InProgress']])])], {
      behaviour: {},
    });
    harness.at(5);
    await harness.cycle({ leaseUntil: harness.now() + 60_000 });
    const store = harness.poller.deps.store;
    const shard = harness.poller.options.shard;
    const state = await store.loadPollerState(shard);
    await store.savePollerState(
      shard,
      { ...state, leaseUntil: new Date(harness.now() + 60_000).toISOString() },
      state,
    );
    const events = harness.events().length;

    // Act
    harness.at(30);
    const held = await harness.cycle({ executionIds: [idOf('e', 1)], leaseUntil: harness.now() + 30_000 });
    harness.at(66);
    const free = await harness.cycle({ executionIds: [idOf('e', 1)], leaseUntil: harness.now() + 30_000 });

    // Assess
    expect(held).toMatchObject({ leaseHeldElsewhere: true, executionsPolled: 0 });
    expect(free).toMatchObject({ leaseHeldElsewhere: false, executionsPolled: 1 });
    expect(harness.events()).toHaveLength(events);
  });
});
