// Tests of the invocation budget: deadline, lease end and lease wait from the Lambda context.
import { describe, expect, it } from 'vitest';
import { DEADLINE_RESERVE_MS, invocationBudget } from '../../lambda/runtime/budget';

describe('Function: invocationBudget', () => {
  it('stops reading the reserve before the timeout and waits for a lease at most until then', () => {
    const context = { getRemainingTimeInMillis: () => 55_000 };

    expect(invocationBudget(context, 1000, { reserveMs: DEADLINE_RESERVE_MS, leaseWaitMs: 10_000 })).toEqual({
      start: 1000,
      end: 56_000,
      deadline: 46_000,
      leaseWaitUntil: 11_000,
    });
  });

  it('ends the lease wait at the deadline when the wait is longer than the time left', () => {
    const context = { getRemainingTimeInMillis: () => 12_000 };

    expect(invocationBudget(context, 0, { reserveMs: 5000, leaseWaitMs: 10_000 }).leaseWaitUntil).toBe(7000);
  });
});
