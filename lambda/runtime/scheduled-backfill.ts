// The poll function's backfill turn: after a shard's scheduled cycle, one cycle of `BACKFILL_DAYS` of SSM's history in the time left.
import type { CycleLogger } from '../core/ports';
import { runBackfillCycle } from '../cycle/backfill';
import type { InvocationBudget } from './budget';
import type { Poller } from './poller';

/** Reading time a backfill cycle needs before the budget's deadline to be worth starting. */
export const BACKFILL_MIN_READ_MS = 10_000;

const DAY_MS = 86_400_000;

/** Settings of {@link runScheduledBackfill}. */
export interface ScheduledBackfillOptions {
  /** How many days before the invocation's start the backfill reaches back (`BACKFILL_DAYS`). */
  readonly days: number;
  /** Where the backfill cycle's line (or its failure) is logged. */
  readonly logger: CycleLogger;
}

/**
 * Runs one backfill cycle of the poller's shard when at least {@link BACKFILL_MIN_READ_MS} are left
 * before the budget's deadline: the executions that started up to `days` before the invocation and
 * have ended are recorded in the audit trail without being published, under the backfill's own state
 * and lease, resuming where the last invocation stopped. Logs one `backfill cycle` line while the
 * backfill goes on and nothing once it is done. Never throws: a failed backfill is logged as a
 * warning and tried again next invocation, and the scheduled cycle's outcome stands.
 *
 * @example
 * const summary = await runPollCycle(poller.deps, { ...poller.options, deadline: budget.deadline });
 * if (config.backfillDays !== undefined)
 *   await runScheduledBackfill(poller, budget, { days: config.backfillDays, logger: log });
 */
export async function runScheduledBackfill(
  poller: Pick<Poller, 'deps' | 'options'>,
  budget: Pick<InvocationBudget, 'start' | 'end' | 'deadline'>,
  { days, logger }: ScheduledBackfillOptions,
): Promise<void> {
  if (budget.deadline - poller.deps.now() < BACKFILL_MIN_READ_MS) return;
  try {
    const cycle = await runBackfillCycle(poller.deps, {
      ...poller.options,
      since: budget.start - days * DAY_MS,
      emit: false,
      deadline: budget.deadline,
      // The backfill's own lease, apart from the shard's: another invocation or a `step-watch
      // backfill` run reading the same backfill makes this one stand down instead of racing it.
      leaseUntil: budget.end,
    });
    if (cycle === null) return;
    const { summary, progress } = cycle;
    logger.info('backfill cycle', {
      executionsPolled: summary.executionsPolled,
      transitions: summary.transitions,
      readUntil: new Date(progress.readUntil).toISOString(),
      done: progress.done,
      ...(summary.leaseHeldElsewhere && { leaseHeldElsewhere: true }),
    });
  } catch (error) {
    logger.warn('backfill cycle failed; the next invocation tries again', {
      error: error instanceof Error ? error.message : String(error),
      cause: error instanceof Error && error.cause !== undefined ? String(error.cause) : '',
    });
  }
}
