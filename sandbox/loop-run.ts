// Builds an aws:loop automation as SSM shows it: a loop step, and each iteration's steps as step executions of their own.
import { ScenarioError } from './errors';
import {
  LOOP_ACTION,
  SCENARIO_ID_LENGTH,
  SCENARIO_MAX_LOOP_ITERATIONS,
  type ScenarioExecution,
  type ScenarioStep,
} from './scenario';
import { idFromSeed } from './ssm-behaviour';

/** One item of the loop's `Iterators`, and how its iteration goes. */
export interface LoopItem {
  /** The item, e.g. an instance id; the iteration's steps show it as `ParentStepDetails.IteratorValue`. */
  readonly value: string;
  /**
   * The final status of the iteration's first step, e.g. `Failed`, `TimedOut` or `Cancelled`.
   * @default 'Success'
   */
  readonly outcome?: string;
}

/** A step inside the loop, run once per iteration. */
export interface LoopInnerStep {
  readonly name: string;
  readonly action: string;
}

/** Options of {@link loopRun}. */
export interface LoopRunOptions {
  /** The execution's `AutomationExecutionId` (36 characters); every step id is derived from it. */
  readonly executionId: string;
  /** The loop's `Iterators`, in order: 1 to 100 items (a string is an item that succeeds). */
  readonly items: readonly (string | LoopItem)[];
  /** Seconds from the scenario start at which the execution starts. @default 0 */
  readonly startAt?: number;
  /** @default 'StopInstancesOneByOne' */
  readonly documentName?: string;
  /** The `aws:loop` step's name. @default 'stopAllInstancesWithWaitTime' (the actions reference's example) */
  readonly loopStepName?: string;
  /**
   * The steps inside the loop, run one after the other in each iteration.
   * @default the actions reference's example: stopOneInstance (aws:changeInstanceState), wait10Seconds (aws:sleep)
   */
  readonly innerSteps?: readonly LoopInnerStep[];
  /** Seconds each inner step runs, > 0. @default 2 */
  readonly stepSeconds?: number;
  /**
   * `onFailure` of the inner steps (the loop inherits it): `Continue` runs the rest of the iteration
   * and every later one after a failed step; `Abort` stops there, the steps left never run (and
   * stay `Pending` where SSM lists them before they start).
   * @default 'Continue'
   */
  readonly onFailure?: 'Continue' | 'Abort';
}

/** The actions reference's `for each` example. */
const STOP_INSTANCES_STEPS: readonly LoopInnerStep[] = [
  { name: 'stopOneInstance', action: 'aws:changeInstanceState' },
  { name: 'wait10Seconds', action: 'aws:sleep' },
];

/** Seconds the step before the loop (which lists the items) runs. */
const DESCRIBE_SECONDS = 1;

/** Keeps times exact enough for JSON and readable: whole milliseconds. */
function ms(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function invalid(option: string, problem: string): never {
  throw new ScenarioError(`loopRun: ${option} ${problem}`);
}

function validate(options: LoopRunOptions): void {
  if (options.executionId.length !== SCENARIO_ID_LENGTH) {
    invalid(
      'executionId',
      `must be ${SCENARIO_ID_LENGTH} characters long (got ${options.executionId.length}).`,
    );
  }
  const { items, startAt, stepSeconds, innerSteps, onFailure } = options;
  if (items.length === 0 || items.length > SCENARIO_MAX_LOOP_ITERATIONS) {
    invalid('items', `must hold 1 to ${SCENARIO_MAX_LOOP_ITERATIONS} items (got ${items.length}).`);
  }
  items.forEach((item, i) => {
    const value = typeof item === 'string' ? item : item.value;
    if (typeof value !== 'string' || value === '') invalid(`items[${i}]`, 'must be a non-empty string.');
    if (typeof item !== 'string' && item.outcome !== undefined && item.outcome === '') {
      invalid(`items[${i}].outcome`, 'must be a non-empty status.');
    }
  });
  if (startAt !== undefined && !(Number.isFinite(startAt) && startAt >= 0)) {
    invalid('startAt', `must be a number of seconds >= 0 (got ${startAt}).`);
  }
  if (stepSeconds !== undefined && !(Number.isFinite(stepSeconds) && stepSeconds > 0)) {
    invalid('stepSeconds', `must be a number > 0 (got ${stepSeconds}).`);
  }
  if (innerSteps !== undefined && innerSteps.length === 0) invalid('innerSteps', 'must not be empty.');
  if (onFailure !== undefined && onFailure !== 'Continue' && onFailure !== 'Abort') {
    invalid('onFailure', `must be 'Continue' or 'Abort' (got ${String(onFailure)}).`);
  }
}

/**
 * `count` distinct EC2 instance ids (`i-` and 17 hex digits), in order, for a loop's items.
 */
export function loopItems(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `i-${(i + 1).toString(16).padStart(17, '0')}`);
}

/**
 * One `for each` loop execution, as the actions reference's example runs it: a step that lists the
 * items (`DescribeInstancesStep`, `aws:executeAwsApi`, its `InstanceIds` output), then an `aws:loop`
 * step over them. Each iteration runs the inner steps one after the other, each a step execution of
 * its own (its own id, the same name in every iteration) with `loopIteration` naming the loop step
 * and the iteration; the simulator shows them with `ParentStepDetails`.
 *
 * The final statuses are the builder's choice (SSM documents none for a loop with failed
 * iterations): the loop step and the execution end `Success` if every iteration's first step
 * succeeded, else `Failed`, like `rateControlRun`.
 *
 * @example
 * ```ts
 * const execution = loopRun({
 *   executionId: idFromSeed('loop'),
 *   items: ['i-1', { value: 'i-2', outcome: 'Failed' }, 'i-3'],
 * });
 * const sim = new SsmSimulator({ scenario: { name: 'loop', executions: [execution] }, startEpochMs });
 * ```
 * @throws {@link ScenarioError} naming the first bad option
 */
export function loopRun(options: LoopRunOptions): ScenarioExecution {
  validate(options);
  const startAt = options.startAt ?? 0;
  const stepSeconds = options.stepSeconds ?? 2;
  const innerSteps = options.innerSteps ?? STOP_INSTANCES_STEPS;
  const onFailure = options.onFailure ?? 'Continue';
  const items = options.items.map((item) =>
    typeof item === 'string'
      ? { value: item, outcome: 'Success' }
      : { value: item.value, outcome: item.outcome ?? 'Success' },
  );
  const id = (part: string): string => idFromSeed(`${options.executionId}:loop-run:${part}`);
  const values = items.map((item) => item.value);

  const describeStep: ScenarioStep = {
    id: id('describe'),
    name: 'DescribeInstancesStep',
    action: 'aws:executeAwsApi',
    timeline: [
      { at: ms(startAt), status: 'InProgress' },
      { at: ms(startAt + DESCRIBE_SECONDS), status: 'Success', outputs: { InstanceIds: values } },
    ],
  };
  const loopId = id('loop');
  const loopStart = startAt + DESCRIBE_SECONDS;
  const iterationSeconds = stepSeconds * innerSteps.length;

  const inner: ScenarioStep[] = [];
  let end = loopStart;
  let failed = false;
  let aborted = false;
  items.forEach((item, index) => {
    innerSteps.forEach((definition, position) => {
      const start = loopStart + index * iterationSeconds + position * stepSeconds;
      const fails = position === 0 && item.outcome !== 'Success';
      const runs = !aborted;
      if (runs) end = start + stepSeconds;
      inner.push({
        id: id(`${index}:${position}`),
        name: definition.name,
        action: definition.action,
        onFailure,
        loopIteration: { loopStepId: loopId, index },
        timeline: runs
          ? [
              { at: ms(start), status: 'InProgress' },
              {
                at: ms(start + stepSeconds),
                status: fails ? item.outcome : 'Success',
                ...(fails ? { failureMessage: `Step ${definition.name} failed for ${item.value}.` } : {}),
              },
            ]
          : [],
      });
      if (runs && fails) {
        failed = true;
        if (onFailure === 'Abort') aborted = true;
      }
    });
  });

  const finalStatus = failed ? 'Failed' : 'Success';
  const loopStep: ScenarioStep = {
    id: loopId,
    name: options.loopStepName ?? 'stopAllInstancesWithWaitTime',
    action: LOOP_ACTION,
    loop: { iterators: values },
    timeline: [
      { at: ms(loopStart), status: 'InProgress' },
      { at: ms(end), status: finalStatus },
    ],
  };
  return {
    id: options.executionId,
    documentName: options.documentName ?? 'StopInstancesOneByOne',
    documentVersion: '1',
    parentId: null,
    timeline: [
      { at: ms(startAt), status: 'InProgress' },
      {
        at: ms(end),
        status: finalStatus,
        ...(failed ? { failureMessage: `Step ${loopStep.name} failed.` } : {}),
      },
    ],
    steps: [describeStep, loopStep, ...inner],
  };
}
