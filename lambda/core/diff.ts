// Compares what SSM shows with the stored snapshots and names every transition.
import { isLoopPlaceKey, isNotStarted, isSettled, loopPlaceKey, snapshotKeyOf } from './read-plan';
import { isFailureStatus, isTerminal } from './status';
import type {
  AlarmState,
  ExecutionSnapshot,
  ExecutionState,
  ExecutionView,
  StepSnapshot,
  StepView,
  Transition,
} from './types';

/** What the diff needs: the execution now, the steps read this cycle, and the stored state. */
export interface DiffInput {
  readonly execution: ExecutionView;
  /** The steps read this cycle: all of them, or the window that can have changed. */
  readonly steps: readonly StepView[];
  readonly previous: ExecutionState | null;
  /** Whether `steps` covers every step that can have changed since the last complete read. */
  readonly stepsComplete: boolean;
  /** When the steps were read (ISO). */
  readonly readAt: string;
  /**
   * How long after its start a step may first show up in SSM's listing; an ended execution is
   * settled by a complete read that long after its end. @default 0
   */
  readonly visibilityLagSeconds?: number;
  /**
   * The steps are one chunk of a read that goes on (a long listing read a few pages at a time): an
   * ended execution's final status waits for the chunk that ends the read, so it still comes after
   * every step. @default false
   */
  readonly holdFinalStatus?: boolean;
  /**
   * The complete read was a listing that spanned cycles: it cannot prove on its own that no step is
   * shown late, so an ended execution waits out the visibility lag; and, complete only as of when it
   * began (`readAt`), one that began before the execution ended holds its final status back (steps
   * may have changed after it began). @default false
   */
  readonly spansCycles?: boolean;
}

/** The transitions found and the state to store once they are safely recorded. */
export interface DiffResult {
  readonly transitions: readonly Transition[];
  readonly next: ExecutionState;
  /**
   * Step execution ids whose snapshot changed and must be written; an id absent from `next.steps` is
   * a not-started entry a started step took over, to be deleted.
   */
  readonly changedSteps: readonly string[];
  /** Whether the execution snapshot itself must be written. */
  readonly changed: boolean;
  /** Whether an ended execution's final status was held back: its read is not over. */
  readonly held: boolean;
}

/**
 * Diffs one execution and its steps against the stored state.
 *
 * First sight is a transition from `null`. Transitions come out in the order a consumer wants to
 * read them: the execution's own non-final status first, then steps by start time (each followed by
 * its new alarms), then execution-level alarms, and a final execution status last.
 */
export function diffExecution(input: DiffInput): DiffResult {
  const { execution, previous } = input;
  const previousExecution = previous?.execution ?? null;
  const previousSteps = previous?.steps ?? new Map<string, StepSnapshot>();

  const stepTransitions: Transition[] = [];
  const nextSteps = new Map(previousSteps);
  const touched = new Set<string>();
  const plan = new PlannedSteps(previousSteps);
  const sorted = sortByStart(input.steps);
  // Steps not started yet are kept, silently: the audit knows the plan, a consumer hears nothing.
  for (const step of sorted) {
    if (!isNotStarted(step)) {
      // A planned entry whose own id started is that step's, never another's (a loop iteration).
      plan.drop(step.stepExecutionId);
      continue;
    }
    // Listed as not started in this very read: a step that did start is another one (a loop
    // iteration, or a step shown late), so it may not take this entry over.
    const key = snapshotKeyOf(step);
    plan.hold(key);
    if (previousSteps.has(key)) continue;
    nextSteps.set(key, plannedSnapshot(step, key));
    touched.add(key);
    plan.add(key, step.stepName);
  }
  for (const step of sorted) {
    if (isNotStarted(step)) continue;
    let before = previousSteps.get(step.stepExecutionId) ?? null;
    // A loop's step is planned under its place (loop, iteration, name), which no other step execution
    // shares: that entry is this step's, taken over if the step is new, dropped if it is known by id.
    const place = loopPlaceKey(step);
    const planned = place === null ? undefined : nextSteps.get(place);
    if (place !== null && planned !== undefined && isNotStarted(planned)) {
      nextSteps.delete(place);
      if (previousSteps.has(place)) touched.add(place);
      else touched.delete(place);
      before ??= planned;
    }
    if (before === null) {
      // A started step SSM listed before under another id (or none) takes over that planned entry,
      // so its first event says it was Pending.
      const superseded = plan.take(step.stepName, step.stepExecutionId);
      if (superseded !== null) {
        before = nextSteps.get(superseded) ?? null;
        nextSteps.delete(superseded);
        if (previousSteps.has(superseded)) touched.add(superseded);
        else touched.delete(superseded);
      }
    }
    const { transitions, next } = diffStep(step, before);
    if (transitions.length > 0 || before === null || before.stepExecutionId !== step.stepExecutionId) {
      nextSteps.set(step.stepExecutionId, next);
      touched.add(step.stepExecutionId);
      stepTransitions.push(...transitions);
    }
  }

  let executionOrdinal = previousExecution?.transitions ?? 0;
  const hold = isTerminal(execution.status) && (input.holdFinalStatus === true || begunBeforeEnd(input));
  const announced = previousExecution !== null && previousExecution.announced !== false;
  // The status as told so far: a held first sight was stored without being announced.
  const announcedStatus = announced ? (previousExecution?.status ?? null) : null;
  const statusChanged = !hold && (!announced || announcedStatus !== execution.status);
  const statusTransition: Transition | null = statusChanged
    ? {
        kind: 'execution',
        status: execution.status,
        previousStatus: announcedStatus,
        ordinal: executionOrdinal++,
      }
    : null;
  const alarmDiff = newAlarms(execution.triggeredAlarms, previousExecution?.alarms ?? []);
  const executionAlarms = alarmDiff.raised.map(
    (alarm, index): Transition => ({
      kind: 'alarm',
      alarm,
      step: null,
      ordinal: (previousExecution?.alarmsRaised ?? 0) + index,
    }),
  );

  const transitions: Transition[] = [];
  const finalStatusLast = statusTransition !== null && isTerminal(execution.status);
  if (statusTransition && !finalStatusLast) transitions.push(statusTransition);
  transitions.push(...stepTransitions, ...executionAlarms);
  if (statusTransition && finalStatusLast) transitions.push(statusTransition);

  const stepsReadAt = input.stepsComplete ? input.readAt : (previousExecution?.stepsReadAt ?? null);
  // Held back: the snapshot keeps the status it announced, or, never announced, stores SSM's unannounced.
  const keepStored = hold && announced && previousExecution !== null;
  const storedStatus = keepStored ? (previousExecution as ExecutionSnapshot).status : execution.status;
  const settledAfter =
    hold || !isTerminal(storedStatus)
      ? null
      : previousExecution !== null &&
          isTerminal(previousExecution.status) &&
          previousExecution.announced !== false &&
          previousExecution.settledAfter
        ? previousExecution.settledAfter
        : settleTime(execution, input, nextSteps);
  const nextExecution: ExecutionSnapshot = {
    executionId: execution.executionId,
    documentName: execution.documentName,
    documentVersion: execution.documentVersion,
    status: storedStatus,
    ...(hold && !keepStored && { announced: false }),
    parentExecutionId: execution.parentExecutionId,
    startTime: execution.startTime,
    endTime: keepStored ? (previousExecution as ExecutionSnapshot).endTime : execution.endTime,
    transitions: executionOrdinal,
    alarms: alarmDiff.names,
    alarmsRaised: (previousExecution?.alarmsRaised ?? 0) + executionAlarms.length,
    version: previousExecution?.version ?? 0,
    stepsReadAt,
    settledAfter,
    failedSteps: countFailures(nextSteps),
    alarmCount: (previousExecution?.alarmsRaised ?? 0) + executionAlarms.length + countAlarms(nextSteps),
  };
  const changed =
    previousExecution === null ||
    transitions.length > 0 ||
    touched.size > 0 ||
    // A first complete read must be stored; later reads that change nothing write nothing.
    (previousExecution.stepsReadAt === null && stepsReadAt !== null) ||
    (previousExecution.announced === false) !== (nextExecution.announced === false) ||
    isSettled(previousExecution) !== isSettled(nextExecution) ||
    previousExecution.documentVersion !== nextExecution.documentVersion ||
    previousExecution.endTime !== nextExecution.endTime ||
    previousExecution.startTime !== nextExecution.startTime;

  // Once settled, an execution's snapshots expire with its history: every step is written again so
  // the store can give it the retention, not only the ones that changed.
  if (isSettled(nextExecution) && !(previousExecution && isSettled(previousExecution))) {
    for (const id of nextSteps.keys()) touched.add(id);
  }
  const changedSteps = [...touched];
  return {
    transitions,
    next: { execution: nextExecution, steps: nextSteps },
    changedSteps,
    changed,
    held: hold,
  };
}

/** A complete listing that spanned cycles and began before the execution's end. */
function begunBeforeEnd(input: DiffInput): boolean {
  const end = input.execution.endTime;
  return (
    input.spansCycles === true &&
    input.stepsComplete &&
    end !== null &&
    Date.parse(input.readAt) < Date.parse(end)
  );
}

function diffStep(
  step: StepView,
  before: StepSnapshot | null,
): { transitions: Transition[]; next: StepSnapshot } {
  const transitions: Transition[] = [];
  let ordinal = before?.transitions ?? 0;
  if (before?.status !== step.status) {
    transitions.push({ kind: 'step', step, previousStatus: before?.status ?? null, ordinal: ordinal++ });
  }
  const alarmDiff = newAlarms(step.triggeredAlarms, before?.alarms ?? []);
  const raisedBefore = before?.alarmsRaised ?? 0;
  alarmDiff.raised.forEach((alarm, index) => {
    transitions.push({ kind: 'alarm', alarm, step, ordinal: raisedBefore + index });
  });
  return {
    transitions,
    next: {
      stepExecutionId: step.stepExecutionId,
      stepName: step.stepName,
      status: step.status,
      startTime: step.startTime,
      transitions: ordinal,
      alarms: alarmDiff.names,
      alarmsRaised: raisedBefore + alarmDiff.raised.length,
      ...(step.maxAttempts !== null && { maxAttempts: step.maxAttempts }),
    },
  };
}

/**
 * Alarms now in `ALARM` that were never reported for this execution or step. Once reported, an
 * alarm stays reported, so a payload that briefly omits `TriggeredAlarms` cannot cause a repeat.
 */
function newAlarms(
  current: readonly AlarmState[],
  reported: readonly string[],
): { raised: AlarmState[]; names: string[] } {
  const known = new Set(reported);
  const raised: AlarmState[] = [];
  for (const alarm of current) {
    if (alarm.state !== 'ALARM' || known.has(alarm.name)) continue;
    known.add(alarm.name);
    raised.push(alarm);
  }
  return { raised, names: [...known] };
}

function sortByStart(steps: readonly StepView[]): StepView[] {
  // Steps not yet started sort last; equal start times keep SSM's order.
  return [...steps].sort((a, b) => {
    if (a.startTime === b.startTime) return 0;
    if (a.startTime === null) return 1;
    if (b.startTime === null) return -1;
    return a.startTime < b.startTime ? -1 : 1;
  });
}

function countAlarms(steps: ReadonlyMap<string, StepSnapshot>): number {
  let count = 0;
  for (const step of steps.values()) count += step.alarmsRaised;
  return count;
}

function countFailures(steps: ReadonlyMap<string, StepSnapshot>): number {
  let count = 0;
  for (const step of steps.values()) if (isFailureStatus(step.status)) count++;
  return count;
}

/**
 * When a complete read settles an ended execution: the visibility lag after its end, as SSM may show
 * a step that long after its start, also one that started just before the end and was not listed
 * yet at the read after it (or, for a step SSM made while running, not listed at all). Without an
 * end time from SSM, the read that saw the execution ended stands in for it.
 */
function settleTime(
  execution: ExecutionView,
  input: DiffInput,
  steps: ReadonlyMap<string, StepSnapshot>,
): string {
  const end = Date.parse(execution.endTime ?? input.readAt);
  const lag = couldHideSteps(execution, input, steps) ? (input.visibilityLagSeconds ?? 0) : 0;
  return new Date(end + lag * 1000).toISOString();
}

/**
 * Whether a complete read after the end may still miss a step SSM shows late. SSM lists a runbook's
 * future steps up front, so a step started but not yet visible still shows as not started: a read
 * after the end that lists no step as not started has seen every step, unless SSM adds steps while
 * the execution runs (loop iterations, one step per target of a rate-control or multi-account run),
 * which it may list only once visible. Anything short of that proof waits out the lag.
 */
function couldHideSteps(
  execution: ExecutionView,
  input: DiffInput,
  steps: ReadonlyMap<string, StepSnapshot>,
): boolean {
  if (
    !input.stepsComplete ||
    input.spansCycles ||
    execution.endTime === null ||
    input.readAt < execution.endTime
  )
    return true;
  if (execution.addsSteps !== false) return true;
  const names = new Set<string>();
  for (const step of steps.values()) {
    if (isNotStarted(step) || names.has(step.stepName)) return true;
    names.add(step.stepName);
  }
  return input.steps.some((step) => step.action === LOOP_ACTION);
}

/** The action whose iterations SSM lists as steps of their own, made while the loop runs. */
const LOOP_ACTION = 'aws:loop';

/** The snapshot of a step listed but not started, kept under `key`: no transition counted yet. */
function plannedSnapshot(step: StepView, key: string): StepSnapshot {
  return {
    stepExecutionId: key,
    stepName: step.stepName,
    status: step.status,
    startTime: null,
    transitions: 0,
    alarms: [],
    alarmsRaised: 0,
    ...(step.maxAttempts !== null && { maxAttempts: step.maxAttempts }),
  };
}

/**
 * The not-started steps of an execution by name, in plan order. SSM may list a step that has not
 * started without an id, or under an id that changes when it starts; a newly seen started step then
 * takes over the first planned entry of its name (step names are unique within a runbook). A loop's
 * steps repeat their names: their entries, kept under their place, are taken over by place only.
 */
class PlannedSteps {
  readonly #byName = new Map<string, string[]>();
  readonly #held = new Set<string>();
  readonly #dropped = new Set<string>();

  constructor(steps: ReadonlyMap<string, StepSnapshot>) {
    for (const step of steps.values()) if (isNotStarted(step)) this.add(step.stepExecutionId, step.stepName);
  }

  add(key: string, stepName: string): void {
    if (isLoopPlaceKey(key)) return;
    const keys = this.#byName.get(stepName) ?? [];
    keys.push(key);
    this.#byName.set(stepName, keys);
  }

  /** The entry belongs to the step of that id, which started: no other step takes it over. */
  drop(key: string): void {
    this.#dropped.add(key);
  }

  /** The entry is listed as not started in this read: no started step takes it over. */
  hold(key: string): void {
    this.#held.add(key);
  }

  /** Removes and returns the key of the first planned entry of this name that a new step may take over. */
  take(stepName: string, exceptKey: string): string | null {
    const keys = this.#byName.get(stepName) ?? [];
    const index = keys.findIndex(
      (key) => key !== exceptKey && !this.#held.has(key) && !this.#dropped.has(key),
    );
    if (index < 0) return null;
    const [key] = keys.splice(index, 1);
    return key ?? null;
  }
}
