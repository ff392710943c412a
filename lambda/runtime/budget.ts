// The invocation budget: from the Lambda context, when a cycle must stop reading, how long its lease lasts and waits.
import type { Context } from 'aws-lambda';

/** Time the scheduled (and work-item) cycle keeps back from the Lambda deadline to publish and save state. */
export const DEADLINE_RESERVE_MS = 10_000;
/**
 * Time a hinted cycle keeps back from the Lambda deadline. Shorter than {@link DEADLINE_RESERVE_MS}:
 * the hint function's timeout is 30 s and a targeted cycle publishes a few executions at most, and
 * the latency figures in docs/scaling.md were measured with it.
 */
export const HINT_DEADLINE_RESERVE_MS = 5000;

/** What an invocation may spend, as epoch ms on the cycle's clock. */
export interface InvocationBudget {
  /** When the invocation started. */
  readonly start: number;
  /** The function's timeout: the lease lasts until then, when this process is gone for sure. */
  readonly end: number;
  /** When the cycle stops reading: `end` less the reserve. */
  readonly deadline: number;
  /** How long the cycle waits for a lease another cycle holds: `leaseWaitMs` after the start, at most the deadline. */
  readonly leaseWaitUntil: number;
}

/**
 * The budget of one invocation from its context's remaining time, on the cycle's clock `now`.
 *
 * @example
 * const budget = invocationBudget(context, timer.now(), { reserveMs: DEADLINE_RESERVE_MS, leaseWaitMs: 10_000 });
 * await runPollCycle(deps, { ...options, deadline: budget.deadline, leaseUntil: budget.end });
 */
export function invocationBudget(
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  now: number,
  options: { readonly reserveMs: number; readonly leaseWaitMs: number },
): InvocationBudget {
  const end = now + context.getRemainingTimeInMillis();
  const deadline = end - options.reserveMs;
  return { start: now, end, deadline, leaseWaitUntil: Math.min(now + options.leaseWaitMs, deadline) };
}
