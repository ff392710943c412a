// What SSM does that nobody documents, as named switches: their types, defaults, validation, labels and combinations.
import { createHash } from 'node:crypto';
import { SandboxError } from './errors';

/**
 * How the SSM simulator behaves where SSM's documentation and captured outputs are silent. Each field
 * is one unknown; a poller has to be right under every value. See `docs/ssm-behaviour.md`.
 *
 * @example
 * ```ts
 * const sim = new SsmSimulator({ scenario, startEpochMs, behaviour: { nextToken: 'offset' } });
 * for (const behaviour of BEHAVIOUR_PAIRWISE) console.log(behaviourLabel(behaviour));
 * ```
 */
export interface SsmBehaviour {
  /**
   * Where `DescribeAutomationStepExecutions` with `ReverseOrder: true` lists the steps that have no
   * start time yet (planned, `Pending`): before the started steps (`first`) or after them (`last`).
   * The forward order always lists them last, in plan order.
   * @default 'first'
   */
  readonly reverseOrderUnstarted: 'first' | 'last';
  /**
   * With `ReverseOrder: true`, the order among steps that share one start time, and among the
   * not-started steps: `listOrder` keeps them as the forward listing has them (plan order),
   * `reversed` reverses them too, so that the reverse listing is the exact mirror of the forward one.
   * @default 'reversed'
   */
  readonly startTimeTies: 'listOrder' | 'reversed';
  /**
   * The `StepExecutionId` of a step that has not started: `stable` is the id it keeps once started,
   * `absent` leaves the member out, `changeOnStart` is another 36-character id
   * ({@link pendingStepExecutionId}) that is replaced by the real one when the step starts.
   * @default 'stable'
   */
  readonly unstartedStepIds: 'stable' | 'absent' | 'changeOnStart';
  /**
   * Whether `DescribeAutomationExecutions` lists child executions (`ParentAutomationExecutionId`
   * set) in every answer (`included`), or only when the request has a `ParentExecutionId` or
   * `ExecutionId` filter (`onRequest`, like the console's "Show child automations").
   * @default 'included'
   */
  readonly childListing: 'included' | 'onRequest';
  /**
   * What a `NextToken` holds: `key` continues after the last item served (items that appear or move
   * meanwhile neither repeat nor shift the page); `offset` is a position in the list as it stands at
   * the next call, so an item that moves before the position makes the next page repeat one item, and
   * one that moves after it makes the next page skip one.
   * @default 'key'
   */
  readonly nextToken: 'key' | 'offset';
  /**
   * Whether the `StartTimeAfter` and `StartTimeBefore` filters (steps and executions) keep an item
   * that started exactly at the given time (`inclusive`) or not (`exclusive`).
   * @default 'exclusive'
   */
  readonly startTimeFilter: 'exclusive' | 'inclusive';
  /**
   * The most a step's start may take to show in the step listing, in seconds (0–60). Each step gets
   * its own lag in [0, max] ({@link stepVisibilityLagMs}); until its start + lag a planned step
   * still shows as `Pending` without start time (a step that is not planned is not listed), then it
   * shows its current state with its real start time — older than steps already listed.
   * @default 0
   */
  readonly visibilityLagSeconds: number;
  /**
   * When the steps inside an `aws:loop` (scenario steps with `loopIteration`) are listed: `onStart`
   * each only once it starts (never as `Pending`), `iteration` all of an iteration's steps from the
   * moment its first step starts (`Pending` until each starts), `upFront` every iteration's steps
   * from the execution's start, like the runbook's own steps.
   * @default 'onStart'
   */
  readonly loopStepListing: 'onStart' | 'iteration' | 'upFront';
  /**
   * What `ParentStepDetails.Iteration` counts from: the first iteration of a loop is `1` or `0`.
   * @default 1
   */
  readonly loopIterationBase: 0 | 1;
  /**
   * Days SSM keeps an execution after it ended; later it answers `AutomationExecutionNotFoundException`
   * and is absent from every listing. `Infinity` keeps everything.
   * @default 30
   */
  readonly historyDays: number;
}

/** What an `SsmSimulator` does where SSM is undocumented, unless its `behaviour` option says otherwise. */
export const DOCUMENTED_BEHAVIOUR: SsmBehaviour = Object.freeze({
  reverseOrderUnstarted: 'first',
  startTimeTies: 'reversed',
  unstartedStepIds: 'stable',
  childListing: 'included',
  nextToken: 'key',
  startTimeFilter: 'exclusive',
  visibilityLagSeconds: 0,
  loopStepListing: 'onStart',
  loopIterationBase: 1,
  historyDays: 30,
});

/** The longest visibility lag the simulator models, in seconds. */
export const MAX_VISIBILITY_LAG_SECONDS = 60;

/**
 * The values {@link BEHAVIOUR_MATRIX} combines, per switch. `historyDays` is not a switch (it has a
 * documented value) and stays at its default in every combination; the loop switches
 * ({@link LOOP_BEHAVIOUR_SWITCHES}) stay at theirs too.
 */
export const BEHAVIOUR_SWITCHES = Object.freeze({
  reverseOrderUnstarted: ['first', 'last'],
  startTimeTies: ['listOrder', 'reversed'],
  unstartedStepIds: ['stable', 'absent', 'changeOnStart'],
  childListing: ['included', 'onRequest'],
  nextToken: ['key', 'offset'],
  startTimeFilter: ['exclusive', 'inclusive'],
  visibilityLagSeconds: [0, MAX_VISIBILITY_LAG_SECONDS],
} as const);

/**
 * The values of the switches that matter only to an execution with an `aws:loop` (scenario steps with
 * `loopIteration`). They are kept out of {@link BEHAVIOUR_MATRIX}, which the runs without such steps
 * (chaos, properties, benchmarks) repeat: there they would multiply its 192 combinations by 6 and
 * change nothing. Tests of loops run every combination of these.
 */
export const LOOP_BEHAVIOUR_SWITCHES = Object.freeze({
  loopStepListing: ['onStart', 'iteration', 'upFront'],
  loopIterationBase: [1, 0],
} as const);

type SwitchName = keyof typeof BEHAVIOUR_SWITCHES;
const SWITCH_NAMES = Object.keys(BEHAVIOUR_SWITCHES) as SwitchName[];

/** Short label keys, in label order. */
const LABEL_KEYS: Readonly<Record<keyof SsmBehaviour, string>> = {
  reverseOrderUnstarted: 'rev',
  startTimeTies: 'ties',
  unstartedStepIds: 'ids',
  childListing: 'children',
  nextToken: 'token',
  startTimeFilter: 'bounds',
  visibilityLagSeconds: 'lag',
  loopStepListing: 'loops',
  loopIterationBase: 'base',
  historyDays: 'history',
};

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new SandboxError(
      `behaviour.${name} must be one of ${allowed.map((v) => `'${v}'`).join(', ')} (got ${String(value)}).`,
    );
  }
  return value as T;
}

/**
 * Fills the missing fields of a partial behaviour from {@link DOCUMENTED_BEHAVIOUR} and checks every
 * field.
 *
 * @throws {@link SandboxError} naming the first bad field and the values it allows
 */
export function resolveBehaviour(partial: Partial<SsmBehaviour> = {}): SsmBehaviour {
  const known = Object.keys(LABEL_KEYS);
  for (const key of Object.keys(partial)) {
    if (!known.includes(key)) {
      throw new SandboxError(`behaviour.${key} is not a behaviour switch (known: ${known.join(', ')}).`);
    }
  }
  const merged = { ...DOCUMENTED_BEHAVIOUR, ...stripUndefined(partial) };
  const lag = merged.visibilityLagSeconds;
  if (typeof lag !== 'number' || !Number.isFinite(lag) || lag < 0 || lag > MAX_VISIBILITY_LAG_SECONDS) {
    throw new SandboxError(
      `behaviour.visibilityLagSeconds must be a number from 0 to ${MAX_VISIBILITY_LAG_SECONDS} (got ${String(lag)}).`,
    );
  }
  const days = merged.historyDays;
  if (typeof days !== 'number' || Number.isNaN(days) || !(days > 0)) {
    throw new SandboxError(`behaviour.historyDays must be a number > 0 or Infinity (got ${String(days)}).`);
  }
  return Object.freeze({
    reverseOrderUnstarted: oneOf(
      merged.reverseOrderUnstarted,
      BEHAVIOUR_SWITCHES.reverseOrderUnstarted,
      'reverseOrderUnstarted',
    ),
    startTimeTies: oneOf(merged.startTimeTies, BEHAVIOUR_SWITCHES.startTimeTies, 'startTimeTies'),
    unstartedStepIds: oneOf(merged.unstartedStepIds, BEHAVIOUR_SWITCHES.unstartedStepIds, 'unstartedStepIds'),
    childListing: oneOf(merged.childListing, BEHAVIOUR_SWITCHES.childListing, 'childListing'),
    nextToken: oneOf(merged.nextToken, BEHAVIOUR_SWITCHES.nextToken, 'nextToken'),
    startTimeFilter: oneOf(merged.startTimeFilter, BEHAVIOUR_SWITCHES.startTimeFilter, 'startTimeFilter'),
    visibilityLagSeconds: lag,
    loopStepListing: oneOf(
      merged.loopStepListing,
      LOOP_BEHAVIOUR_SWITCHES.loopStepListing,
      'loopStepListing',
    ),
    loopIterationBase: loopIterationBaseOf(merged.loopIterationBase),
    historyDays: days,
  });
}

function loopIterationBaseOf(value: unknown): 0 | 1 {
  if (value !== 0 && value !== 1) {
    throw new SandboxError(`behaviour.loopIterationBase must be 1 or 0 (got ${String(value)}).`);
  }
  return value;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * A short stable label of a behaviour for reports and file names, every field in a fixed order, e.g.
 * `rev=first,ties=reversed,ids=stable,children=included,token=key,bounds=exclusive,lag=0,loops=onStart,base=1,history=30`.
 * {@link parseBehaviourLabel} reads it back.
 */
export function behaviourLabel(behaviour: SsmBehaviour): string {
  return (Object.keys(LABEL_KEYS) as (keyof SsmBehaviour)[])
    .map((field) => {
      const value = behaviour[field];
      return `${LABEL_KEYS[field]}=${value === Number.POSITIVE_INFINITY ? 'inf' : String(value)}`;
    })
    .join(',');
}

/**
 * Reads a label made by {@link behaviourLabel}; keys may be left out (they take their documented
 * default), so `token=offset,lag=60` works too.
 *
 * @throws {@link SandboxError} for an unknown key, a repeated key or a bad value
 */
export function parseBehaviourLabel(label: string): SsmBehaviour {
  const byKey = new Map(Object.entries(LABEL_KEYS).map(([field, key]) => [key, field as keyof SsmBehaviour]));
  const partial: Record<string, unknown> = {};
  for (const part of label.split(',').filter((p) => p.trim() !== '')) {
    const [key, value, extra] = part.trim().split('=');
    const field = key === undefined ? undefined : byKey.get(key);
    if (field === undefined || value === undefined || extra !== undefined) {
      throw new SandboxError(
        `Behaviour label part "${part}" is not key=value with a key of ${[...byKey.keys()].join(', ')}.`,
      );
    }
    if (field in partial) throw new SandboxError(`Behaviour label repeats "${key}".`);
    partial[field] =
      field === 'visibilityLagSeconds' || field === 'historyDays' || field === 'loopIterationBase'
        ? value === 'inf'
          ? Number.POSITIVE_INFINITY
          : Number(value)
        : value;
  }
  return resolveBehaviour(partial as Partial<SsmBehaviour>);
}

function combinations(): SsmBehaviour[] {
  let partials: Record<string, unknown>[] = [{}];
  for (const name of SWITCH_NAMES) {
    partials = partials.flatMap((partial) =>
      BEHAVIOUR_SWITCHES[name].map((value) => ({ ...partial, [name]: value })),
    );
  }
  return partials.map((partial) => resolveBehaviour(partial as Partial<SsmBehaviour>));
}

/**
 * Every combination of the {@link BEHAVIOUR_SWITCHES} values (2·2·3·2·2·2·2 = 192), in a fixed
 * order; `historyDays` at its default.
 */
export const BEHAVIOUR_MATRIX: readonly SsmBehaviour[] = Object.freeze(combinations());

/** Every combination of the {@link LOOP_BEHAVIOUR_SWITCHES} values (3·2 = 6), the rest at its default. */
export const LOOP_BEHAVIOUR_MATRIX: readonly SsmBehaviour[] = Object.freeze(
  LOOP_BEHAVIOUR_SWITCHES.loopStepListing.flatMap((loopStepListing) =>
    LOOP_BEHAVIOUR_SWITCHES.loopIterationBase.map((loopIterationBase) =>
      resolveBehaviour({ loopStepListing, loopIterationBase }),
    ),
  ),
);

/**
 * Picks, greedily and deterministically, combinations from {@link BEHAVIOUR_MATRIX} until every pair
 * of values of two different switches occurs in at least one: a short list for runs too slow to
 * repeat 192 times (chaos runs, benchmarks).
 */
function pairwise(): SsmBehaviour[] {
  const pairKey = (a: SwitchName, av: unknown, b: SwitchName, bv: unknown): string =>
    `${a}=${String(av)}|${b}=${String(bv)}`;
  const pairsOf = (behaviour: SsmBehaviour): string[] => {
    const pairs: string[] = [];
    SWITCH_NAMES.forEach((a, i) => {
      for (const b of SWITCH_NAMES.slice(i + 1)) pairs.push(pairKey(a, behaviour[a], b, behaviour[b]));
    });
    return pairs;
  };
  const uncovered = new Set(BEHAVIOUR_MATRIX.flatMap(pairsOf));
  const chosen: SsmBehaviour[] = [];
  while (uncovered.size > 0) {
    let best: SsmBehaviour | undefined;
    let bestGain = 0;
    for (const candidate of BEHAVIOUR_MATRIX) {
      const gain = pairsOf(candidate).filter((pair) => uncovered.has(pair)).length;
      if (gain > bestGain) {
        best = candidate;
        bestGain = gain;
      }
    }
    if (best === undefined) break;
    for (const pair of pairsOf(best)) uncovered.delete(pair);
    chosen.push(best);
  }
  return chosen;
}

/** A few combinations that together cover every pair of switch values (see `pairwise` above). */
export const BEHAVIOUR_PAIRWISE: readonly SsmBehaviour[] = Object.freeze(pairwise());

/**
 * A deterministic 36-character id in the shape of a UUID, derived from `seed` (SHA-256), for
 * scenario builders that need many distinct ids.
 */
export function idFromSeed(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The `StepExecutionId` a not-started step shows under `unstartedStepIds: 'changeOnStart'`. */
export function pendingStepExecutionId(stepExecutionId: string): string {
  return idFromSeed(`pending:${stepExecutionId}`);
}

/**
 * How long after its start a step shows in the listing under `visibilityLagSeconds: maxSeconds`:
 * a hash of the step id scaled into [0, maxSeconds], in whole milliseconds.
 */
export function stepVisibilityLagMs(stepExecutionId: string, maxSeconds: number): number {
  if (maxSeconds <= 0) return 0;
  const fraction = createHash('sha256').update(stepExecutionId).digest().readUInt32BE(0) / 0xffffffff;
  return Math.round(fraction * maxSeconds * 1000);
}
