// Tests of the history port's pure parts: the order of an execution's transitions, the kind of a detail type, and steps that never started.
import { describe, expect, it } from 'vitest';
import {
  compareNotStarted,
  compareTransitions,
  type NotStartedStep,
  notStartedStepOf,
  transitionKindOf,
} from '../../lambda/core/history';
import { loopPlaceKey, plannedStepKey } from '../../lambda/core/read-plan';
import { DETAIL_TYPES } from '../../lambda/core/types';
import { stepSnapshot } from '../helpers/builders';

describe('Function: compareTransitions', () => {
  const at = (observedAt: string, sequence: number, eventId = 'e') => ({ observedAt, sequence, eventId });

  it('orders by observation time, then by sequence within a cycle, then by event id', () => {
    // Prepare
    const ordered = [
      at('2026-01-01T00:00:01.000Z', 0),
      at('2026-01-01T00:00:01.000Z', 1, 'a'),
      at('2026-01-01T00:00:01.000Z', 1, 'b'),
      at('2026-01-01T00:00:01.000Z', 7),
      at('2026-01-01T00:00:02.000Z', 0),
      at('2026-01-01T00:00:10.000Z', 0),
    ];

    // Act
    const sorted = [...ordered].reverse().sort(compareTransitions);

    // Assess
    expect(sorted).toEqual(ordered);
  });

  it('compares times as instants, not as strings', () => {
    const early = at('2026-01-01T01:00:00+02:00', 5);
    const late = at('2026-01-01T00:00:00Z', 0);
    expect([late, early].sort(compareTransitions)).toEqual([early, late]);
  });

  it('puts a transition with an unreadable time last', () => {
    const broken = at('', 0);
    const fine = at('2026-01-01T00:00:00Z', 9);
    expect([broken, fine].sort(compareTransitions)).toEqual([fine, broken]);
  });
});

describe('Function: transitionKindOf', () => {
  it('names the kind of each detail type and unknown for any other string', () => {
    expect(
      [DETAIL_TYPES.step, DETAIL_TYPES.alarm, DETAIL_TYPES.execution, 'Something Else', 'toString'].map(
        transitionKindOf,
      ),
    ).toEqual(['step', 'alarm', 'execution', 'unknown', 'unknown']);
  });
});

describe('Function: notStartedStepOf', () => {
  const pending = { status: 'Pending', startTime: null, transitions: 0 };

  it('describes a step snapshot that is Pending without a start time', () => {
    expect(
      notStartedStepOf('exec-1', stepSnapshot({ ...pending, stepExecutionId: 's-9', stepName: 'verify' })),
    ).toEqual({
      executionId: 'exec-1',
      stepExecutionId: 's-9',
      stepName: 'verify',
      status: 'Pending',
    });
  });

  it('gives a step SSM listed without an id a null id, not its planned key', () => {
    const snapshot = stepSnapshot({
      ...pending,
      stepExecutionId: plannedStepKey('verify'),
      stepName: 'verify',
    });

    expect(notStartedStepOf('exec-1', snapshot)?.stepExecutionId).toBeNull();
  });

  it("gives a loop iteration's step kept under its place in the run a null id, not that key", () => {
    const parentStep = {
      stepExecutionId: 'loop-1',
      stepName: 'restartEach',
      action: 'aws:loop',
      iteration: 3,
      iteratorValue: 'i-3',
    };
    const place = loopPlaceKey({ stepName: 'restart', parentStep });
    const snapshot = stepSnapshot({
      ...pending,
      stepExecutionId: place ?? 'unexpected',
      stepName: 'restart',
    });

    expect(place).not.toBeNull();
    expect(notStartedStepOf('exec-1', snapshot)).toEqual({
      executionId: 'exec-1',
      stepExecutionId: null,
      stepName: 'restart',
      status: 'Pending',
    });
  });

  it('is null for a step that started, even one still Pending with a start time', () => {
    expect(notStartedStepOf('exec-1', stepSnapshot({ status: 'Success' }))).toBeNull();
    expect(notStartedStepOf('exec-1', stepSnapshot({ status: 'Pending' }))).toBeNull();
  });
});

describe('Function: compareNotStarted', () => {
  it('orders by step name, then by id with a missing id first', () => {
    const step = (stepName: string, stepExecutionId: string | null): NotStartedStep => ({
      executionId: 'exec-1',
      stepExecutionId,
      stepName,
      status: 'Pending',
    });
    const ordered = [step('a', null), step('a', 's-1'), step('a', 's-2'), step('b', 's-0')];

    expect([...ordered].reverse().sort(compareNotStarted)).toEqual(ordered);
  });
});
