// Tests of the history port's pure parts: the order of an execution's transitions and the kind of a detail type.
import { describe, expect, it } from 'vitest';
import { compareTransitions, transitionKindOf } from '../../lambda/core/history';
import { DETAIL_TYPES } from '../../lambda/core/types';

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
