// A command's `--time-limit`: when its cycles stop reading, and how long its lease lasts, so a cron or CI run ends in time.
import { positiveFlag } from './poller-flags';

/**
 * Time a limited run keeps back, at most, between its last read and its limit. After the deadline a
 * cycle still finishes the SSM call under way (one paced call), publishes what it recorded
 * (PutEvents, 10 entries a call), marks it sent and saves the poller state: a handful of calls that
 * take well under a second each, so 5 s leaves room for retries without idling long runs.
 */
export const FINAL_SAVE_RESERVE_MS = 5_000;

/**
 * The largest share of a short limit the reserve takes: a 4 s run keeps 1 s back and reads for 3 s,
 * rather than keeping all of it back and reading nothing.
 */
export const FINAL_SAVE_RESERVE_SHARE = 0.25;

/**
 * How long the lease outlasts the limit: the process saves its state (which releases the lease) just
 * before the limit and exits right after; should it hang or die instead, another poller waits this
 * much longer, not minutes.
 */
export const LEASE_MARGIN_MS = 5_000;

/** A limited run's budget, as epoch ms. */
export interface RunBudget {
  /** When the run started. */
  readonly start: number;
  /** `start` + the limit: when the run has ended. */
  readonly end: number;
  /** When cycles stop reading: `end` less the reserve for the final publish and save. */
  readonly deadline: number;
  /** When the shard's lease lapses if the run does not release it: `end` plus {@link LEASE_MARGIN_MS}. */
  readonly leaseUntil: number;
}

/**
 * Reads `--time-limit <seconds>` into milliseconds; undefined when absent, a UsageError naming
 * `command` when it is not a positive number.
 */
export function parseTimeLimit(command: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  return positiveFlag(command, 'time-limit', raw, 0) * 1000;
}

/**
 * The budget of a run of `limitMs` started at `start`.
 *
 * @example
 * runBudget(0, 60_000); // { start: 0, end: 60_000, deadline: 55_000, leaseUntil: 65_000 }
 * runBudget(0, 4_000); // { start: 0, end: 4_000, deadline: 3_000, leaseUntil: 9_000 }
 */
export function runBudget(start: number, limitMs: number): RunBudget {
  const reserve = Math.min(FINAL_SAVE_RESERVE_MS, limitMs * FINAL_SAVE_RESERVE_SHARE);
  const end = start + limitMs;
  return { start, end, deadline: end - reserve, leaseUntil: end + LEASE_MARGIN_MS };
}
