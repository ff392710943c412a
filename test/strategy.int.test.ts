// Over the wire: the 'window' step-read strategy against the SSM simulator and dynalite on a manual clock.
import { afterEach, describe, expect, it } from 'vitest';
import type { Timer } from '../lambda/adapters/token-bucket';
import { runPollCycle } from '../lambda/poll-cycle';
import { createPoller } from '../lambda/poller';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../sandbox/local-stack';
import type { ScenarioStep } from '../sandbox/scenario';
import {
  execution,
  type Harness,
  sequentialSteps,
  startHarness,
  step,
  T0,
  transitionsOf,
} from './helpers/harness';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const STEP_OPERATION = 'DescribeAutomationStepExecutions';

/** Runs one 'window' cycle at each time (seconds after the scenario start); returns their summaries. */
async function cyclesAt(h: Harness, times: readonly number[]) {
  const summaries = [];
  for (const t of times) {
    h.at(t);
    summaries.push(await h.cycle({ strategy: 'window' }));
  }
  return summaries;
}

/** The step transitions of step `n`, as `previous>status`. */
function stepTransitions(h: Harness, n: number): string[] {
  const suffix = String(n).padStart(4, '0').slice(-4);
  return transitionsOf(h.events())
    .filter((t) => t.startsWith(`step:${suffix}:`))
    .map((t) => t.slice(`step:${suffix}:`.length));
}

/** `count` steps started `spacing` seconds apart from `start`, each lasting `seconds`. */
function burst(
  firstId: number,
  count: number,
  start: number,
  spacing: number,
  seconds: number,
): ScenarioStep[] {
  return Array.from({ length: count }, (_, i) =>
    step(firstId + i, [
      [start + i * spacing, 'InProgress'],
      [start + i * spacing + seconds, 'Success'],
    ]),
  );
}

describe("Strategy 'window' over the wire", () => {
  it('emits a step that started and ended between two polls, in one page', async () => {
    // Prepare: 60 old steps, then step 100 runs 0–30, step 101 runs 30–40 between the polls, 102 from 40.
    harness = await startHarness([
      execution(
        1,
        [[0, 'InProgress']],
        [
          ...sequentialSteps(1, 60, 0, 0.008),
          step(100, [
            [0.5, 'InProgress'],
            [30, 'Success'],
          ]),
          step(101, [
            [30, 'InProgress'],
            [40, 'Success'],
          ]),
          step(102, [[40, 'InProgress']]),
        ],
      ),
    ]);

    // Act
    const [, second] = await cyclesAt(harness, [10, 70]);

    // Assess
    expect(second?.stepPages).toBe(1);
    expect(stepTransitions(harness, 101)).toEqual(['null>Success']);
    expect(stepTransitions(harness, 100)).toEqual(['null>InProgress', 'InProgress>Success']);
    expect(stepTransitions(harness, 102)).toEqual(['null>InProgress']);
  });

  it('follows a retried step (same id) InProgress > Failed > InProgress > Success past newer steps', async () => {
    // Prepare: step 1 (MaxAttempts 3) fails at 10 and is retried at 130; 80 newer steps run meanwhile.
    harness = await startHarness([
      execution(
        1,
        [[0, 'InProgress']],
        [
          step(
            1,
            [
              [0, 'InProgress'],
              [10, 'Failed'],
              [130, 'InProgress'],
              [190, 'Success'],
            ],
            { maxAttempts: 3 },
          ),
          ...burst(2, 80, 20, 1, 1),
        ],
      ),
    ]);

    // Act
    const summaries = await cyclesAt(harness, [5, 15, 125, 185, 245]);

    // Assess
    expect(stepTransitions(harness, 1)).toEqual([
      'null>InProgress',
      'InProgress>Failed',
      'Failed>InProgress',
      'InProgress>Success',
    ]);
    // The window pages back to the failed step while it may run again, then settles.
    expect(summaries.map((s) => s.stepPages)).toEqual([1, 1, 2, 2, 2]);
    const ids = harness.events().map((e) => (e.detail as { eventId: string }).eventId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('treats loop iterations (same step name, new ids) as new steps', async () => {
    // Prepare: an aws:loop runs checkHealth three times; the second iteration falls between polls.
    const iteration = (n: number, timeline: [number, string][]) =>
      step(n, timeline, { name: 'checkHealth', action: 'aws:executeAwsApi' });
    harness = await startHarness([
      execution(
        1,
        [[0, 'InProgress']],
        [
          iteration(1, [
            [0, 'InProgress'],
            [20, 'Success'],
          ]),
          iteration(2, [
            [20, 'InProgress'],
            [40, 'Success'],
          ]),
          iteration(3, [[40, 'InProgress']]),
        ],
      ),
    ]);

    // Act
    await cyclesAt(harness, [10, 70]);

    // Assess
    expect(transitionsOf(harness.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
      'step:0001:InProgress>Success',
      'step:0002:null>Success',
      'step:0003:null>InProgress',
    ]);
    const names = harness.events().map((e) => (e.detail as { step?: { stepName: string } }).step?.stepName);
    expect(names.filter((n) => n === 'checkHealth')).toHaveLength(4);
  });

  it("emits a finished execution's last steps and final status in one page, then stops reading it", async () => {
    // Prepare: 120 steps done long ago; the last two finish and the execution fails between polls.
    harness = await startHarness([
      execution(
        1,
        [
          [0, 'InProgress'],
          [251, 'Failed'],
        ],
        [
          ...sequentialSteps(1, 120, 0, 1),
          step(200, [
            [200, 'InProgress'],
            [230, 'Success'],
          ]),
          step(201, [
            [230, 'InProgress'],
            [250, 'Failed'],
          ]),
        ],
      ),
    ]);
    await cyclesAt(harness, [210]);
    const before = harness.events().length;

    // Act
    const [last, after] = await cyclesAt(harness, [270, 330]);

    // Assess
    expect(last?.stepPages).toBe(1);
    expect(transitionsOf(harness.events().slice(before))).toEqual([
      'step:0200:InProgress>Success',
      'step:0201:null>Failed',
      'execution:0001:InProgress>Failed',
    ]);
    expect(after?.stepPages).toBe(0);
  });

  it('pages until every open step of a parallel run is seen, beyond one page', async () => {
    // Prepare: 120 steps start within 12 s and run at once; 30 of the oldest finish at 50; 5 new start.
    const parallel = Array.from({ length: 120 }, (_, i) =>
      step(
        i + 1,
        i < 30
          ? [
              [i / 10, 'InProgress'],
              [50, 'Success'],
            ]
          : [[i / 10, 'InProgress']],
      ),
    );
    harness = await startHarness([
      execution(1, [[0, 'InProgress']], [...parallel, ...sequentialSteps(200, 5, 40, 2)]),
    ]);

    // Act
    const [first, second] = await cyclesAt(harness, [20, 80]);

    // Assess
    expect(first?.stepPages).toBe(3);
    expect(second?.stepPages).toBe(3);
    const finished = transitionsOf(harness.events()).filter((t) => t.endsWith(':InProgress>Success'));
    expect(finished).toHaveLength(30);
    expect(
      transitionsOf(harness.events()).filter((t) => /^step:020[0-4]:null>Success$/.test(t)),
    ).toHaveLength(5);
  });

  it('reads one page a cycle on a 300-step execution once the snapshot is current', async () => {
    // Prepare: 300 sequential steps of 20 s each.
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(1, 300, 0, 20))]);
    const h = harness;
    h.at(5000);
    await h.cycle({ strategy: 'window' });
    const perCycle: number[] = [];

    // Act
    for (const t of [5060, 5120, 5180, 5240, 5300]) {
      const before = h.stack.ssm.callCounts()[STEP_OPERATION] ?? 0;
      h.at(t);
      await h.cycle({ strategy: 'window' });
      perCycle.push((h.stack.ssm.callCounts()[STEP_OPERATION] ?? 0) - before);
    }

    // Assess
    expect(perCycle).toEqual([1, 1, 1, 1, 1]);
    expect(stepTransitions(h, 254)).toEqual(['null>InProgress', 'InProgress>Success']);
  });

  it("reads every page each cycle with the 'full' strategy, for comparison", async () => {
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(1, 300, 0, 20))]);
    harness.at(5000);
    await harness.cycle({ strategy: 'full' });
    harness.at(5060);

    const summary = await harness.cycle({ strategy: 'full' });

    expect(summary.stepPages).toBe(6);
  });
});

describe('Class: TokenBucket with a virtual timer, over the wire', () => {
  it('keeps the Describe calls at or under the configured rate', async () => {
    // Prepare: 10 executions of 120 steps, read whole on the first cycle; a 2 TPS bucket whose
    // sleep moves the (shared) manual clock, and the virtual time of every request the SDK sends.
    harness = await startHarness(
      Array.from({ length: 10 }, (_, i) =>
        execution(i + 1, [[0, 'InProgress']], sequentialSteps(i * 1000 + 1, 120, 0, 0.5)),
      ),
    );
    const h = harness;
    h.at(100);
    const timer: Timer = { now: () => h.now(), sleep: async (ms) => h.at((h.now() + ms - T0) / 1000) };
    const rate = 2;
    const poller = createPoller(
      {
        tableName: h.stack.tableName,
        eventBusName: 'test-bus',
        eventSource: 'ssm-step-watch',
        historyRetentionDays: 30,
        maxEntryBytes: 262_144,
        ssmDescribeTps: rate,
      },
      { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
      { clients: h.stack.clients, timer },
    );
    const sentAt: number[] = [];
    h.stack.clients.ssm.middlewareStack.add(
      (next) => async (args) => {
        sentAt.push(h.now());
        return next(args);
      },
      { step: 'initialize', name: 'recordVirtualSendTime' },
    );

    // Act
    const summary = await runPollCycle(poller.deps, { ...poller.options, strategy: 'window' });

    // Assess: 2 list pages + 10 x 3 step pages, paced at 2 a second after a burst of 2.
    expect(summary.stepPages).toBe(30);
    expect(sentAt).toHaveLength(32);
    const burst = rate;
    for (let i = 0; i < sentAt.length; i++) {
      for (let j = i; j < sentAt.length; j++) {
        const seconds = ((sentAt[j] ?? 0) - (sentAt[i] ?? 0)) / 1000;
        expect(j - i + 1).toBeLessThanOrEqual(burst + rate * seconds + 1e-9);
      }
    }
    expect(((sentAt.at(-1) ?? 0) - (sentAt[0] ?? 0)) / 1000).toBeGreaterThanOrEqual((32 - burst) / rate);
    expect(poller.ssm.waitedMs).toBeGreaterThanOrEqual(15_000);
    expect(h.stack.ssm.callCounts()[STEP_OPERATION]).toBe(30);
  });
});
