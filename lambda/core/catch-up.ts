// Brings a stored snapshot up to the transitions recorded after it, so a save that died half-way hides no change.
import { isNotStarted } from './read-plan';
import type { ExecutionSnapshot, ExecutionState, ExecutionView, OutboxEvent, StepSnapshot } from './types';

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
 * eventIds, already used. A recorded transition is reflected when its ordinal is below the counter of
 * its step, execution or alarm owner in the snapshot; the records carry their ordinal and what they
 * changed as typed fields, so they fold onto the snapshot as they are. An `untyped` record (stored
 * without those fields) cannot be placed and is skipped.
 *
 * @param recorded - unsent transitions of the shard, oldest first (others are ignored)
 */
export function catchUp(
  stored: ExecutionState | null,
  execution: ExecutionView,
  recorded: readonly OutboxEvent[],
): CaughtUp {
  let snapshot: ExecutionSnapshot | null = stored?.execution ?? null;
  const steps = new Map<string, StepSnapshot>(stored?.steps ?? []);
  const changedSteps = new Set<string>();
  let changed = false;

  for (const record of recorded) {
    if (record.executionId !== execution.executionId) continue;
    switch (record.kind) {
      case 'execution': {
        if (record.ordinal < (snapshot?.transitions ?? 0)) continue;
        snapshot = {
          ...(snapshot ?? firstSnapshot(execution)),
          status: record.status,
          transitions: record.ordinal + 1,
          // Recorded, so told: a status held back until the end of a long first read is no more.
          announced: undefined,
        };
        break;
      }
      case 'step': {
        const before = steps.get(record.stepExecutionId);
        if (record.ordinal < (before?.transitions ?? 0)) continue;
        if (!before && record.previousStatus === 'Pending') {
          // The step took over a not-started entry listed under another id (or none): it goes, as
          // the save that died would have deleted it.
          const superseded = [...steps.values()].find(
            (step) => isNotStarted(step) && step.stepName === record.stepName,
          );
          if (superseded) {
            steps.delete(superseded.stepExecutionId);
            changedSteps.add(superseded.stepExecutionId);
          }
        }
        steps.set(record.stepExecutionId, {
          stepExecutionId: record.stepExecutionId,
          stepName: record.stepName,
          status: record.status,
          startTime: record.startTime,
          transitions: record.ordinal + 1,
          alarms: before?.alarms ?? [],
          alarmsRaised: before?.alarmsRaised ?? 0,
          ...(record.maxAttempts !== null && { maxAttempts: record.maxAttempts }),
        });
        changedSteps.add(record.stepExecutionId);
        break;
      }
      case 'alarm': {
        const stepId = record.stepExecutionId;
        const owner = stepId === null ? snapshot : (steps.get(stepId) ?? null);
        // A step alarm whose step has no snapshot has nothing to be folded onto.
        if (!owner && stepId !== null) continue;
        if (record.ordinal < (owner?.alarmsRaised ?? 0)) continue;
        const raised = {
          alarms: [...new Set([...(owner?.alarms ?? []), record.alarmName])],
          alarmsRaised: record.ordinal + 1,
        };
        if (stepId === null) {
          snapshot = { ...(snapshot ?? firstSnapshot(execution)), ...raised };
        } else {
          const step = steps.get(stepId);
          if (step) steps.set(stepId, { ...step, ...raised });
          changedSteps.add(stepId);
        }
        break;
      }
      case 'untyped':
        continue;
    }
    changed = true;
  }

  if (!changed) return { state: stored, changedSteps: [], changed: false };
  // Steps recorded for an execution never saved (a long first read whose first save died): a first
  // snapshot carries them, its status not announced yet.
  snapshot ??= firstSnapshot(execution);
  return { state: { execution: snapshot, steps }, changedSteps: [...changedSteps], changed };
}

/**
 * The snapshot of an execution whose first save never happened. Its status is not announced until a
 * recorded execution transition says so: a long first read records steps before the final status.
 */
function firstSnapshot(execution: ExecutionView): ExecutionSnapshot {
  return {
    executionId: execution.executionId,
    documentName: execution.documentName,
    documentVersion: execution.documentVersion,
    status: execution.status,
    announced: false,
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
