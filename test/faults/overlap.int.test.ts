// Over the wire: two pollers of one shard overlapping in time, and the lease that keeps per-step order.
import { afterEach, describe, expect, it } from 'vitest';
import type { PollCycleDeps } from '../../lambda/core/ports';
import { runPollCycle } from '../../lambda/cycle/poll-cycle';
import { createPoller, type Poller } from '../../lambda/runtime/poller';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../sandbox/local-stack';
import { execution, type Harness, startHarness, step, transitionsOf } from '../helpers/harness';
import { crashAfterSideEffects, interceptPorts, ProcessCrash } from './fault-layer';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** A second poller on the harness's table and bus, with its own view of the clock. */
function rivalOf(h: Harness): Poller {
  return createPoller(
    {
      tableName: h.stack.tableName,
      eventBusName: 'test-bus',
      eventSource: 'ssm-step-watch',
      historyRetentionDays: 30,
      maxEntryBytes: 262_144,
      ssmDescribeTps: 1000,
    },
    { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
    { clients: h.stack.clients, timer: { now: () => h.now(), sleep: async () => {} } },
  );
}

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Opens `gate` once the port method `method` has settled. */
function opensAfter(deps: PollCycleDeps, method: string, opened: { open: () => void }): PollCycleDeps {
  return interceptPorts(deps, async (call, proceed) => {
    try {
      return await proceed();
    } finally {
      if (call.method === method) opened.open();
    }
  });
}

/** Holds the port method `method` until `gate` opens. */
function holdsUntil(deps: PollCycleDeps, method: string, held: { promise: Promise<void> }): PollCycleDeps {
  return interceptPorts(deps, async (call, proceed) => {
    if (call.method === method) await held.promise;
    return proceed();
  });
}

describe('Function: runPollCycle with two pollers of one shard', () => {
  it('keeps per-step order when a rival starts between the first poller reading a step and sending it', async () => {
    // Prepare: the step is InProgress when the first poller reads it, Success when the rival could.
    harness = await startHarness([
      execution(
        1,
        [[0, 'InProgress']],
        [
          step(1, [
            [0, 'InProgress'],
            [10, 'Success'],
          ]),
        ],
      ),
    ]);
    const h = harness;
    const rival = rivalOf(h);
    const firstRead = gate();
    const rivalListedPending = gate();
    const firstSaved = gate();
    h.at(1);
    // The first poller records only after the rival listed the outbox, and dies right after saving
    // its snapshot: the rival would diff against that snapshot while the InProgress event is unsent.
    const crashing = crashAfterSideEffects(h.poller.deps, 3);
    const first = runPollCycle(
      opensAfter(holdsUntil(crashing.deps, 'recordEvents', rivalListedPending), 'readStepPage', firstRead),
      { ...h.poller.options, leaseUntil: h.now() + 60_000 },
    ).catch((error: unknown) => {
      firstSaved.open();
      return error;
    });
    await firstRead.promise;
    h.at(15);

    // Act
    const rivalSummary = await runPollCycle(
      holdsUntil(opensAfter(rival.deps, 'listPending', rivalListedPending), 'loadExecution', firstSaved),
      { ...rival.options, leaseUntil: h.now() + 60_000 },
    ).finally(() => rivalListedPending.open());
    const firstOutcome = await first;
    h.at(90);
    await runPollCycle(h.poller.deps, { ...h.poller.options, leaseUntil: h.now() + 60_000 });

    // Assess
    expect(firstOutcome).toBeInstanceOf(ProcessCrash);
    expect(rivalSummary.leaseHeldElsewhere).toBe(true);
    expect(transitionsOf(h.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
      'step:0001:InProgress>Success',
    ]);
  });

  it('stands down while another poller holds the lease, and takes it once the holder is gone', async () => {
    harness = await startHarness([execution(1, [[0, 'InProgress']], [step(1, [[0, 'InProgress']])])]);
    const h = harness;
    h.at(1);
    const leased = (seconds: number) => ({ ...h.poller.options, leaseUntil: h.now() + seconds * 1000 });
    // The holder dies after recording, before it sends or releases the lease.
    const dying = crashAfterSideEffects(h.poller.deps, 2);
    await expect(runPollCycle(dying.deps, leased(30))).rejects.toBeInstanceOf(ProcessCrash);

    h.at(20);
    const during = await runPollCycle(h.poller.deps, leased(30));
    h.at(40);
    const afterExpiry = await runPollCycle(h.poller.deps, leased(30));

    expect(during).toMatchObject({ leaseHeldElsewhere: true, complete: false, eventsEmitted: 0 });
    expect(afterExpiry).toMatchObject({ leaseHeldElsewhere: false, complete: true });
    expect(transitionsOf(h.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
    ]);
    expect((await h.poller.deps.store.loadPollerState(h.poller.options.shard)).leaseUntil).toBeNull();
  });

  it('lets exactly one of two pollers that find the lease free at once take it', async () => {
    harness = await startHarness([execution(1, [[0, 'InProgress']], [step(1, [[0, 'InProgress']])])]);
    const h = harness;
    const rival = rivalOf(h);
    h.at(1);
    const options = { ...h.poller.options, leaseUntil: h.now() + 30_000 };

    const summaries = await Promise.all([
      runPollCycle(h.poller.deps, options),
      runPollCycle(rival.deps, { ...rival.options, leaseUntil: options.leaseUntil }),
    ]);

    expect(summaries.map((s) => s.leaseHeldElsewhere).sort()).toEqual([false, true]);
    expect(transitionsOf(h.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
    ]);
  });
});
