// Deterministic simulated fleets for the benchmark, as SSM documents them: fixed ids, a seeded PRNG, future steps planned up front.
import { rateControlRun, rateControlTargets } from '../sandbox/rate-control';
import type {
  ExecutionTimelineEntry,
  Scenario,
  ScenarioAlarm,
  ScenarioExecution,
  ScenarioStep,
  StepTimelineEntry,
} from '../sandbox/scenario';
import { type SequentialEnding, sequentialRun } from '../sandbox/sequential-runbook';

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

/**
 * A runbook step. With an empty timeline it is planned and never runs (listed `Pending` for good);
 * every step is planned up front (listed `Pending` until it starts) unless `extra` says otherwise.
 */
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
 * Fleet (a): 200 sequential runbooks of 100 steps, each step 5–60 s, every step listed up front as
 * `Pending` (so a full listing is two pages from the start); starts staggered 3 s apart. Polled from
 * minute 10, when every runbook is in flight.
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
    title: '200 sequential runbooks x 100 planned steps (5-60 s each)',
    scenario: { name: 'bench-a-sequential', executions },
    firstPollAt: 10 * 60,
    cycles: 4,
  };
}

/**
 * Fleet (b): 20 rate-control runs (`rateControlRun`) of 1,000 targets each, `MaxConcurrency` 50:
 * the parent lists one `aws:executeAutomation` step per target up front, each target runs as a child
 * execution of two planned steps for 30–150 s (1% fail: the child's second step stays `Pending`);
 * parents start 2 s apart. Polled from 240 s; by the measured cycle, at 300 s, every parent's first
 * 50 children have ended and the rest no longer start in step: each parent runs 50, starts and ends
 * about 33 a minute and still has about 850 targets `Pending`. About 1,000 children are in flight, so
 * a cycle is heavy (about 1,700 executions to read) and one measured cycle after the warm-up keeps
 * the run short.
 */
export function rateControlledFleet(): Fleet {
  const executions: ScenarioExecution[] = [];
  for (let i = 0; i < 20; i++) {
    executions.push(
      ...rateControlRun({
        parentId: benchId('eb000000', i + 1),
        targets: rateControlTargets(1000, 0xb0b + i, { minSeconds: 30, maxSeconds: 150, failureRate: 0.01 }),
        maxConcurrency: 50,
        startAt: i * 2,
        documentName: 'Bench-PatchFleetRateControlled',
        documentVersion: '4',
      }),
    );
  }
  return {
    key: 'b',
    title: '20 rate-control runs x 1,000 targets (child executions), 50 concurrent (30-150 s each)',
    scenario: { name: 'bench-b-rate-controlled', executions },
    firstPollAt: 240,
    cycles: 2,
  };
}

/**
 * Steps of a parallel runbook: `count` planned target steps, at most `slots` at once; a step starts
 * when a slot frees. One step (`retried`, 1-based) is retried: it stays `InProgress` across its
 * attempts (SSM keeps one record), `retryAfter` seconds longer than the others. Returns the steps in
 * plan order and when the last one ends.
 */
function parallelSteps(options: {
  random: () => number;
  nextStep: () => string;
  start: number;
  count: number;
  slots: number;
  minSeconds: number;
  maxSeconds: number;
  retried: number;
  retryAfter: number;
}): { steps: ScenarioStep[]; end: number } {
  const free: number[] = Array.from({ length: options.slots }, () => options.start);
  const steps: ScenarioStep[] = [];
  let last = options.start;
  for (let j = 0; j < options.count; j++) {
    // The earliest free slot takes the next target.
    let slot = 0;
    for (let s = 1; s < free.length; s++) if ((free[s] ?? 0) < (free[slot] ?? 0)) slot = s;
    const begin = free[slot] ?? options.start;
    const retried = j + 1 === options.retried;
    let end = tenths(begin + between(options.random, options.minSeconds, options.maxSeconds));
    if (retried) end = tenths(end + options.retryAfter);
    free[slot] = end;
    last = Math.max(last, end);
    steps.push(
      plainStep(
        options.nextStep(),
        `target${j + 1}`,
        'aws:runCommand',
        [
          { at: begin, status: 'InProgress' },
          { at: end, status: 'Success' },
        ],
        {
          maxAttempts: retried ? 3 : 1,
          onFailure: 'Continue',
          isCritical: false,
          inputs: { InstanceId: `i-${String(j + 1).padStart(17, '0')}` },
        },
      ),
    );
  }
  return { steps, end: last };
}

/**
 * A deployment runbook with a child: prepare ×4, `runChild` (`aws:executeAutomation`, a child of
 * 6–10 planned steps), an `aws:loop` whose iterations are steps made while running (same name, new
 * id, not listed before they start), `verifyDeployment` with `MaxAttempts` 3 (one record that stays
 * `InProgress` across attempts), an approval on every fourth, then `switchTraffic` and `cleanup`, and
 * an `onCancel` step `rollback`. Endings: every fifth fails at `switchTraffic`; every seventh fails
 * `verifyDeployment` after its last attempt; every tenth is cancelled by an alarm during
 * `switchTraffic` (its `rollback` runs); steps after the end stay `Pending` for good, and so does
 * `rollback` where nothing was cancelled.
 */
function deployment(
  i: number,
  random: () => number,
  nextStep: () => string,
  executionId: () => string,
): ScenarioExecution[] {
  const parentId = executionId();
  const start = tenths(i * 23 + random() * 10);
  const timeline: ExecutionTimelineEntry[] = [{ at: start, status: 'InProgress' }];
  const steps: ScenarioStep[] = [];
  const dynamic: ScenarioStep[] = [];
  let t = start;
  let ended = false;
  const ran = (name: string, action: string, entries: StepTimelineEntry[], extra = {}): void => {
    steps.push(plainStep(nextStep(), name, action, ended ? [] : entries, extra));
  };
  const sequential = (name: string, min: number, max: number): void => {
    const end = tenths(t + between(random, min, max));
    ran(name, 'aws:executeScript', [
      { at: t, status: 'InProgress' },
      { at: end, status: 'Success' },
    ]);
    if (!ended) t = end;
  };
  for (let j = 0; j < 4; j++) sequential(`prepare${j + 1}`, 5, 40);

  // The child execution, run by an aws:executeAutomation step that lasts as long as the child.
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
  const child: ScenarioExecution = {
    id: childId,
    documentName: 'Bench-ChildDeploy',
    documentVersion: '2',
    parentId,
    timeline: [
      { at: childStart, status: 'InProgress' },
      { at: ct, status: 'Success' },
    ],
    steps: childSteps,
  };
  const childEnd = tenths(ct + 1);
  ran('runChild', 'aws:executeAutomation', [
    { at: t, status: 'InProgress', outputs: { ExecutionId: [childId] } },
    { at: childEnd, status: 'Success', outputs: { ExecutionId: [childId], Status: ['Success'] } },
  ]);
  t = childEnd;

  // aws:loop: each iteration a step made while running (same name, a new id, not listed before).
  const iterations = 3 + (i % 6);
  for (let k = 0; k < iterations; k++) {
    const end = tenths(t + between(random, 4, 25));
    dynamic.push(
      plainStep(
        nextStep(),
        'checkHealth',
        'aws:executeAwsApi',
        [
          { at: t, status: 'InProgress' },
          { at: end, status: 'Success' },
        ],
        { plannedUpFront: false },
      ),
    );
    t = end;
  }

  // MaxAttempts 3: one record, InProgress across the attempts (a wait of 5, 75 or 140 s between).
  const attempts = tenths(between(random, 5, 30) + ([5, 75, 140][i % 3] ?? 5) + between(random, 5, 30));
  const verifyFails = i % 7 === 5;
  ran(
    'verifyDeployment',
    'aws:executeScript',
    [
      { at: t, status: 'InProgress' },
      verifyFails
        ? {
            at: tenths(t + attempts),
            status: 'Failed',
            failureMessage: 'Step verifyDeployment failed maximum allowed times.',
          }
        : { at: tenths(t + attempts), status: 'Success' },
    ],
    { maxAttempts: 3 },
  );
  t = tenths(t + attempts);
  if (verifyFails) {
    timeline.push({ at: t, status: 'Failed', failureMessage: 'Step verifyDeployment failed.' });
    ended = true;
  }

  // Every fourth runbook waits for an approval.
  if (i % 4 === 1) {
    const approved = tenths(t + between(random, 30, 200));
    ran('approve', 'aws:approve', [
      { at: t, status: 'Waiting' },
      { at: approved, status: 'Success' },
    ]);
    if (!ended) {
      timeline.push({ at: t, status: 'Waiting' }, { at: approved, status: 'InProgress' });
      t = approved;
    }
  }

  const alarms: ScenarioAlarm[] = [];
  let rollback: StepTimelineEntry[] = [];
  if (!ended && i % 5 === 3) {
    // switchTraffic fails; the run fails, cleanup never runs.
    const failed = tenths(t + between(random, 5, 30));
    ran('switchTraffic', 'aws:executeAwsApi', [
      { at: t, status: 'InProgress' },
      { at: failed, status: 'Failed', failureMessage: 'AccessDenied on elb:ModifyListener.' },
    ]);
    timeline.push({ at: failed, status: 'Failed', failureMessage: 'Step switchTraffic failed.' });
    ended = true;
  } else if (!ended && i % 10 === 6) {
    // An alarm goes to ALARM during switchTraffic: SSM cancels the run and its onCancel step runs.
    const alarmAt = tenths(t + between(random, 3, 20));
    const rolledBack = tenths(alarmAt + between(random, 10, 40));
    alarms.push({ at: alarmAt, name: 'Bench-5xxRate', state: 'ALARM' });
    ran('switchTraffic', 'aws:executeAwsApi', [
      { at: t, status: 'InProgress' },
      { at: alarmAt, status: 'Cancelled' },
    ]);
    rollback = [
      { at: alarmAt, status: 'InProgress' },
      { at: rolledBack, status: 'Success' },
    ];
    timeline.push({ at: alarmAt, status: 'Cancelling' }, { at: tenths(rolledBack + 1), status: 'Cancelled' });
    ended = true;
  } else {
    sequential('switchTraffic', 5, 30);
  }
  sequential('cleanup', 5, 30);
  if (timeline.at(-1)?.status === 'InProgress') timeline.push({ at: t, status: 'Success' });
  steps.push(plainStep(nextStep(), 'rollback', 'aws:executeAwsApi', rollback, { onFailure: 'Continue' }));

  const parent: ScenarioExecution = {
    id: parentId,
    documentName: 'Bench-Deploy',
    documentVersion: '7',
    parentId: null,
    timeline,
    ...(alarms.length > 0 && { alarms }),
    // Planned steps in plan order; the loop's iterations where the loop sits (they list by start).
    steps: [...steps.slice(0, 5), ...dynamic, ...steps.slice(5)],
  };
  return [parent, child];
}

/**
 * Fleet (c), mixed, as SSM documents it: 40 deployment runbooks (see `deployment`: a child
 * execution, an `aws:loop`, a retried step, approvals, failures and an alarm cancel leaving steps
 * `Pending`); 2 parallel runbooks of 200 planned steps with 60 at once (more open steps than one
 * page) and one step retried for minutes; 2 rate-control runs of 150 targets, 10 at once, that stop
 * after 3 failed targets (the rest stay `Pending`); and 60 short runs of 1–3 planned steps, most
 * starting and ending between two polls, some failing or cancelled with steps left `Pending`.
 */
export function mixedFleet(): Fleet {
  const random = seededRandom(0xc0ffee);
  const nextStep = stepIds('5c000000');
  const executions: ScenarioExecution[] = [];
  let nextExecution = 1;
  const executionId = (): string => benchId('ec000000', nextExecution++);

  for (let i = 0; i < 40; i++) executions.push(...deployment(i, random, nextStep, executionId));

  for (let i = 0; i < 2; i++) {
    const start = tenths(60 + i * 90);
    const { steps, end } = parallelSteps({
      random,
      nextStep,
      start,
      count: 200,
      slots: 60,
      minSeconds: 20,
      maxSeconds: 240,
      retried: 10 + i,
      retryAfter: 150 + 30 * i,
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

  for (let i = 0; i < 2; i++) {
    executions.push(
      ...rateControlRun({
        parentId: executionId(),
        targets: rateControlTargets(150, 0xc0c0 + i, { minSeconds: 20, maxSeconds: 240, failureRate: 0.05 }),
        maxConcurrency: 10,
        maxErrors: 3,
        startAt: 150 + i * 200,
        documentName: 'Bench-RestartFleet',
      }),
    );
  }

  // Short runs: 1–3 steps of 1–13 s, starting anywhere; every eleventh fails at its last step and
  // every thirteenth is cancelled at its first (later steps stay Pending).
  for (let i = 0; i < 60; i++) {
    const count = 1 + (i % 3);
    const ending: SequentialEnding =
      i % 11 === 0
        ? { kind: 'failure', atStep: Math.max(0, count - 2) }
        : i % 13 === 4
          ? { kind: 'cancel', atStep: 0 }
          : { kind: 'success' };
    executions.push(
      sequentialRun({
        executionId: executionId(),
        steps: Array.from({ length: count }, (_, j) => ({
          name: `quick${j + 1}`,
          action: 'aws:executeAwsApi',
        })),
        ending,
        startAt: tenths(70 + random() * 1500),
        stepSeconds: between(random, 1, 13),
        documentName: 'Bench-QuickTag',
      }),
    );
  }

  return {
    key: 'c',
    title:
      'mixed: 40 deploys with children, loops, retries, approvals; 2 parallel x 200; 2 rate-control x 150; 60 short runs',
    scenario: { name: 'bench-c-mixed', executions },
    firstPollAt: 60,
    cycles: 28,
  };
}

/** Every fleet of the benchmark, in report order. */
export function allFleets(): Fleet[] {
  return [sequentialFleet(), rateControlledFleet(), mixedFleet()];
}
