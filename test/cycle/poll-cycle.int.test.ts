// Over the wire: real SDK clients, the SSM simulator, the EventBridge recorder and dynalite.
import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotStore } from '../../lambda/core/ports';
import { DETAIL_TYPES } from '../../lambda/core/types';
import { runPollCycle } from '../../lambda/cycle/poll-cycle';
import { parseScenario } from '../../sandbox/scenario';
import {
  execution,
  type Harness,
  idOf,
  sequentialSteps,
  startHarness,
  step,
  transitionsOf,
} from '../helpers/harness';
import { schemaErrors } from '../helpers/schemas';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

function expectValidEvents(h: Harness): void {
  const errors = h.events().flatMap((e) => schemaErrors(e.detailType, e.detail));
  expect(errors).toEqual([]);
}

/** A store whose `method` throws `times` times, as if the process died there. */
function crashingStore(store: SnapshotStore, method: keyof SnapshotStore, times = 1): SnapshotStore {
  let left = times;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== method || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) => {
        if (left-- > 0) return Promise.reject(new Error(`injected crash in ${String(method)}`));
        return value.apply(target, args);
      };
    },
  });
}

describe('Function: runPollCycle over the wire', () => {
  it('emits every step and execution transition across several cycles', async () => {
    // Prepare
    harness = await startHarness([
      execution(
        1,
        [
          [0, 'InProgress'],
          [30, 'Success'],
        ],
        sequentialSteps(1, 3, 0, 10),
      ),
    ]);

    // Act
    for (const t of [1, 11, 21, 31]) {
      harness.at(t);
      await harness.cycle();
    }

    // Assess
    // Steps 2 and 3 were listed Pending before they started: their first event says so.
    expect(transitionsOf(harness.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
      'step:0001:InProgress>Success',
      'step:0002:Pending>InProgress',
      'step:0002:InProgress>Success',
      'step:0003:Pending>InProgress',
      'step:0003:InProgress>Success',
      'execution:0001:InProgress>Success',
    ]);
    expectValidEvents(harness);
  });

  it('carries every contract field with ISO times and the execution ARN as resource', async () => {
    harness = await startHarness([
      execution(
        1,
        [[0, 'InProgress']],
        [
          step(1, [[0, 'InProgress']], {
            onFailure: 'Abort',
            maxAttempts: 2,
            isCritical: true,
            inputs: { InstanceIds: '["i-1"]' },
          }),
        ],
        { documentName: 'AWS-RestartEC2Instance', documentVersion: '3' },
      ),
    ]);
    harness.at(1);
    await harness.cycle();

    const stepEvent = harness.events().find((e) => e.detailType === DETAIL_TYPES.step);
    expect(stepEvent?.source).toBe('ssm-step-watch');
    expect(stepEvent?.resources).toEqual([
      `arn:aws:ssm:us-east-1:123456789012:automation-execution/${idOf('e', 1)}`,
    ]);
    expect(stepEvent?.detail).toMatchObject({
      account: '123456789012',
      region: 'us-east-1',
      executionId: idOf('e', 1),
      documentName: 'AWS-RestartEC2Instance',
      documentVersion: '3',
      parentExecutionId: null,
      executionStatus: 'InProgress',
      observedAt: '2026-11-25T12:00:01.000Z',
      truncated: [],
      step: {
        stepExecutionId: idOf('s', 1),
        stepName: 'step1',
        action: 'aws:executeScript',
        previousStatus: null,
        status: 'InProgress',
        startTime: '2026-11-25T12:00:00.000Z',
        endTime: null,
        onFailure: 'Abort',
        maxAttempts: 2,
        isCritical: true,
        inputs: { InstanceIds: '["i-1"]' },
      },
    });
    expect((stepEvent?.detail as { eventId?: string } | undefined)?.eventId).toMatch(/^[0-9a-f]{32}$/);
    expectValidEvents(harness);
  });

  it('emits the final transitions of an execution that finished between two polls', async () => {
    harness = await startHarness([
      execution(
        1,
        [
          [0, 'InProgress'],
          [5, 'Failed'],
        ],
        [
          step(1, [
            [0, 'InProgress'],
            [4, 'Failed'],
          ]),
        ],
      ),
    ]);
    harness.at(1);
    await harness.cycle();
    harness.at(60);
    const summary = await harness.cycle();

    expect(transitionsOf(harness.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
      'step:0001:InProgress>Failed',
      'execution:0001:InProgress>Failed',
    ]);
    expect(summary.deliveredByType).toEqual({ [DETAIL_TYPES.step]: 1, [DETAIL_TYPES.execution]: 1 });
    expect(summary.failureTransitions).toBe(2);
  });

  it('emits a run that started and ended between two polls', async () => {
    harness = await startHarness([
      execution(
        1,
        [
          [0, 'InProgress'],
          [100, 'Success'],
        ],
        [
          step(1, [
            [0, 'InProgress'],
            [100, 'Success'],
          ]),
        ],
      ),
      execution(
        2,
        [
          [20, 'InProgress'],
          [21, 'Success'],
        ],
        [
          step(2, [
            [20, 'InProgress'],
            [21, 'Success'],
          ]),
        ],
      ),
    ]);
    harness.at(1);
    await harness.cycle();
    harness.at(60);
    await harness.cycle();

    expect(transitionsOf(harness.events()).filter((t) => t.includes('0002'))).toEqual([
      'step:0002:null>Success',
      'execution:0002:null>Success',
    ]);
  });

  it('pages through more than 50 steps and batches more than 10 events into calls of at most 10', async () => {
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(1, 120, 0, 0.1))]);
    harness.at(30);
    const summary = await harness.cycle();

    expect(summary.stepPages).toBe(3);
    expect(summary.stepsRead).toBe(120);
    const stepEvents = harness.events().filter((e) => e.detailType === DETAIL_TYPES.step);
    expect(
      new Set(stepEvents.map((e) => (e.detail as { step: { stepExecutionId: string } }).step.stepExecutionId))
        .size,
    ).toBe(120);
    const perCall = new Map<number, number>();
    for (const e of harness.events()) perCall.set(e.call, (perCall.get(e.call) ?? 0) + 1);
    expect(Math.max(...perCall.values())).toBeLessThanOrEqual(10);
    expect(perCall.size).toBe(13);
  });

  it('reads one page per cycle once the snapshot is current, whatever the step count', async () => {
    harness = await startHarness([
      execution(
        1,
        [[0, 'InProgress']],
        [
          ...sequentialSteps(1, 120, 0, 0.1),
          step(200, [
            [12, 'InProgress'],
            [50, 'Success'],
          ]),
        ],
      ),
    ]);
    // The steps start a tenth of a second apart: a 2 s visibility lag keeps the window to one page.
    harness.at(30);
    await harness.cycle({ stepVisibilityLagSeconds: 2 });
    harness.at(60);
    const summary = await harness.cycle({ stepVisibilityLagSeconds: 2 });

    expect(summary.stepPages).toBe(1);
    expect(transitionsOf(harness.events()).at(-1)).toBe('step:0200:InProgress>Success');
  });

  it('passes an unknown status string through unchanged', async () => {
    harness = await startHarness([
      execution(
        1,
        [
          [0, 'InProgress'],
          [5, 'Exited'],
        ],
        [
          step(1, [
            [0, 'InProgress'],
            [2, 'SomethingNew'],
          ]),
        ],
      ),
    ]);
    harness.at(3);
    await harness.cycle();
    harness.at(6);
    await harness.cycle();

    expect(transitionsOf(harness.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>SomethingNew',
      'execution:0001:InProgress>Exited',
    ]);
    expectValidEvents(harness);
  });

  it('emits a newly triggered alarm once, for the step and for the execution', async () => {
    // Prepare: the run's one alarm is UNKNOWN, then goes to ALARM and cancels the run.
    const runAlarm = [
      { at: 2, name: 'RunAlarm', state: 'UNKNOWN' },
      { at: 4, name: 'RunAlarm', state: 'ALARM' },
    ];
    harness = await startHarness([
      execution(
        1,
        [
          [0, 'InProgress'],
          [4, 'Cancelling'],
          [6, 'Cancelled'],
        ],
        [
          step(
            1,
            [
              [0, 'InProgress'],
              [4.5, 'Cancelled'],
            ],
            { alarms: runAlarm },
          ),
        ],
        { alarms: runAlarm },
      ),
    ]);

    // Act
    for (const t of [1, 3, 5, 10]) {
      harness.at(t);
      await harness.cycle();
    }

    // Assess
    const alarms = harness.events().filter((e) => e.detailType === DETAIL_TYPES.alarm);
    expect(alarms.map((e) => e.detail)).toMatchObject([
      { alarm: { name: 'RunAlarm', state: 'ALARM' }, step: { stepExecutionId: idOf('s', 1) } },
      { alarm: { name: 'RunAlarm', state: 'ALARM' }, step: null },
    ]);
    expect(transitionsOf(harness.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
      'execution:0001:InProgress>Cancelling',
      'step:0001:InProgress>Cancelled',
      'alarm:0001:RunAlarm',
      'alarm:0001:RunAlarm',
      'execution:0001:Cancelling>Cancelled',
    ]);
    expectValidEvents(harness);
  });

  it('retries entries PutEvents failed and delivers each once', async () => {
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(1, 4, 0, 0.1))]);
    harness.stack.recorder.failNext(3);
    harness.at(5);
    const summary = await harness.cycle();

    expect(summary.eventsPending).toBe(0);
    const ids = harness.events().map((e) => (e.detail as { eventId: string }).eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(5);
    expect(harness.stack.recorder.callCount()).toBe(2);
  });

  it('keeps events that cannot be sent and sends them first next cycle, in order', async () => {
    harness = await startHarness([
      execution(
        1,
        [
          [0, 'InProgress'],
          [20, 'Success'],
        ],
        [
          step(1, [
            [0, 'InProgress'],
            [10, 'Success'],
          ]),
        ],
      ),
    ]);
    harness.stack.recorder.setOutage(true);
    harness.at(1);
    const first = await harness.cycle();
    expect(first.eventsPending).toBe(2);
    expect(harness.events()).toHaveLength(0);

    harness.stack.recorder.setOutage(false);
    harness.at(30);
    await harness.cycle();

    expect(transitionsOf(harness.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
      'step:0001:InProgress>Success',
      'execution:0001:InProgress>Success',
    ]);
  });

  it('re-emits with the same eventId after a crash between emit and persist, losing nothing', async () => {
    // Prepare
    harness = await startHarness([
      execution(
        1,
        [
          [0, 'InProgress'],
          [20, 'Success'],
        ],
        sequentialSteps(1, 2, 0, 10),
      ),
    ]);
    const h = harness;
    harness.at(1);
    const crashing = { ...h.poller.deps, store: crashingStore(h.poller.deps.store, 'markSent') };

    // Act
    await expect(runPollCycle(crashing, h.poller.options)).rejects.toThrow(/injected crash/);
    const afterCrash = h.events().map((e) => (e.detail as { eventId: string }).eventId);
    h.at(2);
    await h.cycle();
    h.at(15);
    await h.cycle();
    h.at(30);
    await h.cycle();

    // Assess
    const ids = h.events().map((e) => (e.detail as { eventId: string }).eventId);
    expect(ids.slice(afterCrash.length, afterCrash.length * 2)).toEqual(afterCrash);
    expect(new Set(transitionsOf(h.events()))).toEqual(
      new Set([
        'execution:0001:null>InProgress',
        'step:0001:null>InProgress',
        'step:0001:InProgress>Success',
        'step:0002:Pending>InProgress',
        'step:0002:InProgress>Success',
        'execution:0001:InProgress>Success',
      ]),
    );
    // Duplicates only ever carry the same eventId as the same detail.
    const byId = new Map<string, string>();
    for (const e of h.events()) {
      const id = (e.detail as { eventId: string }).eventId;
      expect(byId.get(id) ?? e.detailRaw).toBe(e.detailRaw);
      byId.set(id, e.detailRaw);
    }
  });

  it('emits each transition once after a crash between recording and saving the snapshot', async () => {
    harness = await startHarness([execution(1, [[0, 'InProgress']], [step(1, [[0, 'InProgress']])])]);
    const h = harness;
    h.at(1);
    const crashing = { ...h.poller.deps, store: crashingStore(h.poller.deps.store, 'saveExecution') };
    await expect(runPollCycle(crashing, h.poller.options)).rejects.toThrow(/injected crash/);
    expect(h.events()).toHaveLength(0);

    h.at(2);
    await h.cycle();
    h.at(3);
    await h.cycle();

    expect(transitionsOf(h.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
    ]);
  });

  it('lets only one of two pollers claim a transition', async () => {
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(1, 3, 0, 1))]);
    harness.at(5);
    await Promise.all([harness.cycle(), harness.cycle()]);

    const ids = harness.events().map((e) => (e.detail as { eventId: string }).eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(transitionsOf(harness.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>Success',
      'step:0002:null>Success',
      'step:0003:null>Success',
    ]);
  });

  it('answers SSM throttling with retries, not failure', async () => {
    harness = await startHarness(
      Array.from({ length: 6 }, (_, i) =>
        execution(i + 1, [[0, 'InProgress']], [step(i + 1, [[0, 'InProgress']])]),
      ),
      { throttleTps: 2, maxAttempts: 10 },
    );
    harness.at(1);
    const summary = await harness.cycle();

    expect(summary.eventsEmitted).toBe(12);
    // The simulator saw more requests than the poller made calls: the SDK retried throttled ones.
    const operation = 'DescribeAutomationStepExecutions';
    expect(harness.stack.ssm.callCounts()[operation]).toBeGreaterThan(harness.poller.calls.get(operation));
  });

  it('stops tracking an execution SSM no longer knows, and keeps its snapshot and history', async () => {
    // Prepare: an execution seen in flight, then gone from SSM.
    harness = await startHarness([execution(1, [[0, 'InProgress']], [step(1, [[0, 'InProgress']])])]);
    const h = harness;
    h.at(1);
    await h.cycle();
    h.stack.ssm.setScenario(parseScenario({ name: 'forgotten', executions: [] }));
    const tracked = () => h.poller.deps.store.listTracked(h.poller.options.shard);

    // Act: SSM answers the by-id request with nothing.
    h.at(86_400);
    const summary = await h.cycle();

    // Assess
    expect(summary.complete).toBe(true);
    expect(await tracked()).toEqual([]);
    const state = await h.poller.deps.store.loadExecution(idOf('e', 1));
    expect(state?.execution.status).toBe('InProgress');
    expect(transitionsOf(h.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
    ]);
  });
});
