// Over the wire: the poller on aws:loop runs under every loop switch — each iteration's transitions, with its parentStep, once and in order.
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import { loopItems, loopRun } from '../../sandbox/loop-run';
import type { ScenarioExecution, ScenarioStep } from '../../sandbox/scenario';
import {
  BEHAVIOUR_SWITCHES,
  behaviourLabel,
  LOOP_BEHAVIOUR_MATRIX,
  LOOP_BEHAVIOUR_SWITCHES,
  resolveBehaviour,
  type SsmBehaviour,
} from '../../sandbox/ssm-behaviour';
import type { SsmSimulator } from '../../sandbox/ssm-simulator';
import { type Harness, idOf, startHarness, T0 } from '../helpers/harness';
import { schemaErrors } from '../helpers/schemas';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** The `parentStep` of a step event's detail, and the step fields the assertions look at. */
interface StepDetailSeen {
  readonly stepExecutionId: string;
  readonly stepName: string;
  readonly previousStatus: string | null;
  readonly status: string;
  readonly parentStep: {
    readonly stepExecutionId: string | null;
    readonly stepName: string | null;
    readonly action: string | null;
    readonly iteration: number | null;
    readonly iteratorValue: string | null;
  } | null;
}

function stepOf(event: RecordedEvent): StepDetailSeen | null {
  return (event.detail as { step?: StepDetailSeen | null; alarm?: unknown }).step ?? null;
}

/**
 * When the simulator starts listing a step as `Pending` (seconds after the scenario start), restated
 * from the switches' documentation: a runbook step from the execution's start, a step inside a loop
 * never (`onStart`), from its iteration's first start if it starts later (`iteration`), or from the
 * execution's start (`upFront`).
 */
function pendingFrom(
  run: ScenarioExecution,
  step: ScenarioStep,
  listing: SsmBehaviour['loopStepListing'],
): number {
  const runStart = run.timeline[0]?.at ?? 0;
  const place = step.loopIteration;
  if (place === undefined) return step.plannedUpFront === false ? Number.POSITIVE_INFINITY : runStart;
  if (listing === 'upFront') return runStart;
  if (listing === 'onStart') return Number.POSITIVE_INFINITY;
  const begin = Math.min(
    ...run.steps
      .filter(
        (s) => s.loopIteration?.loopStepId === place.loopStepId && s.loopIteration.index === place.index,
      )
      .map((s) => s.timeline[0]?.at ?? Number.POSITIVE_INFINITY),
  );
  const start = step.timeline[0]?.at ?? Number.POSITIVE_INFINITY;
  return start > begin ? begin : Number.POSITIVE_INFINITY;
}

/**
 * The statuses a poller reading at `times` should emit per step id, in order, from the simulator's
 * ground truth: each status a read sees that differs from the one before (changes between two reads
 * collapse into one).
 */
function expectedStatuses(
  sim: SsmSimulator,
  run: ScenarioExecution,
  times: readonly number[],
): Record<string, string[]> {
  const truth = sim.groundTruth().filter((e) => e.kind === 'step' && e.executionId === run.id);
  const byId: Record<string, string[]> = {};
  for (const step of run.steps) {
    const entries = truth.filter((e) => e.stepExecutionId === step.id);
    let previous: string | undefined;
    for (const t of times) {
      const status = entries.filter((e) => e.at <= T0 + t * 1000).at(-1)?.status;
      if (status === undefined || status === previous) continue;
      byId[step.id] = [...(byId[step.id] ?? []), status];
      previous = status;
    }
  }
  return byId;
}

/** The step events recorded per step id, in emission order. */
function recordedSteps(events: readonly RecordedEvent[]): Record<string, StepDetailSeen[]> {
  const byId: Record<string, StepDetailSeen[]> = {};
  for (const step of events.map(stepOf)) {
    if (step !== null) byId[step.stepExecutionId] = [...(byId[step.stepExecutionId] ?? []), step];
  }
  return byId;
}

/**
 * What is wrong with the `previousStatus` chain of each step's events: the first is `Pending` for a
 * step SSM listed as `Pending` at the first read (a complete listing, the only read of a running
 * execution that lists steps not started), `null` for any other; each later one is the status before it.
 */
function chainProblems(
  run: ScenarioExecution,
  recorded: Record<string, StepDetailSeen[]>,
  listing: SsmBehaviour['loopStepListing'],
  firstRead: number,
): string[] {
  return Object.entries(recorded).flatMap(([id, steps]) => {
    const step = run.steps.find((s) => s.id === id);
    const start = step?.timeline[0]?.at ?? Number.POSITIVE_INFINITY;
    const pendingAtFirstRead =
      step !== undefined && pendingFrom(run, step, listing) <= firstRead && firstRead < start;
    return steps.flatMap((seen, i) => {
      const expected = i === 0 ? (pendingAtFirstRead ? 'Pending' : null) : steps[i - 1]?.status;
      return seen.previousStatus === expected ? [] : [`${id} #${i}: ${seen.previousStatus}>${seen.status}`];
    });
  });
}

/** The `parentStep` a step of `run` must carry: its loop step, iteration and item, or null. */
function expectedParent(
  run: ScenarioExecution,
  stepExecutionId: string,
  base: number,
): StepDetailSeen['parentStep'] {
  const step = run.steps.find((s) => s.id === stepExecutionId);
  const place = step?.loopIteration;
  if (place === undefined) return null;
  const loop = run.steps.find((s) => s.id === place.loopStepId);
  return {
    stepExecutionId: place.loopStepId,
    stepName: loop?.name ?? null,
    action: 'aws:loop',
    iteration: place.index + base,
    iteratorValue: loop?.loop?.iterators?.[place.index] ?? null,
  };
}

/** Runs one cycle at each time (seconds after the scenario start). */
async function cyclesAt(h: Harness, times: readonly number[]): Promise<void> {
  for (const t of times) {
    h.at(t);
    await h.cycle();
  }
}

/** Every `step` seconds from 0 to `end`, then the reads that settle a run SSM adds steps to (after the 60 s lag). */
function readsUntil(end: number, step: number): number[] {
  return [...Array.from({ length: Math.ceil(end / step) + 1 }, (_, i) => i * step), end + 61, end + 125];
}

/** The three-item loop of the tests: iteration 2's first step fails, the run goes on (onFailure Continue). */
const THREE: ScenarioExecution = loopRun({
  executionId: idOf('e', 1),
  items: ['i-0aaa', { value: 'i-0bbb', outcome: 'Failed' }, 'i-0ccc'],
});

/**
 * Every loop combination, and each loop listing with each other way SSM may show a not-started
 * step's id (what a loop's steps listed before they start are known by).
 */
const COMBINATIONS: readonly SsmBehaviour[] = [
  ...LOOP_BEHAVIOUR_MATRIX,
  ...LOOP_BEHAVIOUR_SWITCHES.loopStepListing.flatMap((loopStepListing, i) =>
    BEHAVIOUR_SWITCHES.unstartedStepIds
      .filter((ids) => ids !== 'stable')
      .map((unstartedStepIds) =>
        resolveBehaviour({ loopStepListing, unstartedStepIds, loopIterationBase: i % 2 === 0 ? 1 : 0 }),
      ),
  ),
];

describe('aws:loop iterations over the wire', () => {
  it.each(COMBINATIONS.map((behaviour) => [behaviourLabel(behaviour), behaviour] as const))(
    'emits every iteration of a 3-item loop once, in order, with its parentStep, under %s',
    async (_label, behaviour) => {
      // Prepare
      harness = await startHarness([THREE], { behaviour });
      // Steps of 2 s start on odd seconds: a read every 2 s sees each status.
      const times = readsUntil(14, 2);

      // Act
      await cyclesAt(harness, times);

      // Assess: nothing lost, nothing repeated, each step's statuses in order, each from the one before.
      const events = harness.events();
      const recorded = recordedSteps(events);
      expect(
        Object.fromEntries(Object.entries(recorded).map(([id, steps]) => [id, steps.map((s) => s.status)])),
      ).toEqual(expectedStatuses(harness.stack.ssm, THREE, times));
      expect(chainProblems(THREE, recorded, behaviour.loopStepListing, times[0] ?? 0)).toEqual([]);
      // Each event names its loop step, iteration and item (null outside the loop).
      const steps = events.map(stepOf).filter((s) => s !== null);
      for (const step of steps) {
        expect(step.parentStep, step.stepExecutionId).toEqual(
          expectedParent(THREE, step.stepExecutionId, behaviour.loopIterationBase),
        );
      }
      // The iterations start in order, and their first step's three starts are told apart.
      const starts = steps
        .filter((s) => s.stepName === 'stopOneInstance' && s.status === 'InProgress')
        .map((s) => `${s.parentStep?.iteration}:${s.parentStep?.iteratorValue}`);
      const base = behaviour.loopIterationBase;
      expect(starts).toEqual([`${base}:i-0aaa`, `${base + 1}:i-0bbb`, `${base + 2}:i-0ccc`]);
      expect(events.flatMap((e) => schemaErrors(e.detailType, e.detail))).toEqual([]);
    },
  );

  it.each(
    [
      resolveBehaviour({ loopStepListing: 'onStart' }),
      resolveBehaviour({ loopStepListing: 'iteration', loopIterationBase: 0 }),
      resolveBehaviour({ loopStepListing: 'upFront' }),
      // Not-started steps under a temporary id: many same-named iterations wait to start at once.
      resolveBehaviour({ loopStepListing: 'upFront', unstartedStepIds: 'changeOnStart' }),
      resolveBehaviour({ loopStepListing: 'upFront', unstartedStepIds: 'absent' }),
      resolveBehaviour({ loopStepListing: 'iteration', unstartedStepIds: 'changeOnStart' }),
    ].map((behaviour) => [behaviourLabel(behaviour), behaviour] as const),
  )(
    'emits every step of a 50-iteration loop, with some iterations failing, read every 10 s, under %s',
    async (_label, behaviour) => {
      // Prepare: 50 instances, every seventh fails; 100 steps inside the loop, 2 s each.
      const items = loopItems(50).map((value, i) => (i % 7 === 3 ? { value, outcome: 'Failed' } : value));
      const run = loopRun({ executionId: idOf('e', 2), items });
      harness = await startHarness([run], { behaviour });
      const end = run.timeline.at(-1)?.at ?? 0;
      const times = readsUntil(end, 10);

      // Act
      await cyclesAt(harness, times);

      // Assess
      const events = harness.events();
      const recorded = recordedSteps(events);
      const expected = expectedStatuses(harness.stack.ssm, run, times);
      expect(
        Object.fromEntries(Object.entries(recorded).map(([id, steps]) => [id, steps.map((s) => s.status)])),
      ).toEqual(expected);
      expect(Object.keys(expected)).toHaveLength(102);
      expect(chainProblems(run, recorded, behaviour.loopStepListing, times[0] ?? 0)).toEqual([]);
      const steps = events.map(stepOf).filter((s) => s !== null);
      const wrongParent = steps.filter(
        (s) =>
          JSON.stringify(s.parentStep) !==
          JSON.stringify(expectedParent(run, s.stepExecutionId, behaviour.loopIterationBase)),
      );
      expect(wrongParent).toEqual([]);
      const failedItems = steps
        .filter((s) => s.status === 'Failed' && s.parentStep)
        .map((s) => s.parentStep?.iteratorValue);
      expect(failedItems).toEqual(items.flatMap((item) => (typeof item === 'string' ? [] : [item.value])));
      expect(events.flatMap((e) => schemaErrors(e.detailType, e.detail))).toEqual([]);
    },
  );
});
