// Over the wire: the planned step reads against the documented SSM simulator and dynalite on a manual clock.
import { afterEach, describe, expect, it } from 'vitest';
import type { Timer } from '../../lambda/adapters/token-bucket';
import { type CycleSummary, runPollCycle } from '../../lambda/cycle/poll-cycle';
import { createPoller } from '../../lambda/runtime/poller';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../sandbox/local-stack';
import { rateControlRun, rateControlTargets } from '../../sandbox/rate-control';
import type { ScenarioStep } from '../../sandbox/scenario';
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
import { expectedStepTransitions, recordStepReads, stepTransitionsById } from '../helpers/observers';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const STEP_OPERATION = 'DescribeAutomationStepExecutions';

/** Runs one cycle at each time (seconds after the scenario start); returns their summaries. */
async function cyclesAt(
  h: Harness,
  times: readonly number[],
  strategy: 'window' | 'full' = 'window',
): Promise<CycleSummary[]> {
  const summaries: CycleSummary[] = [];
  for (const t of times) {
    h.at(t);
    summaries.push(await h.cycle({ strategy }));
  }
  return summaries;
}

/** The events of each cycle, as `transitionsOf` strings: runs the cycles and slices the recorder. */
async function transitionsPerCycle(h: Harness, times: readonly number[]): Promise<string[][]> {
  const perCycle: string[][] = [];
  for (const t of times) {
    const before = h.events().length;
    h.at(t);
    await h.cycle();
    perCycle.push(transitionsOf(h.events().slice(before)));
  }
  return perCycle;
}

describe('Step-read plan over the wire, documented SSM', () => {
  it('reads one step page a cycle on a 100-step sequential run once current, never the planned steps', async () => {
    // Prepare: 100 steps of 20 s, all listed up front as Pending.
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(1, 100, 0, 20))], {
      behaviour: {},
    });

    // Act
    const summaries = await cyclesAt(harness, [30, 90, 150, 210, 270, 330]);

    // Assess: the first read lists all 100 steps (2 pages); then only the steps started in the last
    // two minutes (the interval and the 60 s visibility lag), never one that has not started.
    expect(summaries.map((s) => s.stepPages)).toEqual([2, 1, 1, 1, 1, 1]);
    expect(summaries.map((s) => s.stepsRead)).toEqual([100, 5, 7, 7, 7, 7]);
    expect(transitionsOf(harness.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>Success',
      'step:0002:null>InProgress',
      // 90
      'step:0002:InProgress>Success',
      'step:0003:Pending>Success',
      'step:0004:Pending>Success',
      'step:0005:Pending>InProgress',
      // 150
      'step:0005:InProgress>Success',
      'step:0006:Pending>Success',
      'step:0007:Pending>Success',
      'step:0008:Pending>InProgress',
      // 210
      'step:0008:InProgress>Success',
      'step:0009:Pending>Success',
      'step:0010:Pending>Success',
      'step:0011:Pending>InProgress',
      // 270
      'step:0011:InProgress>Success',
      'step:0012:Pending>Success',
      'step:0013:Pending>Success',
      'step:0014:Pending>InProgress',
      // 330
      'step:0014:InProgress>Success',
      'step:0015:Pending>Success',
      'step:0016:Pending>Success',
      'step:0017:Pending>InProgress',
    ]);
  });

  it('costs one or two parent step pages a cycle on a 1,000-target rate-control run, not 20', async () => {
    // Prepare: 1,000 targets, 50 at a time, so 950 parent steps are Pending at the start.
    const run = rateControlRun({
      parentId: idOf('e', 1),
      targets: rateControlTargets(1000, 7, { minSeconds: 120, maxSeconds: 600 }),
      maxConcurrency: 50,
    });
    harness = await startHarness(run, { behaviour: {} });
    const reads = recordStepReads(harness);
    const parent = idOf('e', 1);
    const times = [5, 65, 125, 185];
    const pages: number[] = [];
    const pendingAtStart = async () => {
      const stored = await harness?.poller.deps.store.loadExecution(parent);
      return [...(stored?.steps.values() ?? [])].filter(
        (s) => s.status === 'Pending' && s.startTime === null,
      );
    };

    // Act
    for (const t of times) {
      const before = reads.pages(parent);
      harness.at(t);
      await harness.cycle();
      pages.push(reads.pages(parent) - before);
      if (t === times[0]) expect(await pendingAtStart()).toHaveLength(950);
    }

    // Assess: after the first full read (1,000 steps, 20 pages), the started steps only.
    expect(pages).toEqual([20, 1, 1, 2]);
    expect(stepTransitionsById(harness.events(), parent)).toEqual(
      expectedStepTransitions(harness.stack.ssm, parent, times),
    );
  });

  it('emits a step that started and ended between two polls', async () => {
    // Prepare: step 2 runs 30–40, between the polls at 10 and 70.
    harness = await startHarness(
      [
        execution(
          1,
          [[0, 'InProgress']],
          [
            step(1, [
              [0, 'InProgress'],
              [30, 'Success'],
            ]),
            step(2, [
              [30, 'InProgress'],
              [40, 'Success'],
            ]),
            step(3, [[40, 'InProgress']]),
          ],
        ),
      ],
      { behaviour: {} },
    );

    // Act
    const perCycle = await transitionsPerCycle(harness, [10, 70]);

    // Assess
    expect(perCycle).toEqual([
      ['execution:0001:null>InProgress', 'step:0001:null>InProgress'],
      ['step:0001:InProgress>Success', 'step:0002:Pending>Success', 'step:0003:Pending>InProgress'],
    ]);
  });

  it('reads a retried step, InProgress across attempts then Failed, at no extra cost', async () => {
    // Prepare: step 1 (MaxAttempts 3, onFailure Continue) runs 0–150 and fails maximum allowed times;
    // 55 steps run after it. The same run with a step that fails at once is the baseline.
    const run = (attempts: number) =>
      execution(
        1,
        [
          [0, 'InProgress'],
          [400, 'Success'],
        ],
        [
          step(
            1,
            [
              [0, 'InProgress'],
              [50 * attempts, 'Failed'],
            ],
            { maxAttempts: attempts, onFailure: 'Continue' },
          ),
          ...sequentialSteps(2, 55, 150, 4),
        ],
      );
    const times = [25, 85, 145, 205, 265, 325, 385, 445, 505];
    const baseline = await startHarness([run(1)], { behaviour: {} });
    const baselinePages = (await cyclesAt(baseline, times)).map((s) => s.stepPages);
    await baseline.stop();
    harness = await startHarness([run(3)], { behaviour: {} });

    // Act
    const summaries = await cyclesAt(harness, times);

    // Assess
    expect(summaries.map((s) => s.stepPages)).toEqual(baselinePages);
    // After the end (400 s): the complete read. It lists every step as started, so no step can show
    // up later: the execution is settled and not read again.
    expect(summaries.map((s) => s.stepPages)).toEqual([2, 1, 1, 1, 1, 1, 1, 2, 0]);
    expect(transitionsOf(harness.events()).filter((t) => t.startsWith('step:0001:'))).toEqual([
      'step:0001:null>InProgress',
      'step:0001:InProgress>Failed',
    ]);
    const failed = harness.events().flatMap((e) => {
      const d = e.detail as { step?: { stepExecutionId: string; status: string; maxAttempts: number } };
      return d.step?.stepExecutionId === idOf('s', 1) && d.step.status === 'Failed' ? [d.step] : [];
    });
    expect(failed.map((s) => s.maxAttempts)).toEqual([3]);
  });

  it('reads a finished execution completely once after its end, the window once more, then never again', async () => {
    // Prepare: 120 steps done long ago; the last two finish and the execution fails between polls.
    harness = await startHarness(
      [
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
            step(202, []),
          ],
        ),
      ],
      { behaviour: {} },
    );
    await cyclesAt(harness, [210]);
    const before = harness.events().length;

    // Act
    const summaries = await cyclesAt(harness, [270, 330, 390]);

    // Assess: the read after the end lists all 123 steps (3 pages); once the 60 s a step may take to
    // show up have passed, one window page; then nothing.
    expect(summaries.map((s) => s.stepPages)).toEqual([3, 1, 0]);
    expect(transitionsOf(harness.events().slice(before))).toEqual([
      'step:0200:InProgress>Success',
      'step:0201:Pending>Failed',
      'execution:0001:InProgress>Failed',
    ]);
  });

  it("reads every page each cycle with the 'full' strategy, for comparison", async () => {
    // Prepare
    harness = await startHarness([execution(1, [[0, 'InProgress']], sequentialSteps(1, 120, 0, 20))], {
      behaviour: {},
    });

    // Act
    const full = await cyclesAt(harness, [1000, 1060], 'full');
    const window = await cyclesAt(harness, [1120, 1180], 'window');

    // Assess
    expect(full.map((s) => s.stepPages)).toEqual([3, 3]);
    expect(window.map((s) => s.stepPages)).toEqual([1, 1]);
  });
});

describe('Class: TokenBucket with a virtual timer, over the wire', () => {
  it('keeps the Describe calls at or under the configured rate', async () => {
    // Prepare: 6 executions of 60 steps, read whole on the first cycle; a 2 TPS bucket whose
    // sleep moves the (shared) manual clock, and the virtual time of every request the SDK sends.
    const steps = (i: number): ScenarioStep[] => sequentialSteps(i * 1000 + 1, 60, 0, 0.5);
    harness = await startHarness(
      Array.from({ length: 6 }, (_, i) => execution(i + 1, [[0, 'InProgress']], steps(i))),
      { behaviour: {} },
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

    // Assess: 2 list pages + 6 x 2 step pages, paced at 2 a second after a burst of 2.
    expect(summary.stepPages).toBe(12);
    expect(sentAt).toHaveLength(14);
    const burst = rate;
    for (let i = 0; i < sentAt.length; i++) {
      for (let j = i; j < sentAt.length; j++) {
        const seconds = ((sentAt[j] ?? 0) - (sentAt[i] ?? 0)) / 1000;
        expect(j - i + 1).toBeLessThanOrEqual(burst + rate * seconds + 1e-9);
      }
    }
    expect(((sentAt.at(-1) ?? 0) - (sentAt[0] ?? 0)) / 1000).toBeGreaterThanOrEqual((14 - burst) / rate);
    expect(poller.ssm.waitedMs).toBeGreaterThanOrEqual(6_000);
    expect(h.stack.ssm.callCounts()[STEP_OPERATION]).toBe(12);
  });
});
