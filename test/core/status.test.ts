// Tests of the status lists: the in-flight filter values, what counts as final and what as a failure.
import { describe, expect, it } from 'vitest';
import {
  FAILURE_STATUSES,
  IN_FLIGHT_STATUSES,
  isFailureStatus,
  isTerminal,
  KNOWN_STATUSES,
  TERMINAL_STATUSES,
} from '../../lambda/core/status';

describe('Constant: IN_FLIGHT_STATUSES', () => {
  it('holds exactly ten values, the most an SSM filter takes', () => {
    expect(IN_FLIGHT_STATUSES).toHaveLength(10);
    expect(new Set(IN_FLIGHT_STATUSES).size).toBe(10);
  });

  it('holds no terminal status', () => {
    expect(IN_FLIGHT_STATUSES.filter((s) => isTerminal(s))).toEqual([]);
  });

  it('with the terminal statuses covers every known status', () => {
    expect([...IN_FLIGHT_STATUSES, ...TERMINAL_STATUSES].sort()).toEqual([...KNOWN_STATUSES].sort());
  });
});

describe('Function: isTerminal', () => {
  it.each(['Success', 'Failed', 'TimedOut', 'Cancelled', 'Exited', 'CompletedWithFailure'])(
    'is true for %s',
    (status) => {
      expect(isTerminal(status)).toBe(true);
    },
  );

  it.each(['InProgress', 'Waiting', 'Pending', 'Cancelling', 'PendingApproval'])(
    'is false for %s',
    (status) => {
      expect(isTerminal(status)).toBe(false);
    },
  );

  it('treats an unknown status as not final', () => {
    expect(isTerminal('SomethingNew')).toBe(false);
  });
});

describe('Function: isFailureStatus', () => {
  it('is true for exactly the failure statuses among the known ones', () => {
    expect(KNOWN_STATUSES.filter((s) => isFailureStatus(s))).toEqual([
      'TimedOut',
      'Cancelled',
      'Failed',
      'Rejected',
      'CompletedWithFailure',
    ]);
    expect([...FAILURE_STATUSES].sort()).toEqual(KNOWN_STATUSES.filter((s) => isFailureStatus(s)).sort());
  });

  it('counts only terminal statuses as failures', () => {
    expect(FAILURE_STATUSES.filter((s) => !isTerminal(s))).toEqual([]);
  });

  it('treats an unknown status as no failure', () => {
    expect(isFailureStatus('SomethingNew')).toBe(false);
  });
});
