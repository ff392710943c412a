// Builds a sequential runbook run as SSM documents it: every step listed up front, Pending until it starts or for good.
import { ScenarioError } from './errors';
import {
  SCENARIO_ID_LENGTH,
  type ScenarioAlarm,
  type ScenarioExecution,
  type ScenarioStep,
  type StepTimelineEntry,
} from './scenario';
import { idFromSeed } from './ssm-behaviour';

/** A step of the runbook. */
export interface RunbookStep {
  readonly name: string;
  readonly action: string;
}

/**
 * How the run ends. `failure`: the step at `atStep` (0-based) fails after `attempts` tries (it stays
 * `InProgress` across them: one record), the execution fails, later steps stay `Pending`.
 * `cancel`: the execution is stopped while `atStep` runs; that step is `Cancelled`, the
 * `onCancelStep` (if any) runs, later steps stay `Pending`. `alarm`: as `cancel`, caused by an
 * execution-level alarm going to `ALARM`.
 */
export type SequentialEnding =
  | { readonly kind: 'success' }
  | { readonly kind: 'failure'; readonly atStep: number; readonly attempts?: number }
  | { readonly kind: 'cancel'; readonly atStep: number }
  | { readonly kind: 'alarm'; readonly atStep: number; readonly alarmName?: string };

/** Options of {@link sequentialRun}. */
export interface SequentialRunOptions {
  /** The `AutomationExecutionId` (36 characters); step ids are derived from it. */
  readonly executionId: string;
  /** The runbook's main steps, or a count of `aws:runCommand` steps named `step1`, `step2`, … */
  readonly steps: number | readonly RunbookStep[];
  /** @default { kind: 'success' } */
  readonly ending?: SequentialEnding;
  /**
   * A step the runbook's `onCancel` points to, listed up front after the main steps: it runs only
   * after a cancel or an alarm, and otherwise stays `Pending` for good (a branch never taken).
   */
  readonly onCancelStep?: RunbookStep;
  /** Seconds from the scenario start at which the execution starts. @default 0 */
  readonly startAt?: number;
  /** Seconds each step (and each attempt) takes, > 0. @default 5 */
  readonly stepSeconds?: number;
  /** @default 'Custom-SequentialRunbook' */
  readonly documentName?: string;
}

function invalid(option: string, problem: string): never {
  throw new ScenarioError(`sequentialRun: ${option} ${problem}`);
}

/** Keeps times exact enough for JSON and readable: whole milliseconds. */
function ms(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function runbookSteps(steps: SequentialRunOptions['steps']): readonly RunbookStep[] {
  if (typeof steps !== 'number') return steps;
  if (!(Number.isInteger(steps) && steps >= 1)) invalid('steps', `must be an integer >= 1 (got ${steps}).`);
  return Array.from({ length: steps }, (_, i) => ({ name: `step${i + 1}`, action: 'aws:runCommand' }));
}

/**
 * One execution of a sequential runbook, modelled on SSM's documented behaviour: every step is
 * planned up front (listed as `Pending` without start time until it starts); steps that never run —
 * after a failure or a cancel, or an `onCancel` step on a run that was not cancelled — stay
 * `Pending` after the run ends; a retried step is one record that stays `InProgress` until its last
 * attempt fails ("Step … failed maximum allowed times."); an alarm in `ALARM` cancels the run and its
 * `onCancel` step runs. Pure and deterministic.
 *
 * @throws {@link ScenarioError} naming the bad option
 *
 * @example
 * ```ts
 * const run = sequentialRun({ executionId, steps: 14, ending: { kind: 'cancel', atStep: 3 } });
 * // 3 Success, 1 Cancelled, 10 Pending — the captured AWS-UpdateWindowsAmi output
 * ```
 */
export function sequentialRun(options: SequentialRunOptions): ScenarioExecution {
  const { executionId, onCancelStep } = options;
  if (executionId.length !== SCENARIO_ID_LENGTH) {
    invalid('executionId', `must be ${SCENARIO_ID_LENGTH} characters long (got ${executionId.length}).`);
  }
  const steps = runbookSteps(options.steps);
  if (steps.length === 0) invalid('steps', 'must not be empty.');
  const ending = options.ending ?? { kind: 'success' };
  const startAt = options.startAt ?? 0;
  const stepSeconds = options.stepSeconds ?? 5;
  if (!(Number.isFinite(startAt) && startAt >= 0)) invalid('startAt', `must be >= 0 (got ${startAt}).`);
  if (!(Number.isFinite(stepSeconds) && stepSeconds > 0)) {
    invalid('stepSeconds', `must be > 0 (got ${stepSeconds}).`);
  }
  const stopAt = ending.kind === 'success' ? steps.length : ending.atStep;
  if (
    !(Number.isInteger(stopAt) && stopAt >= 0 && stopAt < steps.length + (ending.kind === 'success' ? 1 : 0))
  ) {
    invalid('ending.atStep', `must be an integer from 0 to ${steps.length - 1} (got ${stopAt}).`);
  }
  const attempts = ending.kind === 'failure' ? (ending.attempts ?? 1) : 1;
  if (!(Number.isInteger(attempts) && attempts >= 1)) {
    invalid('ending.attempts', `must be an integer >= 1 (got ${attempts}).`);
  }

  const startOf = (i: number): number => ms(startAt + i * stepSeconds);
  const stepId = (i: number): string => idFromSeed(`${executionId}/step/${i}`);
  const mainSteps: ScenarioStep[] = steps.map((step, i) => {
    const base = { id: stepId(i), name: step.name, action: step.action };
    if (i < stopAt) {
      return {
        ...base,
        timeline: [
          { at: startOf(i), status: 'InProgress' },
          { at: startOf(i + 1), status: 'Success' },
        ],
      };
    }
    if (i > stopAt || ending.kind === 'success') return { ...base, timeline: [] };
    if (ending.kind === 'failure') {
      const message = `Step ${step.name} failed maximum allowed times.`;
      return {
        ...base,
        maxAttempts: attempts,
        timeline: [
          { at: startOf(i), status: 'InProgress' },
          { at: ms(startOf(i) + attempts * stepSeconds), status: 'Failed', failureMessage: message },
        ],
      };
    }
    const cancelled: StepTimelineEntry[] = [
      { at: startOf(i), status: 'InProgress' },
      { at: ms(startOf(i) + stepSeconds / 2), status: 'Cancelled' },
    ];
    return { ...base, timeline: cancelled };
  });

  const executionStart = { at: startAt, status: 'InProgress' };
  const stoppedAt = ms(startOf(stopAt) + stepSeconds / 2);
  const cancelStep = (runs: boolean): ScenarioStep[] =>
    onCancelStep === undefined
      ? []
      : [
          {
            id: idFromSeed(`${executionId}/onCancel`),
            name: onCancelStep.name,
            action: onCancelStep.action,
            timeline: runs
              ? [
                  { at: stoppedAt, status: 'InProgress' },
                  { at: ms(stoppedAt + stepSeconds), status: 'Success' },
                ]
              : [],
          },
        ];
  const documentName = options.documentName ?? 'Custom-SequentialRunbook';
  const base = { id: executionId, documentName, documentVersion: '1', parentId: null, mode: 'Auto' };

  if (ending.kind === 'success') {
    return {
      ...base,
      timeline: [executionStart, { at: startOf(steps.length), status: 'Success' }],
      steps: [...mainSteps, ...cancelStep(false)],
    };
  }
  if (ending.kind === 'failure') {
    const failedStep = mainSteps[stopAt]?.timeline.at(-1);
    return {
      ...base,
      timeline: [
        executionStart,
        {
          at: failedStep?.at ?? stoppedAt,
          status: 'Failed',
          failureMessage: failedStep?.failureMessage ?? null,
        },
      ],
      steps: [...mainSteps, ...cancelStep(false)],
    };
  }
  const endAt = onCancelStep === undefined ? ms(stoppedAt + 0.5) : ms(stoppedAt + stepSeconds + 0.5);
  const alarms: ScenarioAlarm[] =
    ending.kind === 'alarm'
      ? [{ at: stoppedAt, name: ending.alarmName ?? 'RunbookHealthAlarm', state: 'ALARM' }]
      : [];
  return {
    ...base,
    timeline: [executionStart, { at: stoppedAt, status: 'Cancelling' }, { at: endAt, status: 'Cancelled' }],
    ...(alarms.length === 0 ? {} : { alarms }),
    steps: [...mainSteps, ...cancelStep(true)],
  };
}
