// A command's --time-limit: the budget of a run and the flag's values.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors';
import { parseTimeLimit, runBudget } from '../../cli/time-limit';

describe('Function: runBudget', () => {
  it('keeps 5 s back from a long limit and holds the lease 5 s past it', () => {
    expect(runBudget(1000, 60_000)).toEqual({
      start: 1000,
      end: 61_000,
      deadline: 56_000,
      leaseUntil: 66_000,
    });
  });

  it('keeps a quarter of a short limit back', () => {
    expect(runBudget(0, 4000)).toEqual({ start: 0, end: 4000, deadline: 3000, leaseUntil: 9000 });
  });
});

describe('Function: parseTimeLimit', () => {
  it('reads seconds into milliseconds, and nothing when absent', () => {
    expect(parseTimeLimit('poll', '90')).toBe(90_000);
    expect(parseTimeLimit('poll', '2.5')).toBe(2500);
    expect(parseTimeLimit('poll', undefined)).toBeUndefined();
  });

  it('throws a UsageError naming the command for what is not a positive number', () => {
    for (const bad of ['0', '-1', 'abc', '', 'Infinity']) {
      expect(() => parseTimeLimit('backfill', bad)).toThrow(UsageError);
    }
    expect(() => parseTimeLimit('backfill', '0')).toThrow(
      'backfill: --time-limit must be a positive number, got "0".',
    );
  });
});
