// Builds a rate-control automation as SSM shows it: a parent with one aws:executeAutomation step per target, and its children.
import { ScenarioError } from './errors';
import { SCENARIO_ID_LENGTH, type ScenarioExecution, type ScenarioStep } from './scenario';
import { idFromSeed } from './ssm-behaviour';

/** One target of a rate-control run. */
export interface RateControlTarget {
  /** The target value, e.g. an instance id; it names the parent's step and fills the target parameter. */
  readonly name: string;
  /** Seconds the child execution runs, > 0. */
  readonly durationSeconds: number;
  /**
   * The child's final status, e.g. `Failed`, `TimedOut` or `Cancelled`; the parent's step for the
   * target ends with the same status.
   * @default 'Success'
   */
  readonly outcome?: string;
}

/** A step of the runbook each child runs. */
export interface RateControlChildStep {
  readonly name: string;
  readonly action: string;
}

/** Options of {@link rateControlRun}. */
export interface RateControlOptions {
  /** The parent's `AutomationExecutionId` (36 characters); every other id is derived from it. */
  readonly parentId: string;
  /** The targets, in the order SSM starts them; names must be unique. */
  readonly targets: readonly RateControlTarget[];
  /** How many children run at once (`MaxConcurrency`), an integer >= 1. */
  readonly maxConcurrency: number;
  /**
   * Failed children tolerated (`MaxErrors`): once more have failed, no further child is started and
   * the steps of the targets left stay `Pending` for good.
   * @default the number of targets (never stops)
   */
  readonly maxErrors?: number;
  /** Seconds from the scenario start at which the parent starts. @default 0 */
  readonly startAt?: number;
  /** @default 'AWS-RestartEC2Instance' */
  readonly documentName?: string;
  /** @default '1' */
  readonly documentVersion?: string;
  /** The runbook parameter each target fills (`TargetParameterName`). @default 'InstanceId' */
  readonly targetParameterName?: string;
  /**
   * The runbook's steps, run one after the other by each child and listed up front.
   * @default the two steps of AWS-RestartEC2Instance (stopInstances, startInstances)
   */
  readonly childSteps?: readonly RateControlChildStep[];
  /**
   * Whether the parent's per-target steps are listed up front (as `Pending`) or only once their
   * child starts; undocumented, so a switch of the builder.
   * @default true
   */
  readonly parentStepsPlannedUpFront?: boolean;
}

/** Seconds between the parent's start and the start of its first children (resolving targets). */
export const RATE_CONTROL_LAUNCH_DELAY_SECONDS = 1;

const RESTART_STEPS: readonly RateControlChildStep[] = [
  { name: 'stopInstances', action: 'aws:changeInstanceState' },
  { name: 'startInstances', action: 'aws:changeInstanceState' },
];

/** Keeps times exact enough for JSON and readable: whole milliseconds. */
function ms(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function invalid(option: string, problem: string): never {
  throw new ScenarioError(`rateControlRun: ${option} ${problem}`);
}

function validate(options: RateControlOptions): void {
  if (options.parentId.length !== SCENARIO_ID_LENGTH) {
    invalid('parentId', `must be ${SCENARIO_ID_LENGTH} characters long (got ${options.parentId.length}).`);
  }
  if (options.targets.length === 0) invalid('targets', 'must not be empty.');
  const names = new Set<string>();
  options.targets.forEach((target, i) => {
    if (target.name === '') invalid(`targets[${i}].name`, 'must be a non-empty string.');
    if (names.has(target.name)) invalid(`targets[${i}].name`, `repeats "${target.name}".`);
    names.add(target.name);
    if (!(Number.isFinite(target.durationSeconds) && target.durationSeconds > 0)) {
      invalid(`targets[${i}].durationSeconds`, `must be a number > 0 (got ${target.durationSeconds}).`);
    }
  });
  if (!(Number.isInteger(options.maxConcurrency) && options.maxConcurrency >= 1)) {
    invalid('maxConcurrency', `must be an integer >= 1 (got ${options.maxConcurrency}).`);
  }
  const { maxErrors, startAt, childSteps } = options;
  if (maxErrors !== undefined && !(Number.isInteger(maxErrors) && maxErrors >= 0)) {
    invalid('maxErrors', `must be an integer >= 0 (got ${maxErrors}).`);
  }
  if (startAt !== undefined && !(Number.isFinite(startAt) && startAt >= 0)) {
    invalid('startAt', `must be a number of seconds >= 0 (got ${startAt}).`);
  }
  if (childSteps !== undefined && childSteps.length === 0) invalid('childSteps', 'must not be empty.');
}

interface Launch {
  readonly start: number;
  readonly end: number;
  readonly outcome: string;
}

/** When each target's child starts and ends; `undefined` for targets never started (too many errors). */
function schedule(options: RateControlOptions, firstStart: number): (Launch | undefined)[] {
  const maxErrors = options.maxErrors ?? options.targets.length;
  const slots: number[] = Array.from({ length: options.maxConcurrency }, () => firstStart);
  const launches: Launch[] = [];
  let stopped = false;
  return options.targets.map((target) => {
    if (stopped) return undefined;
    const slot = slots.indexOf(Math.min(...slots));
    const start = slots[slot] ?? firstStart;
    const failed = launches.filter((launch) => launch.end <= start && launch.outcome !== 'Success').length;
    if (failed > maxErrors) {
      stopped = true;
      return undefined;
    }
    const launch = { start, end: ms(start + target.durationSeconds), outcome: target.outcome ?? 'Success' };
    slots[slot] = launch.end;
    launches.push(launch);
    return launch;
  });
}

/** The steps of one child: all succeed, or the first one ends the run with the child's outcome. */
function childSteps(childId: string, launch: Launch, steps: readonly RateControlChildStep[]): ScenarioStep[] {
  return steps.map((step, j) => {
    const id = idFromSeed(`${childId}/step/${j}`);
    if (launch.outcome !== 'Success') {
      if (j > 0) return { id, name: step.name, action: step.action, timeline: [] };
      return {
        id,
        name: step.name,
        action: step.action,
        timeline: [
          { at: launch.start, status: 'InProgress' },
          {
            at: launch.end,
            status: launch.outcome,
            ...(launch.outcome === 'Failed' ? { failureMessage: `Step ${step.name} failed.` } : {}),
          },
        ],
      };
    }
    const share = (launch.end - launch.start) / steps.length;
    return {
      id,
      name: step.name,
      action: step.action,
      timeline: [
        { at: ms(launch.start + j * share), status: 'InProgress' },
        { at: j === steps.length - 1 ? launch.end : ms(launch.start + (j + 1) * share), status: 'Success' },
      ],
    };
  });
}

/**
 * A rate-control automation (targets plus `MaxConcurrency` / `MaxErrors`) as SSM shows it: the
 * parent execution with rate-control fields and one `aws:executeAutomation` step per target, named
 * after the target, whose `Outputs` carry the child's `ExecutionId` from its start and its
 * `Status` once it ended; and one child execution per started target (`parentId` = the parent),
 * whose runbook steps are listed up front. At most `maxConcurrency` children run at once; a child
 * starts as soon as a slot frees. The parent ends with the last child: `Success` if every target
 * succeeded, `Failed` otherwise. Pure and deterministic: ids are derived from `parentId`.
 *
 * @returns the parent first, then the children in target order
 * @throws {@link ScenarioError} naming the bad option
 *
 * @example
 * ```ts
 * const executions = rateControlRun({
 *   parentId: 'aaaaaaaa-0000-4000-8000-000000000001',
 *   targets: [{ name: 'i-0a1', durationSeconds: 4 }, { name: 'i-0b2', durationSeconds: 6, outcome: 'Failed' }],
 *   maxConcurrency: 1,
 * });
 * const sim = new SsmSimulator({ scenario: { name: 'rate', executions }, startEpochMs, behaviour: {} });
 * ```
 */
export function rateControlRun(options: RateControlOptions): ScenarioExecution[] {
  validate(options);
  const startAt = options.startAt ?? 0;
  const documentName = options.documentName ?? 'AWS-RestartEC2Instance';
  const documentVersion = options.documentVersion ?? '1';
  const parameter = options.targetParameterName ?? 'InstanceId';
  const plannedUpFront = options.parentStepsPlannedUpFront ?? true;
  const launches = schedule(options, ms(startAt + RATE_CONTROL_LAUNCH_DELAY_SECONDS));
  const names = options.targets.map((target) => target.name);
  const childIds = names.map((_, i) => idFromSeed(`${options.parentId}/child/${i}`));

  const parentSteps: ScenarioStep[] = [];
  options.targets.forEach((target, i) => {
    const launch = launches[i];
    const childId = childIds[i] ?? '';
    if (launch === undefined && !plannedUpFront) return;
    parentSteps.push({
      id: idFromSeed(`${options.parentId}/step/${i}`),
      name: target.name,
      action: 'aws:executeAutomation',
      inputs: { [parameter]: target.name },
      timeline:
        launch === undefined
          ? []
          : [
              { at: launch.start, status: 'InProgress', outputs: { ExecutionId: [childId] } },
              {
                at: launch.end,
                status: launch.outcome,
                outputs: { ExecutionId: [childId], Status: [launch.outcome] },
              },
            ],
      ...(plannedUpFront ? {} : { plannedUpFront: false }),
    });
  });

  const started = launches.filter((launch): launch is Launch => launch !== undefined);
  const end = Math.max(...started.map((launch) => launch.end));
  const allSucceeded = started.length === names.length && started.every((l) => l.outcome === 'Success');
  const parent: ScenarioExecution = {
    id: options.parentId,
    documentName,
    documentVersion,
    parentId: null,
    mode: 'Auto',
    targetParameterName: parameter,
    targets: [{ key: 'ParameterValues', values: names }],
    resolvedTargets: { parameterValues: names, truncated: false },
    maxConcurrency: String(options.maxConcurrency),
    maxErrors: String(options.maxErrors ?? names.length),
    timeline: [
      { at: startAt, status: 'InProgress' },
      { at: end, status: allSucceeded ? 'Success' : 'Failed' },
    ],
    steps: parentSteps,
  };

  const children: ScenarioExecution[] = [];
  launches.forEach((launch, i) => {
    const childId = childIds[i];
    if (launch === undefined || childId === undefined) return;
    children.push({
      id: childId,
      documentName,
      documentVersion,
      parentId: options.parentId,
      mode: 'Auto',
      timeline: [
        { at: launch.start, status: 'InProgress' },
        { at: launch.end, status: launch.outcome },
      ],
      steps: childSteps(childId, launch, options.childSteps ?? RESTART_STEPS),
    });
  });
  return [parent, ...children];
}

/** Options of {@link rateControlTargets}. */
export interface RateControlTargetsOptions {
  /** Shortest child run, seconds. @default 5 */
  readonly minSeconds?: number;
  /** Longest child run, seconds. @default 60 */
  readonly maxSeconds?: number;
  /** Share of targets whose child fails, 0–1. @default 0 */
  readonly failureRate?: number;
}

/**
 * `count` targets with instance-id names and durations drawn from a seeded PRNG: the same seed
 * always gives the same targets.
 */
export function rateControlTargets(
  count: number,
  seed: number,
  options: RateControlTargetsOptions = {},
): RateControlTarget[] {
  const { minSeconds = 5, maxSeconds = 60, failureRate = 0 } = options;
  // mulberry32, as bench/fleets.ts has it: the sandbox may not import the bench (layering).
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return Array.from({ length: count }, (_, i) => {
    const durationSeconds = Math.round((minSeconds + random() * (maxSeconds - minSeconds)) * 10) / 10;
    const fails = random() < failureRate;
    return {
      name: `i-${idFromSeed(`${seed}/target/${i}`).replaceAll('-', '').slice(0, 17)}`,
      durationSeconds,
      ...(fails ? { outcome: 'Failed' } : {}),
    };
  });
}
