// Tests of the step-read strategy: when steps need reading, and when a newest-first window covers them.
import { describe, expect, it } from 'vitest';
import { isWindowCovered, needsStepRead } from '../../lambda/core/strategy';
import type { StepSnapshot } from '../../lambda/core/types';
import { executionState, executionView, isoAt, stepSnapshot, stepView } from '../helpers/builders';

/** Snapshots of steps 1..n started at seconds 1..n, all terminal except those named in `open`. */
function steps(n: number, open: readonly number[] = []): StepSnapshot[] {
  return Array.from({ length: n }, (_, i) =>
    stepSnapshot({
      stepExecutionId: `step-${i + 1}`,
      stepName: `step${i + 1}`,
      startTime: isoAt(i + 1),
      status: open.includes(i + 1) ? 'InProgress' : 'Success',
    }),
  );
}

/** Views of the given step numbers, in the order given (newest first for ReverseOrder). */
function seen(...numbers: number[]) {
  return numbers.map((n) =>
    stepView({ stepExecutionId: `step-${n}`, stepName: `step${n}`, startTime: isoAt(n) }),
  );
}

describe('Function: needsStepRead', () => {
  it('reads an execution never seen', () => {
    expect(needsStepRead(null, executionView())).toBe(true);
  });

  it('reads an execution still in flight', () => {
    expect(needsStepRead(executionState(), executionView())).toBe(true);
  });

  it('reads an execution whose status changed to final', () => {
    expect(needsStepRead(executionState(), executionView({ status: 'Success', endTime: isoAt(5) }))).toBe(
      true,
    );
  });

  it('reads an execution with an unknown status, as it may not be final', () => {
    const previous = executionState({ status: 'SomethingNew' });

    expect(needsStepRead(previous, executionView({ status: 'SomethingNew' }))).toBe(true);
  });

  it('reads a finished execution whose steps were never read completely', () => {
    const previous = executionState({ status: 'Success', stepsReadAt: null });

    expect(needsStepRead(previous, executionView({ status: 'Success', endTime: isoAt(5) }))).toBe(true);
  });

  it('reads a finished execution whose steps were last read before it ended', () => {
    const previous = executionState({ status: 'Success', stepsReadAt: isoAt(4) });

    expect(needsStepRead(previous, executionView({ status: 'Success', endTime: isoAt(5) }))).toBe(true);
  });

  it('skips a finished execution whose steps were read after it ended', () => {
    const previous = executionState({ status: 'Success', stepsReadAt: isoAt(6) });

    expect(needsStepRead(previous, executionView({ status: 'Success', endTime: isoAt(5) }))).toBe(false);
  });

  it('skips a finished execution without an end time once its steps were read', () => {
    const previous = executionState({ status: 'Failed', stepsReadAt: isoAt(6) });

    expect(needsStepRead(previous, executionView({ status: 'Failed', endTime: null }))).toBe(false);
  });
});

describe('Function: isWindowCovered', () => {
  it('is not covered without a previous state', () => {
    expect(isWindowCovered(null, seen(3, 2, 1))).toBe(false);
  });

  it('is not covered when the steps were never read completely', () => {
    const previous = executionState({ stepsReadAt: null }, steps(3));

    expect(isWindowCovered(previous, seen(3, 2, 1))).toBe(false);
  });

  it('is not covered before any step is seen', () => {
    expect(isWindowCovered(executionState({}, steps(3)), [])).toBe(false);
  });

  it('is covered once every non-terminal step was seen and the oldest seen is known', () => {
    const previous = executionState({}, steps(120, [120]));

    expect(isWindowCovered(previous, seen(120, 119))).toBe(true);
  });

  it('is not covered while a non-terminal step is not seen yet', () => {
    const previous = executionState({}, steps(120, [60, 120]));

    expect(isWindowCovered(previous, seen(120, 119, 100))).toBe(false);
    expect(isWindowCovered(previous, seen(120, 119, 100, 60))).toBe(true);
  });

  it('is not covered when the oldest step seen is new', () => {
    const previous = executionState({}, steps(3));

    expect(isWindowCovered(previous, seen(5, 4))).toBe(false);
  });

  it('covers a step that started and ended between polls only once a known older step is seen', () => {
    // Prepare: step-4 ran entirely between two polls; step-3 was in progress at the last poll.
    const previous = executionState({}, steps(3, [3]));
    const quick = stepView({
      stepExecutionId: 'step-4',
      status: 'Success',
      startTime: isoAt(4),
      endTime: isoAt(5),
    });
    const three = stepView({ stepExecutionId: 'step-3', status: 'Success', startTime: isoAt(3) });

    // Act & Assess
    expect(isWindowCovered(previous, [quick])).toBe(false);
    expect(isWindowCovered(previous, [quick, three])).toBe(true);
  });

  it('treats a loop iteration (new step id, same step name) as a new step', () => {
    // Prepare
    const previous = executionState({}, [
      stepSnapshot({ stepExecutionId: 'loop-1', stepName: 'poll', status: 'Success' }),
    ]);
    const iteration = stepView({ stepExecutionId: 'loop-2', stepName: 'poll', startTime: isoAt(2) });
    const first = stepView({ stepExecutionId: 'loop-1', stepName: 'poll', status: 'Success' });

    // Act & Assess
    expect(isWindowCovered(previous, [iteration])).toBe(false);
    expect(isWindowCovered(previous, [iteration, first])).toBe(true);
  });

  it("covers a finished execution's last steps once its open step is seen again", () => {
    // Prepare: the execution ended; step-3 finished and step-4 ran after the last poll.
    const previous = executionState({}, steps(3, [3]));
    const lastSteps = [
      stepView({ stepExecutionId: 'step-4', status: 'Failed', startTime: isoAt(4) }),
      stepView({ stepExecutionId: 'step-3', status: 'Success', startTime: isoAt(3) }),
    ];

    // Act & Assess
    expect(isWindowCovered(previous, lastSteps.slice(0, 1))).toBe(false);
    expect(isWindowCovered(previous, lastSteps)).toBe(true);
  });
});
