// Deterministic simulated fleets for the benchmark: sandbox scenarios with fixed ids and a seeded PRNG.
import type { Scenario, ScenarioExecution, ScenarioStep, StepTimelineEntry } from '../sandbox/scenario';

/** A simulated fleet and when to poll it. */
export interface Fleet {
  /** Short key, `a`, `b` or `c`. */
  readonly key: string;
  /** One line saying what the fleet is. */
  readonly title: string;
  readonly scenario: Scenario;
  /** Seconds after the scenario start of the first poll. */
  readonly firstPollAt: number;
  /** Cycles run and measured by default (the first is the warm-up that reads every step once). */
  readonly cycles: number;
}

/** Seconds between two polls, as the default one-minute schedule. */
export const POLL_INTERVAL_SECONDS = 60;

/**
 * A small seeded PRNG (mulberry32): the same seed always yields the same fleet.
 *
 * @example
 * const random = seededRandom(42);
 * random(); // a number in [0, 1), always the same for seed 42
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A 36-character id: an 8-hex-digit block naming the fleet and kind, then the number `n`. */
export function benchId(block: string, n: number): string {
  return `${block}-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** Rounds to tenths of a second, so times stay readable and exact in JSON. */
function tenths(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

/** A whole number of tenths of a second in [min, max]. */
function between(random: () => number, min: number, max: number): number {
  return tenths(min + random() * (max - min));
}

const ACTIONS = [
  'aws:executeScript',
  'aws:runCommand',
  'aws:executeAwsApi',
  'aws:waitForAwsResourceProperty',
];

/** Hands out step ids of one fleet in order. */
function stepIds(block: string): () => string {
  let next = 1;
  return () => benchId(block, next++);
}

function plainStep(
  id: string,
  name: string,
  action: string,
  timeline: StepTimelineEntry[],
  extra: Partial<ScenarioStep> = {},
): ScenarioStep {
  return { id, name, action, onFailure: 'Abort', maxAttempts: 1, isCritical: true, timeline, ...extra };
}

/**
 * Fleet (a): 200 sequential runbooks of 100 steps, each step 5–60 s, starts staggered 3 s apart,
 * so every runbook is in flight (and 40–80 steps deep) during the measured cycles.
 */
export function sequentialFleet(): Fleet {
  const random = seededRandom(0xa11ce);
  const nextStep = stepIds('5a000000');
  const executions: ScenarioExecution[] = [];
  for (let i = 0; i < 200; i++) {
    const start = i * 3;
    let t = start;
    const steps: ScenarioStep[] = [];
    for (let j = 0; j < 100; j++) {
      const end = tenths(t + between(random, 5, 60));
      steps.push(
        plainStep(nextStep(), `step${j + 1}`, ACTIONS[j % ACTIONS.length] ?? 'aws:executeScript', [
          { at: t, status: 'InProgress' },
          { at: end, status: 'Success', outputs: { result: [`ok-${j + 1}`] } },
        ]),
      );
      t = end;
    }
    executions.push({
      id: benchId('ea000000', i + 1),
      documentName: 'Bench-SequentialPatch',
      documentVersion: '1',
      parentId: null,
      timeline: [
        { at: start, status: 'InProgress' },
        { at: t, status: 'Success' },
      ],
      steps,
    });
  }
  return {
    key: 'a',
    title: '200 sequential runbooks x 100 steps (5-60 s each)',
    scenario: { name: 'bench-a-sequential', executions },
    firstPollAt: 30 * 60,
    cycles: 8,
  };
}

/**
 * Steps of a rate-controlled runbook: `count` target steps, at most `slots` at once; a step starts
 * when a slot frees. Returns the steps in start order and when the last one ends.
 */
function rateControlledSteps(options: {
  random: () => number;
  nextStep: () => string;
  start: number;
  count: number;
  slots: number;
  minSeconds: number;
  maxSeconds: number;
  /** Step numbers (1-based) that fail once, wait `retryAfter` seconds, and succeed on a retry. */
  retried?: ReadonlyMap<number, number>;
}): { steps: ScenarioStep[]; end: number } {
  const free: number[] = Array.from({ length: options.slots }, () => options.start);
  const steps: ScenarioStep[] = [];
  let last = options.start;
  for (let j = 0; j < options.count; j++) {
    // The earliest free slot takes the next target.
    let slot = 0;
    for (let s = 1; s < free.length; s++) if ((free[s] ?? 0) < (free[slot] ?? 0)) slot = s;
    const begin = free[slot] ?? options.start;
    const retryAfter = options.retried?.get(j + 1);
    let end = tenths(begin + between(options.random, options.minSeconds, options.maxSeconds));
    const timeline: StepTimelineEntry[] = [{ at: begin, status: 'InProgress' }];
    if (retryAfter === undefined) {
      timeline.push({ at: end, status: 'Success' });
    } else {
      const retryAt = tenths(end + retryAfter);
      timeline.push(
        { at: end, status: 'Failed', failureMessage: 'Step timed out on the target; retrying.' },
        { at: retryAt, status: 'InProgress', failureMessage: null },
      );
      end = tenths(retryAt + between(options.random, options.minSeconds, options.maxSeconds));
      timeline.push({ at: end, status: 'Success' });
    }
    free[slot] = end;
    last = Math.max(last, end);
    steps.push(
      plainStep(options.nextStep(), `patchTarget`, 'aws:runCommand', timeline, {
        maxAttempts: retryAfter === undefined ? 1 : 2,
        onFailure: 'Continue',
        isCritical: false,
        inputs: { InstanceId: `i-${String(j + 1).padStart(17, '0')}` },
      }),
    );
  }
  // SSM lists steps by start time; keep the scenario in that order too.
  steps.sort((x, y) => (x.timeline[0]?.at ?? 0) - (y.timeline[0]?.at ?? 0));
  return { steps, end: last };
}

/**
 * Fleet (b): 20 rate-controlled runbooks of 1,000 target steps, at most 50 at once (a step starts
 * when a slot frees), each target step 30–150 s; starts staggered 20 s apart.
 */
export function rateControlledFleet(): Fleet {
  const random = seededRandom(0xb0b);
  const nextStep = stepIds('5b000000');
  const executions: ScenarioExecution[] = [];
  for (let i = 0; i < 20; i++) {
    const start = i * 20;
    const { steps, end } = rateControlledSteps({
      random,
      nextStep,
      start,
      count: 1000,
      slots: 50,
      minSeconds: 30,
      maxSeconds: 150,
    });
    executions.push({
      id: benchId('eb000000', i + 1),
      documentName: 'Bench-PatchFleetRateControlled',
      documentVersion: '4',
      parentId: null,
      timeline: [
        { at: start, status: 'InProgress' },
        { at: end, status: 'Success' },
      ],
      steps,
    });
  }
  return {
    key: 'b',
    title: '20 rate-controlled runbooks x 1,000 target steps, 50 concurrent (30-150 s each)',
    scenario: { name: 'bench-b-rate-controlled', executions },
    firstPollAt: 12 * 60,
    cycles: 8,
  };
}

/**
 * Fleet (c), mixed: 40 deployment runbooks with a child execution, an `aws:loop` (repeated step names,
 * new ids), a retried step and an approval wait, some failing; 4 parallel runbooks of 200 steps with
 * 60 at once (more open steps than one page) and a retry long after newer steps started; and 60
 * short runs, most starting and ending between two polls.
 */
export function mixedFleet(): Fleet {
  const random = seededRandom(0xc0ffee);
  const nextStep = stepIds('5c000000');
  const executions: ScenarioExecution[] = [];
  let nextExecution = 1;
  const executionId = (): string => benchId('ec000000', nextExecution++);

  for (let i = 0; i < 40; i++) {
    const parentId = executionId();
    const start = tenths(i * 23 + random() * 10);
    const steps: ScenarioStep[] = [];
    const parentTimeline: { at: number; status: string; failureMessage?: string }[] = [
      { at: start, status: 'InProgress' },
    ];
    let t = start;
    const sequential = (name: string, min: number, max: number): void => {
      const end = tenths(t + between(random, min, max));
      steps.push(
        plainStep(nextStep(), name, 'aws:executeScript', [
          { at: t, status: 'InProgress' },
          { at: end, status: 'Success' },
        ]),
      );
      t = end;
    };
    for (let j = 0; j < 4; j++) sequential(`prepare${j + 1}`, 5, 40);

    // A child execution, run by an aws:executeAutomation step that lasts as long as the child.
    const childId = executionId();
    const childStart = tenths(t + 1);
    let ct = childStart;
    const childSteps: ScenarioStep[] = [];
    for (let j = 0; j < 6 + (i % 5); j++) {
      const end = tenths(ct + between(random, 3, 45));
      childSteps.push(
        plainStep(nextStep(), `childStep${j + 1}`, 'aws:executeAwsApi', [
          { at: ct, status: 'InProgress' },
          { at: end, status: 'Success' },
        ]),
      );
      ct = end;
    }
    executions.push({
      id: childId,
      documentName: 'Bench-ChildDeploy',
      documentVersion: '2',
      parentId,
      timeline: [
        { at: childStart, status: 'InProgress' },
        { at: ct, status: 'Success' },
      ],
      steps: childSteps,
    });
    const childEnd = tenths(ct + 1);
    steps.push(
      plainStep(nextStep(), 'runChild', 'aws:executeAutomation', [
        { at: t, status: 'InProgress' },
        { at: childEnd, status: 'Success', outputs: { ExecutionId: [childId] } },
      ]),
    );
    t = childEnd;

    // An aws:loop: the same step name, a new step id per iteration.
    const iterations = 3 + (i % 6);
    for (let k = 0; k < iterations; k++) sequential('checkHealth', 4, 25);

    // A retried step (MaxAttempts 3): fails, waits, runs again and succeeds.
    const retryGap = [5, 75, 140][i % 3] ?? 5;
    const failAt = tenths(t + between(random, 5, 30));
    const retryAt = tenths(failAt + retryGap);
    const doneAt = tenths(retryAt + between(random, 5, 30));
    steps.push(
      plainStep(
        nextStep(),
        'verifyDeployment',
        'aws:executeScript',
        [
          { at: t, status: 'InProgress' },
          {
            at: failAt,
            status: 'Failed',
            failureMessage: 'Health check returned 503.',
            failureDetails: { FailureStage: 'InputValidation', FailureType: 'Verification' },
          },
          { at: retryAt, status: 'InProgress', failureMessage: null, failureDetails: null },
          { at: doneAt, status: 'Success' },
        ],
        { maxAttempts: 3 },
      ),
    );
    t = doneAt;

    // Every fourth runbook waits for an approval.
    if (i % 4 === 1) {
      const approved = tenths(t + between(random, 30, 200));
      parentTimeline.push({ at: t, status: 'Waiting' }, { at: approved, status: 'InProgress' });
      steps.push(
        plainStep(nextStep(), 'approve', 'aws:approve', [
          { at: t, status: 'Waiting' },
          { at: approved, status: 'Success' },
        ]),
      );
      t = approved;
    }

    // Every fifth runbook fails on its last step; the others finish with two more steps.
    if (i % 5 === 3) {
      const failed = tenths(t + between(random, 5, 30));
      steps.push(
        plainStep(
          nextStep(),
          'switchTraffic',
          'aws:executeAwsApi',
          [
            { at: t, status: 'InProgress' },
            { at: failed, status: 'Failed', failureMessage: 'AccessDenied on elb:ModifyListener.' },
          ],
          { alarms: [{ at: tenths(t + 1), name: 'Bench-5xxRate', state: 'ALARM' }] },
        ),
      );
      parentTimeline.push({ at: failed, status: 'Failed', failureMessage: 'Step switchTraffic failed.' });
    } else {
      sequential('switchTraffic', 5, 30);
      sequential('cleanup', 5, 30);
      parentTimeline.push({ at: t, status: 'Success' });
    }
    executions.push({
      id: parentId,
      documentName: 'Bench-Deploy',
      documentVersion: '7',
      parentId: null,
      timeline: parentTimeline,
      steps,
    });
  }

  // Parallel runbooks: 60 steps at once, so the open steps span more than one page; one target of
  // each fails and is retried long after newer targets started.
  for (let i = 0; i < 4; i++) {
    const start = tenths(60 + i * 90);
    const { steps, end } = rateControlledSteps({
      random,
      nextStep,
      start,
      count: 200,
      slots: 60,
      minSeconds: 20,
      maxSeconds: 240,
      retried: new Map([[10 + i, 150 + 30 * i]]),
    });
    executions.push({
      id: executionId(),
      documentName: 'Bench-ParallelInventory',
      documentVersion: '1',
      parentId: null,
      timeline: [
        { at: start, status: 'InProgress' },
        { at: end, status: 'Success' },
      ],
      steps,
    });
  }

  // Short runs: 1–3 steps, 3–40 s in all, starting anywhere; most start and end between two polls.
  for (let i = 0; i < 60; i++) {
    const start = tenths(70 + random() * 1500);
    let t = start;
    const steps: ScenarioStep[] = [];
    const count = 1 + (i % 3);
    for (let j = 0; j < count; j++) {
      const end = tenths(t + between(random, 1, 13));
      steps.push(
        plainStep(nextStep(), `quick${j + 1}`, 'aws:executeAwsApi', [
          { at: t, status: 'InProgress' },
          { at: end, status: i % 11 === 0 && j === count - 1 ? 'Failed' : 'Success' },
        ]),
      );
      t = end;
    }
    executions.push({
      id: executionId(),
      documentName: 'Bench-QuickTag',
      documentVersion: '1',
      parentId: null,
      timeline: [
        { at: start, status: 'InProgress' },
        { at: t, status: i % 11 === 0 ? 'Failed' : 'Success' },
      ],
      steps,
    });
  }

  return {
    key: 'c',
    title: 'mixed: 40 deploys with children, loops, retries, approvals; 4 parallel x 200; 60 short runs',
    scenario: { name: 'bench-c-mixed', executions },
    firstPollAt: 60,
    cycles: 28,
  };
}

/** Every fleet of the benchmark, in report order. */
export function allFleets(): Fleet[] {
  return [sequentialFleet(), rateControlledFleet(), mixedFleet()];
}
