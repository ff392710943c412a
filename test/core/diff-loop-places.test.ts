// Tests of diffExecution on aws:loop iterations: each not-started iteration planned under its place, taken over by its own start only.
import { describe, expect, it } from 'vitest';
import { type DiffInput, diffExecution } from '../../lambda/core/diff';
import { loopPlaceKey, plannedStepKey } from '../../lambda/core/read-plan';
import type { ExecutionState, ParentStep, StepView, Transition } from '../../lambda/core/types';
import { executionState, executionView, isoAt, stepSnapshot, stepView } from '../helpers/builders';

function diff(overrides: Partial<DiffInput> = {}) {
  return diffExecution({
    execution: executionView(),
    steps: [],
    previous: null,
    stepsComplete: true,
    readAt: isoAt(10),
    ...overrides,
  });
}

/** `ParentStepDetails` of iteration `iteration` of the loop step `stopAll`. */
function parent(iteration: number): ParentStep {
  return {
    stepExecutionId: 'loop-1',
    stepName: 'stopAll',
    action: 'aws:loop',
    iteration,
    iteratorValue: null,
  };
}

/** Iteration `iteration` of `stopOne` listed before it starts, under `id` (SSM's, or the name key without one). */
function planned(iteration: number, id = plannedStepKey('stopOne')): StepView {
  return stepView({
    stepExecutionId: id,
    stepName: 'stopOne',
    status: 'Pending',
    startTime: null,
    parentStep: parent(iteration),
  });
}

/** Iteration `iteration` of `stopOne` started, under its own id `stop-<iteration>`. */
function started(iteration: number): StepView {
  return stepView({
    stepExecutionId: `stop-${iteration}`,
    stepName: 'stopOne',
    parentStep: parent(iteration),
  });
}

/** The place key of iteration `iteration` of `stopOne`. */
function place(iteration: number): string {
  return loopPlaceKey(planned(iteration)) as string;
}

/** A step transition as `id previous->status`. */
function stepTransitions(transitions: readonly Transition[]): string[] {
  return transitions.flatMap((t) =>
    t.kind === 'step' ? [`${t.step.stepExecutionId} ${t.previousStatus}->${t.step.status}`] : [],
  );
}

/** The stored state after a first read that lists iterations 1 to 3 of `stopOne` not started. */
function plannedThree(id?: (iteration: number) => string): ExecutionState {
  const steps = [1, 2, 3].map((i) => planned(i, id?.(i)));
  return diff({ steps }).next;
}

describe('Function: diffExecution on loop iterations', () => {
  it('plans each iteration listed without an id under its own place, not one entry per name', () => {
    // Act
    const result = diff({ steps: [1, 2, 3].map((i) => planned(i)) });

    // Assess
    expect([...result.next.steps.keys()]).toEqual([place(1), place(2), place(3)]);
    expect(stepTransitions(result.transitions)).toEqual([]);
  });

  it('gives every iteration previousStatus Pending when it starts, whichever starts first', () => {
    // Prepare
    const previous = plannedThree();

    // Act: iteration 3, then 1, then 2.
    const third = diff({ previous, steps: [started(3)], stepsComplete: false });
    const first = diff({ previous: third.next, steps: [started(1)], stepsComplete: false });
    const second = diff({ previous: first.next, steps: [started(2)], stepsComplete: false });

    // Assess
    expect(stepTransitions([...third.transitions, ...first.transitions, ...second.transitions])).toEqual([
      'stop-3 Pending->InProgress',
      'stop-1 Pending->InProgress',
      'stop-2 Pending->InProgress',
    ]);
    expect([...third.next.steps.keys()].sort()).toEqual([place(1), place(2), 'stop-3'].sort());
    expect(third.changedSteps).toEqual(expect.arrayContaining([place(3), 'stop-3']));
    expect([...second.next.steps.keys()].sort()).toEqual(['stop-1', 'stop-2', 'stop-3']);
  });

  it('plans an iteration listed under a temporary id by its place, so its start under another id takes it over', () => {
    // Prepare: SSM lists each iteration under an id it changes on start.
    const previous = plannedThree((i) => `pending-${i}`);

    // Act
    const result = diff({ previous, steps: [started(2)], stepsComplete: false });

    // Assess
    expect(stepTransitions(result.transitions)).toEqual(['stop-2 Pending->InProgress']);
    expect(result.next.steps.has(place(2))).toBe(false);
    expect(result.next.steps.has(place(1))).toBe(true);
  });

  it('lets the started sight win when one read lists an iteration both not started and started', () => {
    // Act: a page shift shows iteration 1 Pending on one page and started on a later one.
    const result = diff({ steps: [planned(1, 'pending-1'), started(1)] });

    // Assess
    expect(stepTransitions(result.transitions)).toEqual(['stop-1 Pending->InProgress']);
    expect([...result.next.steps.keys()]).toEqual(['stop-1']);
  });

  it('never gives an iteration the planned entry of another', () => {
    // Prepare: only iteration 2 was listed before it started.
    const previous = diff({ steps: [planned(2)] }).next;

    // Act
    const result = diff({ previous, steps: [started(1)], stepsComplete: false });

    // Assess
    expect(stepTransitions(result.transitions)).toEqual(['stop-1 null->InProgress']);
    expect(result.next.steps.has(place(2))).toBe(true);
  });

  it('reads a snapshot stored before places: an iteration known by its id keeps its entry, the place entry goes', () => {
    // Prepare: stored with stable ids (iteration 2 under `stop-2`), then a read keyed it by place too.
    const old = executionState({}, [
      stepSnapshot({
        stepExecutionId: 'stop-2',
        stepName: 'stopOne',
        status: 'Pending',
        startTime: null,
        transitions: 0,
      }),
    ]);
    const previous = diff({ previous: old, steps: [planned(2, 'stop-2')], stepsComplete: false }).next;

    // Act
    const result = diff({ previous, steps: [started(2)], stepsComplete: false });

    // Assess: one event, from Pending; no stale planned entry left behind.
    expect(stepTransitions(result.transitions)).toEqual(['stop-2 Pending->InProgress']);
    expect([...result.next.steps.keys()]).toEqual(['stop-2']);
    expect(result.changedSteps).toEqual(expect.arrayContaining([place(2), 'stop-2']));
  });

  it('reads a snapshot stored before places: an iteration takes over an entry stored under its name', () => {
    // Prepare: stored when not-started steps without an id were keyed by name only.
    const previous = executionState({}, [
      stepSnapshot({
        stepExecutionId: plannedStepKey('stopOne'),
        stepName: 'stopOne',
        status: 'Pending',
        startTime: null,
        transitions: 0,
      }),
    ]);

    // Act
    const result = diff({ previous, steps: [started(1)], stepsComplete: false });

    // Assess
    expect(stepTransitions(result.transitions)).toEqual(['stop-1 Pending->InProgress']);
    expect([...result.next.steps.keys()]).toEqual(['stop-1']);
  });

  it('never lets a step outside the loop take over an iteration’s planned entry', () => {
    // Prepare
    const previous = plannedThree();
    const outside = stepView({ stepExecutionId: 'other', stepName: 'stopOne', parentStep: null });

    // Act
    const result = diff({ previous, steps: [outside], stepsComplete: false });

    // Assess
    expect(stepTransitions(result.transitions)).toEqual(['other null->InProgress']);
    expect([...result.next.steps.keys()]).toEqual([place(1), place(2), place(3), 'other']);
  });
});
