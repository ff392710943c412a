// Decides which steps a cycle must read: only the window that can have changed since the last read.
import { isTerminal } from './status';
import type { ExecutionState, ExecutionView, StepSnapshot, StepView } from './types';

/** How steps are read: the incremental window (default) or every page every cycle (for comparison). */
export type StepReadStrategy = 'window' | 'full';

/**
 * Whether an execution's steps need reading at all. A finished execution whose final status is
 * already stored, and whose steps were read completely after it ended, cannot change any more.
 */
export function needsStepRead(previous: ExecutionState | null, execution: ExecutionView): boolean {
  if (!previous) return true;
  const stored = previous.execution;
  if (stored.status !== execution.status || !isTerminal(execution.status)) return true;
  if (stored.stepsReadAt === null) return true;
  return execution.endTime !== null && stored.stepsReadAt < execution.endTime;
}

/** Statuses a step with attempts left is retried from, under the same step execution id. */
const RETRIED_FROM: ReadonlySet<string> = new Set(['Failed', 'TimedOut']);

/**
 * Whether a step, as the snapshot has it, can still change: it is not terminal, or it failed and
 * has attempts left (`MaxAttempts` > 1), so it may run again under the same id.
 */
export function mayStillChange(step: StepSnapshot): boolean {
  if (!isTerminal(step.status)) return true;
  return RETRIED_FROM.has(step.status) && (step.maxAttempts ?? 1) > 1;
}

/**
 * Whether the steps seen so far, newest first (SSM's `ReverseOrder`), cover every step that can have
 * changed since the last complete read — so no further page is needed.
 *
 * Covered means: every step that could still change in the snapshot ({@link mayStillChange}) has
 * been seen again, and the oldest step seen was already in the snapshot. SSM lists steps by start
 * time, so every step older than one the last complete read knew was visible to that read too, and
 * is in the snapshot; the settled ones among them never change again.
 */
export function isWindowCovered(
  previous: ExecutionState | null,
  seenNewestFirst: readonly StepView[],
): boolean {
  if (!previous || previous.execution.stepsReadAt === null) return false;
  const oldest = seenNewestFirst[seenNewestFirst.length - 1];
  if (!oldest || !previous.steps.has(oldest.stepExecutionId)) return false;
  const seen = new Set(seenNewestFirst.map((s) => s.stepExecutionId));
  for (const step of previous.steps.values()) {
    if (mayStillChange(step) && !seen.has(step.stepExecutionId)) return false;
  }
  return true;
}
