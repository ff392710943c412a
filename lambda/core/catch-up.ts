// Brings a stored snapshot up to the transitions recorded after it, so a save that died half-way hides no change.
import { eventIdOf } from './events';
import {
  DETAIL_TYPES,
  type ExecutionSnapshot,
  type ExecutionState,
  type ExecutionView,
  type OutboxEvent,
  type StepSnapshot,
  type StepView,
  type Transition,
} from './types';

/** How far past a snapshot's counter the ordinal of a recorded transition is looked for. */
const ORDINAL_SEARCH = 64;

/** The state to diff against, and what catching up changed in it. */
export interface CaughtUp {
  /** The stored state with the unsaved transitions applied; as stored when there were none. */
  readonly state: ExecutionState | null;
  /** Steps whose snapshot catching up changed; they must be written even without a new transition. */
  readonly changedSteps: readonly string[];
  /** Whether catching up changed anything, so the snapshot must be written. */
  readonly changed: boolean;
}

/**
 * Applies to an execution's stored state the transitions recorded for it that the state does not
 * reflect yet.
 *
 * A cycle records transitions (the outbox) before it saves the snapshot. When it dies in between, the
 * snapshot stays behind what consumers are sent: diffing against it would take a return to the old
 * status for "no change" and lose that transition, and would give later transitions ordinals, and so
 * eventIds, already used. A recorded transition is reflected when its ordinal is below the snapshot's
 * counter; its ordinal is found by recomputing its deterministic eventId.
 *
 * @param recorded - unsent transitions of the shard, oldest first (others are ignored)
 */
export function catchUp(
  stored: ExecutionState | null,
  execution: ExecutionView,
  recorded: readonly OutboxEvent[],
): CaughtUp {
  const executionId = execution.executionId;
  let snapshot: ExecutionSnapshot | null = stored?.execution ?? null;
  const steps = new Map<string, StepSnapshot>(stored?.steps ?? []);
  const changedSteps = new Set<string>();
  let changed = false;

  for (const event of recorded) {
    if (event.executionId !== executionId) continue;
    const detail = parseDetail(event.detail);
    if (!detail) continue;
    if (event.detailType === DETAIL_TYPES.execution && typeof detail.executionStatus === 'string') {
      const status = detail.executionStatus;
      const ordinal = ordinalOf(event.eventId, snapshot?.transitions ?? 0, (n) =>
        eventIdOf(executionId, { kind: 'execution', status, previousStatus: null, ordinal: n }),
      );
      if (ordinal === null) continue;
      snapshot = { ...(snapshot ?? firstSnapshot(execution)), status, transitions: ordinal + 1 };
      changed = true;
    } else if (event.detailType === DETAIL_TYPES.step && detail.step) {
      const step = detail.step;
      const before = steps.get(step.stepExecutionId);
      const view = stepViewOf(step);
      const ordinal = ordinalOf(event.eventId, before?.transitions ?? 0, (n) =>
        eventIdOf(executionId, { kind: 'step', step: view, previousStatus: null, ordinal: n }),
      );
      if (ordinal === null) continue;
      steps.set(step.stepExecutionId, {
        stepExecutionId: step.stepExecutionId,
        stepName: step.stepName,
        status: step.status,
        startTime: step.startTime,
        transitions: ordinal + 1,
        alarms: before?.alarms ?? [],
        alarmsRaised: before?.alarmsRaised ?? 0,
        ...(step.maxAttempts !== null && { maxAttempts: step.maxAttempts }),
      });
      changedSteps.add(step.stepExecutionId);
      changed = true;
    } else if (event.detailType === DETAIL_TYPES.alarm && detail.alarm) {
      const alarm = detail.alarm;
      const stepId = detail.step?.stepExecutionId ?? null;
      const owner = stepId === null ? snapshot : (steps.get(stepId) ?? null);
      if (!owner && stepId !== null) continue;
      const view = stepId === null || !detail.step ? null : stepViewOf(detail.step);
      const ordinal = ordinalOf(event.eventId, owner?.alarmsRaised ?? 0, (n) =>
        eventIdOf(executionId, { kind: 'alarm', alarm, step: view, ordinal: n } satisfies Transition),
      );
      if (ordinal === null) continue;
      const raised = {
        alarms: [...new Set([...(owner?.alarms ?? []), alarm.name])],
        alarmsRaised: ordinal + 1,
      };
      if (stepId === null) {
        snapshot = { ...(snapshot ?? firstSnapshot(execution)), ...raised };
      } else {
        const step = steps.get(stepId);
        if (step) steps.set(stepId, { ...step, ...raised });
        changedSteps.add(stepId);
      }
      changed = true;
    }
  }

  if (!changed || !snapshot) return { state: stored, changedSteps: [], changed: false };
  return { state: { execution: snapshot, steps }, changedSteps: [...changedSteps], changed };
}

/** The parts of an event detail catching up needs. */
interface RecordedDetail {
  readonly executionStatus?: unknown;
  readonly step?: {
    readonly stepExecutionId: string;
    readonly stepName: string;
    readonly status: string;
    readonly startTime: string | null;
    readonly maxAttempts: number | null;
  } | null;
  readonly alarm?: { readonly name: string; readonly state: string };
}

function parseDetail(text: string): RecordedDetail | null {
  try {
    const detail: unknown = JSON.parse(text);
    return typeof detail === 'object' && detail !== null ? (detail as RecordedDetail) : null;
  } catch {
    return null;
  }
}

/** The ordinal n in [from, from + ORDINAL_SEARCH) whose eventId matches, or null (reflected already). */
function ordinalOf(eventId: string, from: number, idOf: (ordinal: number) => string): number | null {
  for (let n = from; n < from + ORDINAL_SEARCH; n++) if (idOf(n) === eventId) return n;
  return null;
}

/** What an eventId of a step depends on; the rest stays empty. */
function stepViewOf(step: NonNullable<RecordedDetail['step']>): StepView {
  return {
    stepExecutionId: step.stepExecutionId,
    stepName: step.stepName,
    action: null,
    status: step.status,
    startTime: step.startTime,
    endTime: null,
    onFailure: null,
    maxAttempts: step.maxAttempts,
    isCritical: null,
    failureMessage: null,
    failureDetails: null,
    response: null,
    responseCode: null,
    inputs: null,
    outputs: null,
    targetLocation: null,
    triggeredAlarms: [],
  };
}

/** The snapshot of an execution whose first save never happened. */
function firstSnapshot(execution: ExecutionView): ExecutionSnapshot {
  return {
    executionId: execution.executionId,
    documentName: execution.documentName,
    documentVersion: execution.documentVersion,
    status: execution.status,
    parentExecutionId: execution.parentExecutionId,
    startTime: execution.startTime,
    endTime: execution.endTime,
    transitions: 0,
    alarms: [],
    alarmsRaised: 0,
    version: 0,
    stepsReadAt: null,
    failedSteps: 0,
    alarmCount: 0,
  };
}
