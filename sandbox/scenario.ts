// Scenario files for the sandbox: their types, strict validation, loading, and when a scenario ends.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ScenarioError } from './errors';

/**
 * Statuses after which an execution or step does not change again (unless a later timeline entry
 * says otherwise, which models a retry). The simulator keeps its own list so that it stays an
 * independent model of SSM rather than a copy of the poller's code.
 */
export const SCENARIO_TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  'Success',
  'TimedOut',
  'Cancelled',
  'Failed',
  'Rejected',
  'ChangeCalendarOverrideRejected',
  'CompletedWithSuccess',
  'CompletedWithFailure',
  'Exited',
]);

/** Length of every execution and step id (SSM's `AutomationExecutionId` is exactly 36 characters). */
export const SCENARIO_ID_LENGTH = 36;

/** `FailureDetails` of a step, in the API's own (PascalCase) shape. */
export interface ScenarioFailureDetails {
  readonly FailureStage?: string;
  readonly FailureType?: string;
  readonly Details?: Readonly<Record<string, readonly string[]>>;
}

/**
 * One point of an execution's timeline. Optional fields stay in force from the entry that sets
 * them until a later entry changes them; `null` clears them.
 */
export interface ExecutionTimelineEntry {
  /** Seconds from the scenario start (fractions allowed). */
  readonly at: number;
  /** `AutomationExecutionStatus` from this point on; any non-empty string. */
  readonly status: string;
  readonly failureMessage?: string | null;
  readonly outputs?: Readonly<Record<string, readonly string[]>> | null;
}

/**
 * One point of a step's timeline. Optional fields stay in force from the entry that sets them
 * until a later entry changes them; `null` clears them.
 */
export interface StepTimelineEntry {
  /** Seconds from the scenario start (fractions allowed). */
  readonly at: number;
  /** `StepStatus` from this point on; any non-empty string. */
  readonly status: string;
  readonly failureMessage?: string | null;
  readonly failureDetails?: ScenarioFailureDetails | null;
  readonly outputs?: Readonly<Record<string, readonly string[]>> | null;
  readonly response?: string | null;
  readonly responseCode?: string | null;
}

/** A CloudWatch alarm that shows up in `TriggeredAlarms` from `at` on. */
export interface ScenarioAlarm {
  /** Seconds from the scenario start. */
  readonly at: number;
  readonly name: string;
  /** `ALARM` or `UNKNOWN` in SSM today; any non-empty string is accepted. */
  readonly state: string;
}

/** Where a multi-account / multi-region step ran (`TargetLocation`). */
export interface ScenarioTargetLocation {
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
  readonly executionRoleName?: string;
  readonly targetLocationMaxConcurrency?: string;
  readonly targetLocationMaxErrors?: string;
}

/** Most iterations of one `aws:loop`, and most items of its `Iterators` (the actions reference). */
export const SCENARIO_MAX_LOOP_ITERATIONS = 100;

/** The action of a loop step. */
export const LOOP_ACTION = 'aws:loop';

/** What an `aws:loop` step iterates over. */
export interface ScenarioLoop {
  /**
   * The items of a `for each` loop (`Iterators`), 1 to 100 strings; each iteration's steps show one
   * as `ParentStepDetails.IteratorValue`. Absent for a `do while` loop (`LoopCondition`), whose
   * steps show no iterator value.
   */
  readonly iterators?: readonly string[];
}

/** Which iteration of which loop a step execution ran for. */
export interface ScenarioLoopIteration {
  /** The id of the `aws:loop` step (with a `loop`) of the same execution. */
  readonly loopStepId: string;
  /**
   * The iteration, counted from 0 (the item `iterators[index]`); SSM shows it as
   * `ParentStepDetails.Iteration`, counted from the behaviour's `loopIterationBase`.
   */
  readonly index: number;
}

/** One step execution of an automation. */
export interface ScenarioStep {
  /** `StepExecutionId`, 36 characters, unique in the file. */
  readonly id: string;
  readonly name: string;
  /** e.g. `aws:runCommand`. */
  readonly action: string;
  readonly onFailure?: string;
  readonly maxAttempts?: number;
  readonly isCritical?: boolean;
  readonly timeoutSeconds?: number;
  readonly inputs?: Readonly<Record<string, string>>;
  readonly targetLocation?: ScenarioTargetLocation;
  /**
   * `at` non-decreasing; the first entry is when the step starts. Empty: a planned step that never
   * starts (a skipped branch, a step after an abort or a cancel), listed as `Pending` for good.
   */
  readonly timeline: readonly StepTimelineEntry[];
  readonly alarms?: readonly ScenarioAlarm[];
  /**
   * Whether SSM lists the step from the execution's start, as `Pending` without start time, until it
   * starts (the runbook's steps are). `false` models steps made while running (loop iterations),
   * which appear only when they start; such a step needs a non-empty timeline. Not allowed on a
   * step with `loopIteration`: when SSM lists a loop's steps is the behaviour switch `loopStepListing`.
   * @default true
   */
  readonly plannedUpFront?: boolean;
  /** An `aws:loop` step: what it iterates over. Its iterations' steps name it in `loopIteration`. */
  readonly loop?: ScenarioLoop;
  /**
   * A step inside a loop: one step execution per iteration, each its own step with its own id (SSM
   * shows the loop step in its `ParentStepDetails`). These steps stay in the execution's flat `steps`
   * list, like every other step, so whatever walks an execution's steps (ground truth, native events,
   * benchmarks' accounting) sees them without knowing about loops.
   */
  readonly loopIteration?: ScenarioLoopIteration;
}

/** A rate-control target selector (`Targets` of the execution). */
export interface ScenarioTarget {
  readonly key: string;
  readonly values: readonly string[];
}

/** The targets a rate-control execution resolved (`ResolvedTargets`). */
export interface ScenarioResolvedTargets {
  readonly parameterValues: readonly string[];
  readonly truncated: boolean;
}

/** The (account, region) a parent execution runs in, when it is not in the same file. */
export interface ScenarioParentLocation {
  /** 12 digits. */
  readonly account: string;
  readonly region: string;
}

/** One automation execution. */
export interface ScenarioExecution {
  /** `AutomationExecutionId`, 36 characters, unique in the file. */
  readonly id: string;
  readonly documentName: string;
  readonly documentVersion?: string;
  /**
   * Id of the parent execution (another execution of the same file, unless `parentLocation` says it
   * runs elsewhere), or `null`.
   */
  readonly parentId?: string | null;
  /**
   * Where the parent runs when it is not in this file: the (account, region) of a `CrossAccount`
   * parent that started this execution in a target account and Region.
   * @default the parent is in this file
   */
  readonly parentLocation?: ScenarioParentLocation;
  /** `AutomationType`: `Local`, or `CrossAccount` for a parent run in several accounts and Regions. @default 'Local' */
  readonly automationType?: string;
  /** Non-empty, `at` non-decreasing; the execution is invisible before the first entry. */
  readonly timeline: readonly ExecutionTimelineEntry[];
  /** Execution-level alarms. */
  readonly alarms?: readonly ScenarioAlarm[];
  readonly steps: readonly ScenarioStep[];
  /** `Mode`, e.g. `Auto` or `Interactive`. @default 'Auto' */
  readonly mode?: string;
  /** Rate control: the runbook parameter each target fills (`TargetParameterName`). */
  readonly targetParameterName?: string;
  /** Rate control: how targets were selected (`Targets`). */
  readonly targets?: readonly ScenarioTarget[];
  /** Rate control: the targets resolved (`ResolvedTargets`). */
  readonly resolvedTargets?: ScenarioResolvedTargets;
  /** Rate control: `MaxConcurrency`, a number or a percentage such as `10%`. */
  readonly maxConcurrency?: string;
  /** Rate control: `MaxErrors`, a number or a percentage such as `25%`. */
  readonly maxErrors?: string;
}

/** A whole scenario: what SSM will show over time. */
export interface Scenario {
  readonly name: string;
  readonly executions: readonly ScenarioExecution[];
}

type JsonObject = Record<string, unknown>;

/** Throws a {@link ScenarioError} naming the field. */
function fail(path: string, problem: string): never {
  throw new ScenarioError(`${path}: ${problem}`);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function expectObject(value: unknown, path: string): JsonObject {
  if (!isObject(value)) fail(path === '' ? '(root)' : path, 'must be an object');
  return value;
}

function rejectUnknownKeys(obj: JsonObject, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(join(path, key), `unknown key (allowed: ${allowed.join(', ')})`);
  }
}

function requireString(obj: JsonObject, key: string, path: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value === '') fail(join(path, key), 'must be a non-empty string');
  return value;
}

function optionalString(obj: JsonObject, key: string, path: string): string | undefined {
  if (obj[key] === undefined) return undefined;
  return requireString(obj, key, path);
}

/** A string field that may also be `null` (clears the value in a timeline). */
function optionalNullableString(obj: JsonObject, key: string, path: string): string | null | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') fail(join(path, key), 'must be a string or null');
  return value;
}

function requireArray(obj: JsonObject, key: string, path: string, nonEmpty: boolean): readonly unknown[] {
  const value = obj[key];
  if (!Array.isArray(value) || (nonEmpty && value.length === 0)) {
    fail(join(path, key), nonEmpty ? 'must be a non-empty array' : 'must be an array');
  }
  return value;
}

function parseAt(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(path, 'must be a number of seconds >= 0');
  }
  return value;
}

function parseId(obj: JsonObject, path: string, seen: Map<string, string>): string {
  const id = requireString(obj, 'id', path);
  const idPath = join(path, 'id');
  if (id.length !== SCENARIO_ID_LENGTH) {
    fail(idPath, `must be ${SCENARIO_ID_LENGTH} characters long (got ${id.length})`);
  }
  const previous = seen.get(id);
  if (previous !== undefined) fail(idPath, `duplicate id "${id}" (already used at ${previous})`);
  seen.set(id, idPath);
  return id;
}

function parseStringMap(value: unknown, path: string): Record<string, string> {
  const obj = expectObject(value, path);
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(obj)) {
    if (typeof item !== 'string') fail(join(path, key), 'must be a string');
    result[key] = item;
  }
  return result;
}

function parseStringList(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) fail(path, 'must be an array of strings');
  return value.map((item, i) => {
    if (typeof item !== 'string') fail(`${path}[${i}]`, 'must be a string');
    return item;
  });
}

function parseStringListMap(value: unknown, path: string): Record<string, string[]> {
  const obj = expectObject(value, path);
  const result: Record<string, string[]> = {};
  for (const [key, item] of Object.entries(obj)) result[key] = parseStringList(item, join(path, key));
  return result;
}

function parseFailureDetails(value: unknown, path: string): ScenarioFailureDetails {
  const obj = expectObject(value, path);
  rejectUnknownKeys(obj, path, ['FailureStage', 'FailureType', 'Details']);
  const stage = optionalString(obj, 'FailureStage', path);
  const type = optionalString(obj, 'FailureType', path);
  return {
    ...(stage === undefined ? {} : { FailureStage: stage }),
    ...(type === undefined ? {} : { FailureType: type }),
    ...(obj.Details === undefined ? {} : { Details: parseStringListMap(obj.Details, join(path, 'Details')) }),
  };
}

function parseTimeline<T extends { readonly at: number }>(
  obj: JsonObject,
  path: string,
  parseEntry: (entry: JsonObject, entryPath: string) => T,
  nonEmpty = true,
): T[] {
  const timelinePath = join(path, 'timeline');
  let previousAt = 0;
  return requireArray(obj, 'timeline', path, nonEmpty).map((raw, i) => {
    const entryPath = `${timelinePath}[${i}]`;
    const entry = parseEntry(expectObject(raw, entryPath), entryPath);
    if (entry.at < previousAt) {
      fail(join(entryPath, 'at'), `must not be before the previous entry (${entry.at} < ${previousAt})`);
    }
    previousAt = entry.at;
    return entry;
  });
}

function parseExecutionEntry(obj: JsonObject, path: string): ExecutionTimelineEntry {
  rejectUnknownKeys(obj, path, ['at', 'status', 'failureMessage', 'outputs']);
  const at = parseAt(obj.at, join(path, 'at'));
  const status = requireString(obj, 'status', path);
  const failureMessage = optionalNullableString(obj, 'failureMessage', path);
  return {
    at,
    status,
    ...(failureMessage === undefined ? {} : { failureMessage }),
    ...(obj.outputs === undefined
      ? {}
      : { outputs: obj.outputs === null ? null : parseStringListMap(obj.outputs, join(path, 'outputs')) }),
  };
}

function parseStepEntry(obj: JsonObject, path: string): StepTimelineEntry {
  rejectUnknownKeys(obj, path, [
    'at',
    'status',
    'failureMessage',
    'failureDetails',
    'outputs',
    'response',
    'responseCode',
  ]);
  const at = parseAt(obj.at, join(path, 'at'));
  const status = requireString(obj, 'status', path);
  const failureMessage = optionalNullableString(obj, 'failureMessage', path);
  const response = optionalNullableString(obj, 'response', path);
  const responseCode = optionalNullableString(obj, 'responseCode', path);
  return {
    at,
    status,
    ...(failureMessage === undefined ? {} : { failureMessage }),
    ...(obj.failureDetails === undefined
      ? {}
      : {
          failureDetails:
            obj.failureDetails === null
              ? null
              : parseFailureDetails(obj.failureDetails, join(path, 'failureDetails')),
        }),
    ...(obj.outputs === undefined
      ? {}
      : { outputs: obj.outputs === null ? null : parseStringListMap(obj.outputs, join(path, 'outputs')) }),
    ...(response === undefined ? {} : { response }),
    ...(responseCode === undefined ? {} : { responseCode }),
  };
}

function parseAlarms(obj: JsonObject, path: string): ScenarioAlarm[] | undefined {
  if (obj.alarms === undefined) return undefined;
  const alarmsPath = join(path, 'alarms');
  return requireArray(obj, 'alarms', path, false).map((raw, i) => {
    const alarmPath = `${alarmsPath}[${i}]`;
    const alarm = expectObject(raw, alarmPath);
    rejectUnknownKeys(alarm, alarmPath, ['at', 'name', 'state']);
    return {
      at: parseAt(alarm.at, join(alarmPath, 'at')),
      name: requireString(alarm, 'name', alarmPath),
      state: requireString(alarm, 'state', alarmPath),
    };
  });
}

function parseTargetLocation(value: unknown, path: string): ScenarioTargetLocation {
  const obj = expectObject(value, path);
  const keys = [
    'accounts',
    'regions',
    'executionRoleName',
    'targetLocationMaxConcurrency',
    'targetLocationMaxErrors',
  ] as const;
  rejectUnknownKeys(obj, path, keys);
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    if (obj[key] === undefined) continue;
    result[key] =
      key === 'accounts' || key === 'regions'
        ? parseStringList(obj[key], join(path, key))
        : requireString(obj, key, path);
  }
  return result as ScenarioTargetLocation;
}

function parseStep(raw: unknown, path: string, ids: Map<string, string>): ScenarioStep {
  const obj = expectObject(raw, path);
  rejectUnknownKeys(obj, path, [
    'id',
    'name',
    'action',
    'onFailure',
    'maxAttempts',
    'isCritical',
    'timeoutSeconds',
    'inputs',
    'targetLocation',
    'timeline',
    'alarms',
    'plannedUpFront',
    'loop',
    'loopIteration',
  ]);
  const id = parseId(obj, path, ids);
  const name = requireString(obj, 'name', path);
  const action = requireString(obj, 'action', path);
  const onFailure = optionalString(obj, 'onFailure', path);
  const { maxAttempts, isCritical, timeoutSeconds } = obj;
  if (maxAttempts !== undefined && !(Number.isInteger(maxAttempts) && (maxAttempts as number) >= 1)) {
    fail(join(path, 'maxAttempts'), 'must be an integer >= 1');
  }
  if (isCritical !== undefined && typeof isCritical !== 'boolean')
    fail(join(path, 'isCritical'), 'must be a boolean');
  if (
    timeoutSeconds !== undefined &&
    !(Number.isInteger(timeoutSeconds) && (timeoutSeconds as number) >= 0)
  ) {
    fail(join(path, 'timeoutSeconds'), 'must be an integer >= 0');
  }
  const { plannedUpFront } = obj;
  if (plannedUpFront !== undefined && typeof plannedUpFront !== 'boolean') {
    fail(join(path, 'plannedUpFront'), 'must be a boolean');
  }
  const timeline = parseTimeline(obj, path, parseStepEntry, false);
  if (timeline.length === 0 && plannedUpFront === false) {
    fail(
      join(path, 'timeline'),
      'must be non-empty for a step with plannedUpFront: false (an empty timeline is a planned step that never starts)',
    );
  }
  const alarms = parseAlarms(obj, path);
  if (obj.loop !== undefined && action !== LOOP_ACTION) {
    fail(join(path, 'loop'), `only a step with action ${LOOP_ACTION} iterates (got action ${action})`);
  }
  const loop = obj.loop === undefined ? undefined : parseLoop(obj.loop, join(path, 'loop'));
  const loopIteration =
    obj.loopIteration === undefined
      ? undefined
      : parseLoopIteration(obj.loopIteration, join(path, 'loopIteration'));
  if (loopIteration !== undefined && plannedUpFront !== undefined) {
    fail(
      join(path, 'plannedUpFront'),
      'must be left out on a step with loopIteration (when SSM lists a loop step is the behaviour switch loopStepListing)',
    );
  }
  return {
    id,
    name,
    action,
    ...(onFailure === undefined ? {} : { onFailure }),
    ...(maxAttempts === undefined ? {} : { maxAttempts: maxAttempts as number }),
    ...(isCritical === undefined ? {} : { isCritical }),
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds: timeoutSeconds as number }),
    ...(obj.inputs === undefined ? {} : { inputs: parseStringMap(obj.inputs, join(path, 'inputs')) }),
    ...(obj.targetLocation === undefined
      ? {}
      : { targetLocation: parseTargetLocation(obj.targetLocation, join(path, 'targetLocation')) }),
    timeline,
    ...(alarms === undefined ? {} : { alarms }),
    ...(plannedUpFront === undefined ? {} : { plannedUpFront }),
    ...(loop === undefined ? {} : { loop }),
    ...(loopIteration === undefined ? {} : { loopIteration }),
  };
}

function parseLoop(value: unknown, path: string): ScenarioLoop {
  const obj = expectObject(value, path);
  rejectUnknownKeys(obj, path, ['iterators']);
  if (obj.iterators === undefined) return {};
  const iterators = parseStringList(obj.iterators, join(path, 'iterators'));
  if (iterators.length === 0 || iterators.length > SCENARIO_MAX_LOOP_ITERATIONS) {
    fail(
      join(path, 'iterators'),
      `must hold 1 to ${SCENARIO_MAX_LOOP_ITERATIONS} items, the most an aws:loop iterates over (got ${iterators.length})`,
    );
  }
  return { iterators };
}

function parseLoopIteration(value: unknown, path: string): ScenarioLoopIteration {
  const obj = expectObject(value, path);
  rejectUnknownKeys(obj, path, ['loopStepId', 'index']);
  const loopStepId = requireString(obj, 'loopStepId', path);
  const { index } = obj;
  if (
    !(Number.isInteger(index) && (index as number) >= 0 && (index as number) < SCENARIO_MAX_LOOP_ITERATIONS)
  ) {
    fail(
      join(path, 'index'),
      `must be an integer from 0 to ${SCENARIO_MAX_LOOP_ITERATIONS - 1} (an aws:loop iterates at most ${SCENARIO_MAX_LOOP_ITERATIONS} times)`,
    );
  }
  return { loopStepId, index: index as number };
}

/** Checks that each step's `loopIteration` names a loop step of its execution and one of its iterations. */
function checkLoopIterations(steps: readonly ScenarioStep[], stepsPath: string): void {
  const loops = new Map(
    steps.flatMap((step) => (step.loop === undefined ? [] : [[step.id, step.loop] as const])),
  );
  steps.forEach((step, i) => {
    const iteration = step.loopIteration;
    if (iteration === undefined) return;
    const path = `${stepsPath}[${i}].loopIteration`;
    if (iteration.loopStepId === step.id) {
      fail(join(path, 'loopStepId'), 'must name another step, not the step itself');
    }
    const loop = loops.get(iteration.loopStepId);
    if (loop === undefined) {
      fail(
        join(path, 'loopStepId'),
        `must name an ${LOOP_ACTION} step with a loop in the same execution (no "${iteration.loopStepId}")`,
      );
    }
    const items = loop.iterators?.length;
    if (items !== undefined && iteration.index >= items) {
      fail(join(path, 'index'), `must be below the loop's ${items} iterators (got ${iteration.index})`);
    }
  });
}

function parseTargets(value: unknown, path: string): ScenarioTarget[] {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  return value.map((raw, i) => {
    const targetPath = `${path}[${i}]`;
    const target = expectObject(raw, targetPath);
    rejectUnknownKeys(target, targetPath, ['key', 'values']);
    return {
      key: requireString(target, 'key', targetPath),
      values: parseStringList(target.values, join(targetPath, 'values')),
    };
  });
}

function parseResolvedTargets(value: unknown, path: string): ScenarioResolvedTargets {
  const obj = expectObject(value, path);
  rejectUnknownKeys(obj, path, ['parameterValues', 'truncated']);
  if (typeof obj.truncated !== 'boolean') fail(join(path, 'truncated'), 'must be a boolean');
  return {
    parameterValues: parseStringList(obj.parameterValues, join(path, 'parameterValues')),
    truncated: obj.truncated,
  };
}

/** The optional execution fields SSM shows for rate control and the execution mode. */
function parseExecutionExtras(obj: JsonObject, path: string): Partial<ScenarioExecution> {
  const mode = optionalString(obj, 'mode', path);
  const targetParameterName = optionalString(obj, 'targetParameterName', path);
  const maxConcurrency = optionalString(obj, 'maxConcurrency', path);
  const maxErrors = optionalString(obj, 'maxErrors', path);
  return {
    ...(mode === undefined ? {} : { mode }),
    ...(targetParameterName === undefined ? {} : { targetParameterName }),
    ...(obj.targets === undefined ? {} : { targets: parseTargets(obj.targets, join(path, 'targets')) }),
    ...(obj.resolvedTargets === undefined
      ? {}
      : { resolvedTargets: parseResolvedTargets(obj.resolvedTargets, join(path, 'resolvedTargets')) }),
    ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
    ...(maxErrors === undefined ? {} : { maxErrors }),
  };
}

function parseParentLocation(value: unknown, path: string): ScenarioParentLocation {
  const obj = expectObject(value, path);
  rejectUnknownKeys(obj, path, ['account', 'region']);
  const account = requireString(obj, 'account', path);
  if (!/^\d{12}$/.test(account)) fail(join(path, 'account'), 'must be 12 digits');
  return { account, region: requireString(obj, 'region', path) };
}

function parseExecution(raw: unknown, path: string, ids: Map<string, string>): ScenarioExecution {
  const obj = expectObject(raw, path);
  rejectUnknownKeys(obj, path, [
    'id',
    'documentName',
    'documentVersion',
    'parentId',
    'timeline',
    'alarms',
    'steps',
    'mode',
    'targetParameterName',
    'targets',
    'resolvedTargets',
    'maxConcurrency',
    'maxErrors',
    'automationType',
    'parentLocation',
  ]);
  const id = parseId(obj, path, ids);
  const documentName = requireString(obj, 'documentName', path);
  const documentVersion = optionalString(obj, 'documentVersion', path);
  const parentId = obj.parentId === null ? null : optionalString(obj, 'parentId', path);
  if (parentId === id) fail(join(path, 'parentId'), 'must refer to another execution, not to itself');
  const timeline = parseTimeline(obj, path, parseExecutionEntry);
  const alarms = parseAlarms(obj, path);
  const stepsPath = join(path, 'steps');
  const steps = requireArray(obj, 'steps', path, false).map((step, i) =>
    parseStep(step, `${stepsPath}[${i}]`, ids),
  );
  checkLoopIterations(steps, stepsPath);
  const automationType = optionalString(obj, 'automationType', path);
  const parentLocation =
    obj.parentLocation === undefined
      ? undefined
      : parseParentLocation(obj.parentLocation, join(path, 'parentLocation'));
  if (parentLocation !== undefined && (parentId === null || parentId === undefined)) {
    fail(join(path, 'parentLocation'), 'needs a parentId');
  }
  return {
    id,
    documentName,
    ...(documentVersion === undefined ? {} : { documentVersion }),
    parentId: parentId ?? null,
    ...(parentLocation === undefined ? {} : { parentLocation }),
    ...(automationType === undefined ? {} : { automationType }),
    timeline,
    ...(alarms === undefined ? {} : { alarms }),
    steps,
    ...parseExecutionExtras(obj, path),
  };
}

/**
 * Validates a parsed scenario document and returns a clean copy of it. Unknown keys are rejected at
 * every level, so typos surface; ids must be 36 characters and unique across executions and steps;
 * timelines have `at` numbers >= 0 that never go back and are non-empty, except that of a step
 * planned up front (empty: it never starts); a `parentId` must name another execution of the same
 * file unless a `parentLocation` puts the parent in another (account, region).
 *
 * @param json - the document, e.g. the result of `JSON.parse`
 * @returns the validated scenario (`parentId` is always present, `null` when absent in the input)
 * @throws {@link ScenarioError} whose message starts with the path of the first bad field
 */
export function parseScenario(json: unknown): Scenario {
  const root = expectObject(json, '');
  rejectUnknownKeys(root, '', ['name', 'executions']);
  const name = requireString(root, 'name', '');
  const ids = new Map<string, string>();
  const executions = requireArray(root, 'executions', '', false).map((execution, i) =>
    parseExecution(execution, `executions[${i}]`, ids),
  );
  const executionIds = new Set(executions.map((execution) => execution.id));
  executions.forEach((execution, i) => {
    if (
      execution.parentId !== null &&
      execution.parentId !== undefined &&
      execution.parentLocation === undefined &&
      !executionIds.has(execution.parentId)
    ) {
      fail(
        `executions[${i}].parentId`,
        `must refer to another execution in the file (no "${execution.parentId}")`,
      );
    }
  });
  return { name, executions };
}

/**
 * Reads, parses and validates a scenario file.
 *
 * @param path - a JSON scenario file
 * @throws {@link ScenarioError} when the file cannot be read, is not JSON, or is not a valid
 *   scenario; the message names the file
 */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`${path}: cannot read scenario file (${(error as Error).message})`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${path}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  try {
    return parseScenario(json);
  } catch (error) {
    if (error instanceof ScenarioError)
      throw new ScenarioError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Where a step inside a loop stands: its loop step, its iteration, and when that iteration began. */
export interface LoopPlace {
  /** The `aws:loop` step. */
  readonly loop: ScenarioStep;
  /** The iteration, counted from 0. */
  readonly index: number;
  /** Seconds from the scenario start at which the iteration's first step starts; `undefined` if none does. */
  readonly iterationBeginAt: number | undefined;
}

/** The {@link LoopPlace} of every step inside a loop of a validated scenario, by step. */
export function loopPlacesOf(scenario: Scenario): Map<ScenarioStep, LoopPlace> {
  const places = new Map<ScenarioStep, LoopPlace>();
  for (const execution of scenario.executions) {
    const loops = new Map(
      execution.steps.filter((step) => step.loop !== undefined).map((step) => [step.id, step]),
    );
    if (loops.size === 0) continue;
    const begins = new Map<string, number>();
    const iterationKey = (step: ScenarioStep): string =>
      `${step.loopIteration?.loopStepId}#${step.loopIteration?.index}`;
    for (const step of execution.steps) {
      const start = step.timeline[0]?.at;
      if (step.loopIteration === undefined || start === undefined) continue;
      const key = iterationKey(step);
      begins.set(key, Math.min(begins.get(key) ?? start, start));
    }
    for (const step of execution.steps) {
      const loop = step.loopIteration === undefined ? undefined : loops.get(step.loopIteration.loopStepId);
      if (loop === undefined || step.loopIteration === undefined) continue;
      places.set(step, {
        loop,
        index: step.loopIteration.index,
        iterationBeginAt: begins.get(iterationKey(step)),
      });
    }
  }
  return places;
}

/**
 * The time, in seconds from the scenario start, of the last timeline or alarm entry: after it,
 * nothing in the scenario changes any more. `0` for a scenario without executions.
 */
export function scenarioEnd(scenario: Scenario): number {
  let end = 0;
  const visit = (entries: readonly { readonly at: number }[] | undefined): void => {
    for (const entry of entries ?? []) end = Math.max(end, entry.at);
  };
  for (const execution of scenario.executions) {
    visit(execution.timeline);
    visit(execution.alarms);
    for (const step of execution.steps) {
      visit(step.timeline);
      visit(step.alarms);
    }
  }
  return end;
}

/** Absolute path of the bundled default scenario, `sandbox/scenarios/demo.json`. */
export function demoScenarioPath(): string {
  return fileURLToPath(new URL('./scenarios/demo.json', import.meta.url));
}
