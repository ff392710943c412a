// fast-check arbitraries for fault runs: SSM scenarios as SSM documents them, a switch combination, and fault schedules.
import fc from 'fast-check';
import { type LoopItem, loopItems, loopRun } from '../../sandbox/loop-run';
import { rateControlRun, rateControlTargets } from '../../sandbox/rate-control';
import type {
  ExecutionTimelineEntry,
  Scenario,
  ScenarioAlarm,
  ScenarioExecution,
  ScenarioStep,
  StepTimelineEntry,
} from '../../sandbox/scenario';
import { type SequentialEnding, sequentialRun } from '../../sandbox/sequential-runbook';
import {
  BEHAVIOUR_SWITCHES,
  idFromSeed,
  LOOP_BEHAVIOUR_SWITCHES,
  resolveBehaviour,
  type SsmBehaviour,
} from '../../sandbox/ssm-behaviour';
import type { FaultKind } from '../../sandbox/ssm-simulator';
import type { DynamoFaultKind } from './fault-layer';

/** One fault injected into one cycle. */
export type CycleFault =
  /** SSM answers the next calls with throttling, 5xx or a reset (a storm when there are many). */
  | { readonly kind: 'ssm'; readonly calls: readonly FaultKind[] }
  /** SSM leaves these optional fields out of every step and execution it returns this cycle. */
  | { readonly kind: 'ssmPartial'; readonly drop: readonly string[] }
  /** DynamoDB answers the next (write) calls with errors, resets or lost replies. */
  | { readonly kind: 'dynamo'; readonly calls: readonly DynamoFaultKind[]; readonly writesOnly: boolean }
  /** PutEvents fails the next entries, the other entries of their call pass. */
  | { readonly kind: 'putEventsPartial'; readonly entries: number; readonly errorCode: string }
  /** PutEvents answers every call of the cycle with 500. */
  | { readonly kind: 'putEventsOutage' }
  /** The process dies right after its k-th side effect. */
  | { readonly kind: 'crash'; readonly afterSideEffects: number }
  /** The Lambda deadline passes after this many clock reads. */
  | { readonly kind: 'deadline'; readonly afterClockReads: number }
  /** The cycle may poll only this many executions. */
  | { readonly kind: 'maxExecutions'; readonly count: number }
  /**
   * The process dies at this share (0.5–1) of the cycle's budget ({@link CycleBudget}): every later
   * port call throws, so the cycle never saves what it had left. Only cases with a budget draw it.
   */
  | { readonly kind: 'kill'; readonly at: number }
  /**
   * A second poller runs the same cycle at once: it starts after the main one's n-th port call, and
   * the main one stalls until the rival has made `stallFor` port calls. Leased pollers (the Lambda)
   * take the shard's lease, and then the two may read SSM at different times (`advanceSeconds`);
   * unleased ones (a manual `poll` next to another) read at the same time and race on every write.
   */
  | {
      readonly kind: 'rival';
      readonly leased: boolean;
      readonly startAfterCalls: number;
      readonly stallFor: number;
      readonly advanceSeconds: number;
    };

/** A generated run: the scenario, how SSM behaves, when the poller runs, and what goes wrong in which cycle. */
export interface FaultCase {
  readonly scenario: Scenario;
  /** The simulator's switch combination for this run (every field filled in). */
  readonly behaviour: SsmBehaviour;
  /** Seconds from the scenario start of each scheduled cycle, increasing. */
  readonly pollSeconds: readonly number[];
  /** Faults per scheduled cycle (same length as `pollSeconds`). */
  readonly faults: readonly (readonly CycleFault[])[];
  /** Seconds between the clean cycles that follow the schedule. */
  readonly intervalSeconds: number;
  /** SSM's own events as hints to the real hint handler, with their faults. @default no hints */
  readonly hints?: HintPlan;
  /**
   * What one cycle may spend, on the run's clock (which then moves while the poller waits for SSM
   * tokens): long listings and backlogs span cycles. @default none: the clock stands still in a
   * cycle and SSM calls are not paced
   */
  readonly budget?: CycleBudget;
}

/** What one cycle may spend on the run's clock. */
export interface CycleBudget {
  /** The poller's SSM calls a second (its token bucket; waiting for a token moves the run's clock). */
  readonly tps: number;
  /** Seconds from a cycle's start to its deadline; below the lease (0.9 of the interval). */
  readonly seconds: number;
}

/**
 * How the hints of a run go wrong: SSM's own events delivered 0–5 s after each change, then, drawn per
 * event from `seed`, lost, duplicated, late (6–150 s more), malformed; plus copies addressed to
 * another account or region, and hints naming executions SSM does not know. A rate or count of 0
 * leaves that fault out.
 */
export interface HintPlan {
  readonly seed: number;
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly lateRate: number;
  readonly malformedRate: number;
  /** Hints about this shard's executions but from another account or region. */
  readonly otherShard: number;
  /** Hints naming executions SSM does not know in this shard. */
  readonly unknown: number;
}

/** Every this-many-th chaos scenario (by index) runs with hints. */
export const HINTED_EVERY = 3;

/** The hint plan of the chaos scenario of global index `index`: one in {@link HINTED_EVERY}, else none. */
export function hintPlanFor(seed: number, index: number): HintPlan | undefined {
  if (index % HINTED_EVERY !== 0) return undefined;
  // Which faults strike varies over the hinted scenarios (six bits, spread), so each fault has
  // scenarios with and without it.
  const mask = (Math.floor(index / HINTED_EVERY) * 37) % 64;
  const on = (bit: number): boolean => ((mask >> bit) & 1) === 1;
  return {
    seed: seed + index,
    lossRate: on(0) ? 0.15 : 0,
    duplicateRate: on(1) ? 0.2 : 0,
    lateRate: on(2) ? 0.15 : 0,
    malformedRate: on(3) ? 0.1 : 0,
    otherShard: on(4) ? 1 + (index % 3) : 0,
    unknown: on(5) ? 1 + (index % 2) : 0,
  };
}

/** The visibility lags, in seconds, {@link behaviourArb} draws from. */
export const DRAWN_LAGS = [0, 30, 60] as const;

/** A switch combination, each switch drawn on its own (the lag from {@link DRAWN_LAGS}). */
export const behaviourArb: fc.Arbitrary<SsmBehaviour> = fc
  .record({
    reverseOrderUnstarted: fc.constantFrom(...BEHAVIOUR_SWITCHES.reverseOrderUnstarted),
    startTimeTies: fc.constantFrom(...BEHAVIOUR_SWITCHES.startTimeTies),
    unstartedStepIds: fc.constantFrom(...BEHAVIOUR_SWITCHES.unstartedStepIds),
    childListing: fc.constantFrom(...BEHAVIOUR_SWITCHES.childListing),
    nextToken: fc.constantFrom(...BEHAVIOUR_SWITCHES.nextToken),
    startTimeFilter: fc.constantFrom(...BEHAVIOUR_SWITCHES.startTimeFilter),
    visibilityLagSeconds: fc.constantFrom(...DRAWN_LAGS),
  })
  .map((partial) => resolveBehaviour(partial));

/** Statuses a step may end in. */
const STEP_FINALS = ['Success', 'Success', 'Success', 'Failed', 'TimedOut', 'Cancelled', 'Exited'] as const;
/** Statuses that end a run whose step fails with `onFailure: Abort`, by the step's status. */
const ABORTING: Readonly<Record<string, string>> = {
  Failed: 'Failed',
  TimedOut: 'TimedOut',
  Cancelled: 'Cancelled',
};
/** Statuses SSM may end an execution in once every step ran. */
const EXECUTION_FINALS = [
  'Success',
  'Success',
  'Success',
  'CompletedWithSuccess',
  'CompletedWithFailure',
  'Failed',
  'Exited',
] as const;
/** Statuses SSM may add one day: the poller must pass them through and keep watching. */
const UNKNOWN_STATUSES = ['SomethingNew', 'Quiescing', 'Paused 🙃'] as const;

/** Names and messages that break naive code: emoji, RTL, CJK, combining marks, control characters. */
const ODD_TEXT = [
  'Restart 🚀 instance',
  'naïve café',
  'مرحلة التحقق',
  '步骤三',
  'zero\u200dwidth\u200bjoiner',
  'line\nbreak\ttab',
  'quote " and \\ backslash',
  'e\u0301\u0301 combining',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '<b>&amp;</b> {{x}} %s',
  'Ωmega-Ä-ß',
] as const;

const textArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('deploy', 'verify', 'patchInstance', 'approve', 'sleep') },
  { weight: 3, arbitrary: fc.constantFrom(...ODD_TEXT) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
);

/** One step of a runbook as planned, before it is laid out in time. */
interface StepPlan {
  readonly name: string;
  readonly action: string;
  /** Hundredths of a second from its start to its end. */
  readonly duration: number;
  /** InProgress → Waiting → InProgress round trips. */
  readonly waits: number;
  /**
   * Failed attempts before the last one (`MaxAttempts` is one more): the step stays `InProgress`
   * across them, with a new failure message, and ends `Success` or `Failed`.
   */
  readonly retries: number;
  /** An undocumented status the step passes through. */
  readonly unknown: string | null;
  /** The final status; null leaves the step (and its run) running, an unknown one keeps it watched. */
  readonly final: string | null;
  /** What a failed, timed-out or cancelled step does to its run: `Abort` ends it, `Continue` goes on. */
  readonly onFailure: 'Abort' | 'Continue';
  /** aws:loop iterations: the same name again, a new step execution id each, made while running. */
  readonly loops: number;
  /** Bytes of a huge Outputs value at the end, 0 for none. */
  readonly hugeOutput: number;
  readonly message: string;
  /** Hundredths of a second between its end and the next step's start. */
  readonly gap: number;
  /** An aws:executeAutomation step: the child execution it runs (top-level runs only). */
  readonly child: ExecutionPlan | null;
}

/** How a run is stopped from outside while one of its steps runs. */
interface InterruptPlan {
  /** `cancel`: StopAutomationExecution; `alarm`: its alarm goes to `ALARM`, which cancels it. */
  readonly kind: 'cancel' | 'alarm';
  /** Index of the step it hits (modulo the steps that run). */
  readonly atStep: number;
  /** Share of that step's running time after which it hits. */
  readonly fraction: number;
}

/** One execution as planned. */
interface ExecutionPlan {
  /** Hundredths of a second after the scenario (or, for a child, its parent step) starts. */
  readonly start: number;
  /** Whether it shows `Pending` before `InProgress`. */
  readonly pending: boolean;
  readonly steps: readonly StepPlan[];
  /** Short steps run before the others, more than one page (50) of them. */
  readonly bulk: readonly StepPlan[];
  /** The execution waits (approval, pause) between its steps. */
  readonly waits: boolean;
  /** An undocumented execution status it passes through. */
  readonly unknown: string | null;
  /** The status it ends in once every step ran; null keeps it running. */
  readonly final: string | null;
  readonly interrupt: InterruptPlan | null;
  /** The runbook's one alarm (`AlarmConfiguration`); it may show `UNKNOWN` without cancelling. */
  readonly alarm: { readonly name: string; readonly unknownAt: number | null };
  /** The step `onCancel` points to: listed up front, runs only after a cancel. */
  readonly onCancel: string | null;
  readonly documentName: string;
}

/** A rate-control run (`sandbox/rate-control.ts`): a parent with one aws:executeAutomation step per target. */
interface RateControlPlan {
  /** Seconds after the scenario start. */
  readonly start: number;
  readonly targets: number;
  readonly seed: number;
  readonly maxConcurrency: number;
  readonly maxErrors: number | null;
  readonly failureRate: number;
  readonly plannedUpFront: boolean;
}

const stepArb = (child: fc.Arbitrary<ExecutionPlan | null>): fc.Arbitrary<StepPlan> =>
  fc
    .record({
      name: textArb,
      action: fc.constantFrom('aws:executeScript', 'aws:runCommand', 'aws:approve', 'aws:sleep', 'aws:loop'),
      duration: fc.oneof(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 150, max: 1500 })),
      waits: fc.oneof(
        { weight: 4, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) },
      ),
      retries: fc.oneof(
        { weight: 3, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
      ),
      unknown: fc.option(fc.constantFrom(...UNKNOWN_STATUSES), { freq: 6 }),
      final: fc.oneof(
        { weight: 14, arbitrary: fc.constantFrom(...STEP_FINALS) },
        { weight: 1, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_STATUSES) },
      ),
      onFailure: fc.constantFrom('Abort' as const, 'Abort' as const, 'Continue' as const),
      loops: fc.oneof(
        { weight: 5, arbitrary: fc.constant(1) },
        { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) },
      ),
      hugeOutput: fc.oneof(
        { weight: 12, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 9_000, max: 30_000 }) },
      ),
      message: textArb,
      gap: fc.oneof(
        { weight: 2, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 300 }) },
      ),
      child,
    })
    // A retried step ends Success or Failed ("failed maximum allowed times"), or is still retrying.
    .map((step) =>
      step.retries > 0 && step.final !== null && step.final !== 'Success'
        ? { ...step, final: 'Failed' }
        : step,
    )
    .map((step) =>
      step.child ? { ...step, action: 'aws:executeAutomation', loops: 1, retries: 0, waits: 0 } : step,
    );

const executionArb = (
  child: fc.Arbitrary<ExecutionPlan | null>,
  maxSteps: number,
): fc.Arbitrary<ExecutionPlan> =>
  fc.record({
    start: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
    pending: fc.boolean(),
    steps: fc.array(stepArb(child), { minLength: 0, maxLength: maxSteps }),
    bulk: fc.oneof(
      { weight: 14, arbitrary: fc.constant([]) },
      {
        weight: 1,
        arbitrary: fc.array(
          stepArb(fc.constant(null)).map((step) => ({
            ...step,
            duration: step.duration % 40,
            final: 'Success',
            loops: 1,
            hugeOutput: 0,
            gap: 0,
          })),
          { minLength: 51, maxLength: 110 },
        ),
      },
    ),
    waits: fc.boolean(),
    unknown: fc.option(fc.constantFrom(...UNKNOWN_STATUSES), { freq: 6 }),
    final: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom(...EXECUTION_FINALS) },
      { weight: 1, arbitrary: fc.constant(null) },
    ),
    interrupt: fc.option(
      fc.record({
        kind: fc.constantFrom('cancel' as const, 'alarm' as const),
        atStep: fc.nat(5),
        fraction: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
      }),
      { freq: 4 },
    ),
    alarm: fc.record({
      name: fc.oneof(fc.constantFrom('HighCPU', 'ErrorRate', 'p99-latency'), fc.constantFrom(...ODD_TEXT)),
      unknownAt: fc.option(fc.double({ min: 0, max: 0.9, noNaN: true }), { freq: 5 }),
    }),
    onCancel: fc.option(fc.constantFrom('rollback', 'notify ↩', 'cleanUp'), { freq: 2 }),
    documentName: fc.oneof(
      fc.constantFrom('AWS-RestartEC2Instance', 'Custom-Deploy'),
      fc.constantFrom(...ODD_TEXT),
    ),
  });

/** Child runbooks: short, no children of their own. */
const childPlanArb: fc.Arbitrary<ExecutionPlan> = executionArb(fc.constant(null), 3).map((plan) => ({
  ...plan,
  start: 0,
  bulk: [],
}));

/** Top-level runbooks: about one step in eight runs a child execution. */
const topPlanArb: fc.Arbitrary<ExecutionPlan> = executionArb(
  fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: childPlanArb }),
  5,
);

/** An aws:loop run (`sandbox/loop-run.ts`): a for-each loop over a few items, some failing. */
interface LoopPlan {
  /** Seconds after the scenario start. */
  readonly start: number;
  readonly items: number;
  /** Indexes (modulo the items) of the iterations whose first step fails. */
  readonly failing: readonly number[];
  readonly outcome: string;
  readonly onFailure: 'Continue' | 'Abort';
  /** Seconds each inner step runs. */
  readonly stepSeconds: number;
}

const loopPlanArb: fc.Arbitrary<LoopPlan> = fc.record({
  start: fc.integer({ min: 0, max: 20 }),
  items: fc.integer({ min: 1, max: 12 }),
  failing: fc.array(fc.nat(11), { maxLength: 2 }),
  outcome: fc.constantFrom('Failed', 'TimedOut', 'Cancelled'),
  onFailure: fc.constantFrom('Continue' as const, 'Abort' as const),
  stepSeconds: fc.constantFrom(0.5, 1, 2, 3.5),
});

const rateControlArb: fc.Arbitrary<RateControlPlan> = fc.record({
  start: fc.integer({ min: 0, max: 20 }),
  targets: fc.integer({ min: 2, max: 8 }),
  seed: fc.nat(1_000_000),
  maxConcurrency: fc.integer({ min: 1, max: 4 }),
  maxErrors: fc.option(fc.integer({ min: 0, max: 2 }), { freq: 2 }),
  failureRate: fc.constantFrom(0, 0, 0.3),
  plannedUpFront: fc.boolean(),
});

/** Hands out ids in the shape of a UUID, numbered. */
class Ids {
  #next = 0;

  next(prefix: string): string {
    this.#next++;
    return `${prefix}-0000-4000-8000-${String(this.#next).padStart(12, '0')}`;
  }
}

/** Step names unique within a runbook, as SSM requires: a repeated name gets a number. */
class StepNames {
  readonly #taken = new Set<string>();

  take(name: string): string {
    let unique = name;
    for (let n = 2; this.#taken.has(unique); n++) unique = `${name} ${n}`;
    this.#taken.add(unique);
    return unique;
  }
}

/** How a run stopped before its last step: aborted by a failing step, or cancelled at a time (hundredths). */
type Stop =
  | { readonly kind: 'abort'; readonly status: string; readonly message: string }
  | { readonly kind: 'cancel'; readonly at: number };

/** What laying out one execution gives: it and its children, and how it ends. */
interface Compiled {
  readonly executions: ScenarioExecution[];
  /** Hundredths; null while it never ends. */
  readonly end: number | null;
  readonly final: string | null;
}

/**
 * Lays a run out in time as SSM documents it: every step planned up front (a loop's later
 * iterations made while running), one step after the other; a step that fails with `Abort`, or a
 * cancel, ends the run and the steps after it never run (they stay `Pending`); after a cancel (or
 * its alarm going to `ALARM`) the `onCancel` step runs; a retried step stays `InProgress` across its
 * attempts; an aws:executeAutomation step runs its child from its start to the child's end.
 */
function compileExecution(plan: ExecutionPlan, start: number, parentId: string | null, ids: Ids): Compiled {
  const executionId = ids.next('eeeeeeee');
  const names = new StepNames();
  const timeline: { at: number; status: string; failureMessage?: string }[] = [];
  const steps: ScenarioStep[] = [];
  const children: ScenarioExecution[] = [];
  const executionAlarms: ScenarioAlarm[] = [];
  let cursor = start;
  if (plan.pending) {
    timeline.push({ at: cursor, status: 'Pending' });
    cursor += 20;
  }
  timeline.push({ at: cursor, status: 'InProgress' });

  const all = [...plan.bulk, ...plan.steps];
  const interruptAt = plan.interrupt === null || all.length === 0 ? -1 : plan.interrupt.atStep % all.length;
  /** How the run stopped early: aborted by a failing step, or cancelled at a time. */
  let stopped: Stop | null = null;
  /** Set once a step is left running: the run never ends. */
  let runsForever = false;
  for (const [index, step] of all.entries()) {
    const name = names.take(step.name);
    if (stopped !== null || runsForever) {
      // Never runs: listed up front as Pending, for good.
      steps.push({ id: ids.next('55555555'), name, action: step.action, timeline: [] });
      continue;
    }
    if (index > plan.bulk.length && plan.waits) {
      timeline.push({ at: cursor, status: 'Waiting' });
      cursor += 100;
      timeline.push({ at: cursor, status: 'InProgress' });
    }
    if (index === plan.bulk.length + 1 && plan.unknown) {
      timeline.push({ at: cursor, status: plan.unknown });
      cursor += 50;
      timeline.push({ at: cursor, status: 'InProgress' });
    }
    if (index === interruptAt && plan.interrupt && step.child === null) {
      // Stopped from outside while this step runs: it is cancelled, the run cancels.
      const at = cursor + Math.max(1, Math.floor(step.duration * plan.interrupt.fraction));
      const stepAlarms: ScenarioAlarm[] = [];
      if (plan.interrupt.kind === 'alarm') {
        const alarm = { at: at / 100, name: plan.alarm.name, state: 'ALARM' };
        executionAlarms.push(alarm);
        stepAlarms.push(alarm);
      }
      steps.push({
        id: ids.next('55555555'),
        name,
        action: step.action,
        onFailure: step.onFailure,
        timeline: [
          { at: cursor / 100, status: 'InProgress' },
          { at: at / 100, status: 'Cancelled', failureMessage: `Step cancelled: ${step.message}` },
        ],
        ...(stepAlarms.length > 0 && { alarms: stepAlarms }),
      });
      stopped = { kind: 'cancel', at };
      continue;
    }
    if (step.child) {
      // SSM starts the child when the step starts; the step ends with the child.
      const child = compileExecution(step.child, cursor, executionId, ids);
      children.push(...child.executions);
      const childId = child.executions[0]?.id ?? '';
      const entries: StepTimelineEntry[] = [
        { at: cursor / 100, status: 'InProgress', outputs: { ExecutionId: [childId] } },
      ];
      if (child.end === null || child.final === null) {
        runsForever = true;
      } else {
        const status = stepStatusOfChild(child.final);
        cursor = Math.max(cursor, child.end);
        entries.push({
          at: cursor / 100,
          status,
          outputs: { ExecutionId: [childId], Status: [child.final] },
          ...(status !== 'Success' && { failureMessage: `Child ${childId} ended ${child.final}` }),
        });
        if (status !== 'Success' && step.onFailure === 'Abort') {
          stopped = { kind: 'abort', status: ABORTING[status] ?? 'Failed', message: `Step ${name} failed.` };
        }
      }
      steps.push({
        id: ids.next('55555555'),
        name,
        action: step.action,
        onFailure: step.onFailure,
        maxAttempts: 1,
        inputs: { RuntimeParameters: step.message },
        timeline: entries,
      });
      cursor += step.gap;
      continue;
    }
    for (let loop = 0; loop < step.loops; loop++) {
      steps.push(compileStep(ids.next('55555555'), name, step, cursor, loop));
      cursor += step.duration;
      if (step.final === null) {
        runsForever = true;
        break;
      }
      const aborting = ABORTING[step.final];
      if (aborting !== undefined && step.onFailure === 'Abort') {
        stopped = { kind: 'abort', status: aborting, message: `${step.final}: ${step.message}` };
        break;
      }
    }
    cursor += step.gap;
  }

  // The onCancel step: listed up front after the main steps, runs only after a cancel.
  if (plan.onCancel !== null) {
    const from = stopped?.kind === 'cancel' ? stopped.at : null;
    steps.push({
      id: ids.next('55555555'),
      name: names.take(plan.onCancel),
      action: 'aws:executeScript',
      timeline:
        from === null
          ? []
          : [
              { at: from / 100, status: 'InProgress' },
              { at: (from + 150) / 100, status: 'Success', outputs: { result: ['rolled back'] } },
            ],
    });
  }

  let end: number | null = null;
  let final: string | null = null;
  if (runsForever) {
    // Never ends.
  } else if (stopped?.kind === 'cancel') {
    timeline.push({ at: stopped.at, status: 'Cancelling' });
    end = stopped.at + (plan.onCancel === null ? 40 : 160);
    final = 'Cancelled';
    timeline.push({ at: end, status: final });
  } else if (stopped?.kind === 'abort') {
    end = cursor + 10;
    final = stopped.status;
    timeline.push({ at: end, status: final, failureMessage: stopped.message });
  } else if (plan.final !== null) {
    end = cursor + 10;
    final = plan.final;
    timeline.push({ at: end, status: final });
  }

  // The alarm may show UNKNOWN (missing data) while the run goes on; that does not cancel it.
  if (plan.alarm.unknownAt !== null) {
    const until = stopped?.kind === 'cancel' ? stopped.at : (end ?? cursor + 500);
    const at = start + Math.floor((until - start) * plan.alarm.unknownAt);
    if (at < until) executionAlarms.unshift({ at: at / 100, name: plan.alarm.name, state: 'UNKNOWN' });
  }

  const execution: ScenarioExecution = {
    id: executionId,
    documentName: plan.documentName,
    documentVersion: '1',
    parentId,
    timeline: timeline.map(
      (entry): ExecutionTimelineEntry => ({
        at: entry.at / 100,
        status: entry.status,
        ...(entry.failureMessage !== undefined && { failureMessage: entry.failureMessage }),
      }),
    ),
    ...(executionAlarms.length > 0 && { alarms: executionAlarms }),
    steps,
  };
  return { executions: [execution, ...children], end, final };
}

/** The status of an aws:executeAutomation step whose child ended in `final`. */
function stepStatusOfChild(final: string): string {
  if (final === 'Success' || final === 'CompletedWithSuccess') return 'Success';
  if (final === 'TimedOut' || final === 'Cancelled') return final;
  return 'Failed';
}

/** One step (or one loop iteration) starting at `start` hundredths; only the first iteration is planned. */
function compileStep(
  stepId: string,
  name: string,
  plan: StepPlan,
  start: number,
  loop: number,
): ScenarioStep {
  const end = start + plan.duration;
  const statuses: { status: string; failureMessage?: string }[] = [{ status: 'InProgress' }];
  // A retried step stays InProgress: one record, a new failure message each attempt.
  for (let r = 1; r <= plan.retries; r++) {
    statuses.push({ status: 'InProgress', failureMessage: `attempt ${r} failed: ${plan.message}` });
  }
  for (let w = 0; w < plan.waits; w++) statuses.push({ status: 'Waiting' }, { status: 'InProgress' });
  if (plan.unknown) statuses.push({ status: plan.unknown }, { status: 'InProgress' });
  const finalEntry = plan.final === null ? null : finalFields(plan, name);
  // Entries spread evenly over the step's running time; the final one at its end.
  const count = statuses.length + (finalEntry ? 1 : 0);
  const timeline: StepTimelineEntry[] = statuses.map((s, i) => ({
    at: (start + Math.floor((plan.duration * i) / Math.max(1, count))) / 100,
    status: s.status,
    ...(s.failureMessage !== undefined && { failureMessage: s.failureMessage }),
  }));
  if (finalEntry) timeline.push({ ...finalEntry, at: end / 100 });
  return {
    id: stepId,
    name,
    action: plan.action,
    maxAttempts: plan.retries + 1,
    onFailure: plan.onFailure,
    isCritical: loop === 0,
    inputs: { Iteration: String(loop), Message: plan.message },
    timeline,
    // A loop's later iterations are made while it runs: SSM does not list them up front.
    ...(loop > 0 && { plannedUpFront: false }),
  };
}

function finalFields(plan: StepPlan, name: string): StepTimelineEntry {
  const status = plan.final ?? 'Success';
  const outputs: Record<string, string[]> = { result: [plan.message] };
  // Multi-byte characters so truncation has to cut on a character boundary.
  if (plan.hugeOutput > 0) outputs.huge = ['é🚀'.repeat(Math.ceil(plan.hugeOutput / 6))];
  const failed = status !== 'Success';
  const failureMessage =
    plan.retries > 0 ? `Step ${name} failed maximum allowed times.` : `${status}: ${plan.message}`;
  return {
    at: 0,
    status,
    outputs,
    ...(failed && {
      failureMessage,
      failureDetails: {
        FailureStage: 'Execution',
        FailureType: 'Verification',
        Details: { why: [plan.message] },
      },
      responseCode: '500',
    }),
    response: failed ? plan.message : 'ok',
  };
}

/** A rate-control parent and its children, from `sandbox/rate-control.ts`. */
function compileRateControl(plan: RateControlPlan, ids: Ids): ScenarioExecution[] {
  return rateControlRun({
    parentId: ids.next('cccccccc'),
    targets: rateControlTargets(plan.targets, plan.seed, {
      minSeconds: 0.5,
      maxSeconds: 8,
      failureRate: plan.failureRate,
    }),
    maxConcurrency: plan.maxConcurrency,
    ...(plan.maxErrors !== null && { maxErrors: plan.maxErrors }),
    startAt: plan.start,
    parentStepsPlannedUpFront: plan.plannedUpFront,
  });
}

/** An aws:loop execution, from `sandbox/loop-run.ts`. */
function compileLoop(plan: LoopPlan, ids: Ids): ScenarioExecution {
  const failing = new Set(plan.failing.map((i) => i % plan.items));
  const items = loopItems(plan.items).map((value, i): string | LoopItem =>
    failing.has(i) ? { value, outcome: plan.outcome } : value,
  );
  return loopRun({
    executionId: ids.next('aaaaaaaa'),
    items,
    startAt: plan.start,
    stepSeconds: plan.stepSeconds,
    onFailure: plan.onFailure,
  });
}

/** Lays the plans out in time and numbers the ids, giving a valid scenario. */
export function compileScenario(
  plans: readonly ExecutionPlan[],
  rateControl: RateControlPlan | null,
  loop: LoopPlan | null = null,
): Scenario {
  const ids = new Ids();
  const executions: ScenarioExecution[] = [];
  for (const plan of plans) executions.push(...compileExecution(plan, plan.start, null, ids).executions);
  if (rateControl) executions.push(...compileRateControl(rateControl, ids));
  if (loop) executions.push(compileLoop(loop, ids));
  return { name: 'generated', executions };
}

/** Whether a scenario has an aws:loop whose iterations SSM shows with `ParentStepDetails`. */
export function hasLoop(scenario: Scenario): boolean {
  return scenario.executions.some((e) => e.steps.some((s) => s.loopIteration !== undefined));
}

/**
 * The loop switches ({@link LOOP_BEHAVIOUR_SWITCHES}, kept out of the main matrix), drawn for a
 * scenario with a loop; a scenario without one keeps the behaviour as it is (they change nothing).
 */
function withLoopSwitches(behaviour: SsmBehaviour, scenario: Scenario): fc.Arbitrary<SsmBehaviour> {
  if (!hasLoop(scenario)) return fc.constant(behaviour);
  return fc
    .record({
      loopStepListing: fc.constantFrom(...LOOP_BEHAVIOUR_SWITCHES.loopStepListing),
      loopIterationBase: fc.constantFrom(...LOOP_BEHAVIOUR_SWITCHES.loopIterationBase),
    })
    .map((loops) => resolveBehaviour({ ...behaviour, ...loops }));
}

/** The last time anything changes in a scenario, in seconds. */
export function lastChange(scenario: Scenario): number {
  let end = 0;
  for (const e of scenario.executions) {
    for (const t of [...e.timeline, ...(e.alarms ?? [])]) end = Math.max(end, t.at);
    for (const s of e.steps) for (const t of [...s.timeline, ...(s.alarms ?? [])]) end = Math.max(end, t.at);
  }
  return end;
}

/**
 * Scenarios of one to three runbook runs (sequential steps planned up front, loops, retries, waits,
 * cancels and alarms, children run by aws:executeAutomation steps), often a rate-control run, and in
 * about a quarter an aws:loop run (`loopRun`: iterations with `ParentStepDetails`).
 */
export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    plans: fc.array(topPlanArb, { minLength: 1, maxLength: 3 }),
    rateControl: fc.option(rateControlArb, { freq: 3 }),
    loop: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: loopPlanArb }),
  })
  .map(({ plans, rateControl, loop }) => compileScenario(plans, rateControl, loop));

const ssmFaultArb: fc.Arbitrary<CycleFault> = fc.oneof(
  // A throttling storm: more throttles in a row than the SDK retries.
  fc
    .integer({ min: 3, max: 12 })
    .map((n): CycleFault => ({ kind: 'ssm', calls: Array<FaultKind>(n).fill('throttle') })),
  fc
    .array(fc.constantFrom<FaultKind>('throttle', 'internal', 'reset', 'ok', 'ok'), {
      minLength: 1,
      maxLength: 8,
    })
    .map((calls): CycleFault => ({ kind: 'ssm', calls })),
);

const dynamoFaultArb: fc.Arbitrary<CycleFault> = fc.record({
  kind: fc.constant('dynamo' as const),
  calls: fc.array(
    fc.constantFrom<DynamoFaultKind>(
      'internal',
      'throughput',
      'throttling',
      'reset',
      'lostReply',
      'ok',
      'ok',
    ),
    { minLength: 1, maxLength: 6 },
  ),
  writesOnly: fc.boolean(),
});

/**
 * Optional fields SSM may leave out. Start times stay: an event id includes the step's start time,
 * and SSM does not drop it from a step it showed with one.
 */
const DROPPABLE = [
  'ExecutionEndTime',
  'Outputs',
  'Inputs',
  'Action',
  'OnFailure',
  'FailureMessage',
  'FailureDetails',
  'Response',
  'ResponseCode',
  'TargetLocation',
  'DocumentVersion',
  'DocumentName',
  'ParentAutomationExecutionId',
] as const;

/** One fault of any kind. */
export const cycleFaultArb: fc.Arbitrary<CycleFault> = fc.oneof(
  ssmFaultArb,
  fc.record({
    kind: fc.constant('ssmPartial' as const),
    drop: fc.subarray([...DROPPABLE], { minLength: 1 }),
  }),
  dynamoFaultArb,
  fc.record({
    kind: fc.constant('putEventsPartial' as const),
    entries: fc.integer({ min: 1, max: 12 }),
    errorCode: fc.constantFrom('InternalFailure', 'ThrottlingException'),
  }),
  fc.constant({ kind: 'putEventsOutage' as const }),
  fc.record({ kind: fc.constant('crash' as const), afterSideEffects: fc.integer({ min: 0, max: 14 }) }),
  fc.record({ kind: fc.constant('deadline' as const), afterClockReads: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('maxExecutions' as const), count: fc.integer({ min: 0, max: 2 }) }),
  fc
    .record({
      kind: fc.constant('rival' as const),
      leased: fc.boolean(),
      startAfterCalls: fc.integer({ min: 0, max: 24 }),
      stallFor: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
      advanceSeconds: fc.oneof(fc.constant(0), fc.double({ min: 0.1, max: 6, noNaN: true })),
    })
    .map((rival) => (rival.leased ? rival : { ...rival, advanceSeconds: 0 })),
);

/**
 * Cases under one switch combination, or under combinations drawn by `behaviour`: a scenario, a poll
 * schedule over it, and faults in about a third of the cycles.
 */
export function faultCaseArbFor(
  behaviour: SsmBehaviour | fc.Arbitrary<SsmBehaviour>,
): fc.Arbitrary<FaultCase> {
  const behaviours = behaviour instanceof fc.Arbitrary ? behaviour : fc.constant(behaviour);
  return fc.tuple(behaviours, scenarioArb).chain(([base, scenario]) => {
    const end = lastChange(scenario);
    return fc
      .record({
        drawn: withLoopSwitches(base, scenario),
        first: fc.double({ min: 0.05, max: 4, noNaN: true }),
        interval: fc.double({ min: 1.5, max: 8, noNaN: true }),
      })
      .chain(({ drawn, first, interval }) => {
        const pollSeconds: number[] = [];
        for (let t = first; t <= end + interval && pollSeconds.length < 24; t += interval)
          pollSeconds.push(t);
        return fc
          .array(
            fc.oneof(
              { weight: 2, arbitrary: fc.constant<CycleFault[]>([]) },
              { weight: 1, arbitrary: fc.array(cycleFaultArb, { minLength: 1, maxLength: 2 }) },
            ),
            { minLength: pollSeconds.length, maxLength: pollSeconds.length },
          )
          .map((faults) => ({ scenario, behaviour: drawn, pollSeconds, faults, intervalSeconds: interval }));
      });
  });
}

/** Cases under a switch combination drawn switch by switch ({@link behaviourArb}). */
export const faultCaseArb: fc.Arbitrary<FaultCase> = faultCaseArbFor(behaviourArb);

// ---------------------------------------------------------------------------------------------
// Shapes that span cycles: a huge execution, a backlog; cycles on a budget, killed near their deadline.
// ---------------------------------------------------------------------------------------------

/** What a chaos scenario adds to the generated one: nothing, a huge execution, or a backlog. */
export type CaseShape = 'plain' | 'huge' | 'backlog';

/** The shapes, in the order chaos reports them. */
export const CASE_SHAPES: readonly CaseShape[] = ['plain', 'huge', 'backlog'];

/** Of every this-many chaos scenarios (by index), one gets a huge execution and one a backlog. */
export const SHAPED_EVERY = 5;

/**
 * The shape of the chaos scenario of global index `index`. Hinted scenarios ({@link hintPlanFor}) stay
 * plain: hints would serve a backlog's executions during the outage, and a huge execution's thousands
 * of native events would each wake a targeted read. So every other scenario keeps the case (and hint
 * plan) it had before shapes existed.
 */
export function shapeFor(index: number): CaseShape {
  if (index % HINTED_EVERY === 0) return 'plain';
  if (index % SHAPED_EVERY === 2) return 'huge';
  if (index % SHAPED_EVERY === 4) return 'backlog';
  return 'plain';
}

/** An inclusive range of whole numbers. */
export interface CountRange {
  readonly min: number;
  readonly max: number;
}

/** Sizes of the huge execution {@link hugeCaseArbFor} adds. */
export interface HugeSizes {
  /** Steps of a sequential runbook run (`sandbox/sequential-runbook.ts`). @default 800–3,000 */
  readonly steps?: CountRange;
  /**
   * Targets of a rate-control run (`sandbox/rate-control.ts`), drawn instead in one case in four;
   * null: sequential runs only. @default 200–600
   */
  readonly targets?: CountRange | null;
  /** The cycle budget; drawn when absent (3–5 SSM calls a second, 1.5–2.5 s). */
  readonly budget?: CycleBudget;
}

/** Seconds the huge sequential run lasts at most: the schedule covers it with cycles. */
const HUGE_RUN_SECONDS = 200;
/** Scheduled cycles of a shaped case at most (a plain case has at most 24). */
const SHAPED_MAX_CYCLES = 60;

/** One fault of any kind, or, more often, a kill between half the cycle's budget and its deadline. */
const budgetedFaultArb: fc.Arbitrary<CycleFault> = fc.oneof(
  { weight: 3, arbitrary: cycleFaultArb },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('kill' as const),
      at: fc.double({ min: 0.5, max: 1, noNaN: true, maxExcluded: true }),
    }),
  },
);

/** Faults for `cycles` budgeted cycles: none in about two cycles of three. */
function budgetedFaultsArb(cycles: number): fc.Arbitrary<CycleFault[][]> {
  return fc.array(
    fc.oneof(
      { weight: 2, arbitrary: fc.constant<CycleFault[]>([]) },
      { weight: 1, arbitrary: fc.array(budgetedFaultArb, { minLength: 1, maxLength: 2 }) },
    ),
    { minLength: cycles, maxLength: cycles },
  );
}

const sequentialEndingArb = (steps: number): fc.Arbitrary<SequentialEnding> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant<SequentialEnding>({ kind: 'success' }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constantFrom('failure' as const, 'cancel' as const, 'alarm' as const),
        atStep: fc.integer({ min: Math.floor(steps / 2), max: steps - 1 }),
      }),
    },
  );

/** The huge execution (and, for a rate-control run, its children), with ids that cannot meet the generated ones. */
const hugeExecutionsArb = (sizes: HugeSizes): fc.Arbitrary<ScenarioExecution[]> => {
  const steps = sizes.steps ?? { min: 800, max: 3000 };
  const sequential = fc
    .record({
      seed: fc.nat(1_000_000),
      steps: fc.integer(steps),
      stepSeconds: fc.double({ min: 0.05, max: 0.2, noNaN: true }),
      startAt: fc.double({ min: 0, max: 10, noNaN: true }),
    })
    .chain((run) =>
      sequentialEndingArb(run.steps).map((ending) => [
        sequentialRun({
          executionId: idFromSeed(`chaos/huge/${run.seed}`),
          steps: run.steps,
          ending,
          // Short steps, and no longer in all than the schedule covers.
          stepSeconds: Math.round(Math.min(run.stepSeconds, HUGE_RUN_SECONDS / run.steps) * 1000) / 1000,
          startAt: Math.round(run.startAt * 1000) / 1000,
          documentName: 'Custom-HugeRunbook',
        }),
      ]),
    );
  const targets = sizes.targets === undefined ? { min: 200, max: 600 } : sizes.targets;
  if (targets === null) return sequential;
  const rateControl = fc
    .record({
      seed: fc.nat(1_000_000),
      targets: fc.integer(targets),
      maxConcurrency: fc.integer({ min: 8, max: 16 }),
      failureRate: fc.constantFrom(0, 0.05),
      startAt: fc.integer({ min: 0, max: 10 }),
      plannedUpFront: fc.boolean(),
    })
    .map((run) =>
      rateControlRun({
        parentId: idFromSeed(`chaos/huge-rate-control/${run.seed}`),
        targets: rateControlTargets(run.targets, run.seed, {
          minSeconds: 1,
          maxSeconds: 4,
          failureRate: run.failureRate,
        }),
        maxConcurrency: run.maxConcurrency,
        startAt: run.startAt,
        parentStepsPlannedUpFront: run.plannedUpFront,
      }),
    );
  return fc.oneof({ weight: 3, arbitrary: sequential }, { weight: 1, arbitrary: rateControl });
};

/** A budget drawn for a huge execution: few enough calls a cycle that its listing spans cycles. */
const hugeBudgetArb: fc.Arbitrary<CycleBudget> = fc.record({
  tps: fc.integer({ min: 3, max: 5 }),
  seconds: fc.double({ min: 1.5, max: 2.5, noNaN: true }).map((s) => Math.round(s * 100) / 100),
});

/**
 * Cases with one huge execution besides the generated ones: a sequential run of 800–3,000 short
 * steps or a rate-control run of 200–600 targets, polled every 4–7 s by cycles on a budget of a few
 * SSM calls a second and a deadline 1.5–2.5 s after their start (on the run's clock), so its listing
 * is read a chunk at a time over several cycles; faults (kills among them) in about a third of the
 * cycles.
 */
export function hugeCaseArbFor(
  behaviour: SsmBehaviour | fc.Arbitrary<SsmBehaviour>,
  sizes: HugeSizes = {},
): fc.Arbitrary<FaultCase> {
  return fc
    .record({
      base: faultCaseArbFor(behaviour),
      huge: hugeExecutionsArb(sizes),
      budget: sizes.budget ? fc.constant(sizes.budget) : hugeBudgetArb,
      first: fc.double({ min: 0.05, max: 4, noNaN: true }),
      interval: fc.double({ min: 4, max: 7, noNaN: true }),
    })
    .chain(({ base, huge, budget, first, interval }) => {
      const scenario: Scenario = { ...base.scenario, executions: [...base.scenario.executions, ...huge] };
      const end = lastChange(scenario);
      const pollSeconds: number[] = [];
      for (let t = first; t <= end + interval && pollSeconds.length < SHAPED_MAX_CYCLES; t += interval)
        pollSeconds.push(t);
      return shapedCase(base, scenario, pollSeconds, interval, budget);
    });
}

/** A shaped case (huge executions, a backlog): its scenario polled at `pollSeconds`, faults drawn per cycle. */
function shapedCase(
  base: FaultCase,
  scenario: Scenario,
  pollSeconds: number[],
  interval: number,
  budget: NonNullable<FaultCase['budget']>,
): fc.Arbitrary<FaultCase> {
  return budgetedFaultsArb(pollSeconds.length).map(
    (faults): FaultCase => ({
      scenario,
      behaviour: base.behaviour,
      pollSeconds,
      faults,
      intervalSeconds: interval,
      budget,
    }),
  );
}

/** Sizes of the backlog {@link backlogCaseArbFor} adds. */
export interface BacklogSizes {
  /** Small executions that start and end while the poller is down. @default 200–600 */
  readonly executions?: CountRange;
}

/**
 * Cases with a backlog: the poller runs a first cycle early, then none (an outage) while 200–600
 * small executions (1–3 steps) start and end, then every 4–8 s again, on a budget of 10–20 SSM calls a
 * second and 1.5–2.4 s, so the backlog is listed window by window over several cycles; the generated
 * executions run as well. Faults (kills among them) in about a third of the cycles.
 */
export function backlogCaseArbFor(
  behaviour: SsmBehaviour | fc.Arbitrary<SsmBehaviour>,
  sizes: BacklogSizes = {},
): fc.Arbitrary<FaultCase> {
  return fc
    .record({
      base: faultCaseArbFor(behaviour),
      seed: fc.nat(1_000_000),
      count: fc.integer(sizes.executions ?? { min: 200, max: 600 }),
      first: fc.double({ min: 0.05, max: 2, noNaN: true }),
      outageSeconds: fc.integer({ min: 60, max: 240 }),
      interval: fc.double({ min: 4, max: 8, noNaN: true }),
      budget: fc.record({
        tps: fc.integer({ min: 10, max: 20 }),
        seconds: fc.double({ min: 1.5, max: 2.4, noNaN: true }).map((s) => Math.round(s * 100) / 100),
      }),
      cyclesAfter: fc.integer({ min: 4, max: 12 }),
    })
    .chain(({ base, seed, count, first, outageSeconds, interval, budget, cyclesAfter }) => {
      const resume = first + outageSeconds;
      const backlog = backlogExecutions(seed, count, first + 1, resume - 1);
      const scenario: Scenario = {
        ...base.scenario,
        executions: [...base.scenario.executions, ...backlog],
      };
      const end = Math.max(lastChange(scenario), resume);
      const pollSeconds = [first];
      for (let t = resume; pollSeconds.length <= cyclesAfter || t <= end + interval; t += interval) {
        if (pollSeconds.length >= SHAPED_MAX_CYCLES) break;
        pollSeconds.push(t);
      }
      return shapedCase(base, scenario, pollSeconds, interval, budget);
    });
}

/**
 * `count` small sequential runs (1–3 steps of 0.5–3 s, one in ten failing) that start and end
 * between `from` and `until` seconds, drawn from `seed`.
 */
function backlogExecutions(seed: number, count: number, from: number, until: number): ScenarioExecution[] {
  const draw = lcg(seed);
  return Array.from({ length: count }, (_, i) => {
    const steps = 1 + Math.floor(draw() * 3);
    const stepSeconds = Math.round((0.5 + draw() * 2.5) * 1000) / 1000;
    const latest = Math.max(from, until - steps * stepSeconds - 1);
    const startAt = Math.round((from + draw() * (latest - from)) * 1000) / 1000;
    const ending: SequentialEnding =
      draw() < 0.1 ? { kind: 'failure', atStep: Math.floor(draw() * steps) } : { kind: 'success' };
    return sequentialRun({
      executionId: idFromSeed(`chaos/backlog/${seed}/${i}`),
      steps,
      stepSeconds,
      startAt,
      ending,
      documentName: 'Custom-BacklogRunbook',
    });
  });
}

/** Deterministic numbers in [0, 1) from a seed (a linear congruential generator). */
function lcg(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The case of a shape: {@link faultCaseArbFor}, {@link hugeCaseArbFor} or {@link backlogCaseArbFor}. */
export function caseArbOfShape(
  behaviour: SsmBehaviour | fc.Arbitrary<SsmBehaviour>,
  shape: CaseShape,
): fc.Arbitrary<FaultCase> {
  if (shape === 'huge') return hugeCaseArbFor(behaviour);
  if (shape === 'backlog') return backlogCaseArbFor(behaviour);
  return faultCaseArbFor(behaviour);
}
