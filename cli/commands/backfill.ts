// `step-watch backfill`: what SSM still remembers read into the audit trail, cycle after cycle, resumable, with progress on stderr.
import { ServiceError } from '../../lambda/core/errors';
import { type BackfillProgress, runBackfillCycle, SSM_HISTORY_DAYS } from '../../lambda/cycle/backfill';
import { createPoller } from '../../lambda/runtime/poller';
import { parseFlags, parseRememberedSince, requireFlag } from '../args';
import type { ProgressStream } from '../output';
import { ENDPOINTS_HELP, POLLER_FLAGS, POLLER_FLAGS_HELP, pollerSetupOf } from '../poller-flags';
import { FINAL_SAVE_RESERVE_MS, LEASE_MARGIN_MS, parseTimeLimit, runBudget } from '../time-limit';

const HELP = `Usage: step-watch backfill --since <when> --table <name> --bus <name> [options]

Reads the executions SSM still remembers (it keeps ${SSM_HISTORY_DAYS} days) that started since <when> and have
ended into the table's audit trail, cycle after cycle, with progress on stderr and a summary line last.
Transitions are recorded without being published unless --emit is given. A run that stops (time
limit, Ctrl-C) goes on where it stopped when the same command runs again.

Options:
  --since <when>         how far back: a duration (30d, 12h, 90m) or an ISO 8601 date or time;
                         at most ${SSM_HISTORY_DAYS} days back
  --emit                 publish the transitions to the bus too (default: record only, so old
                         failures page no one)
  --time-limit <s>       end within this many seconds (default: no limit, until done)
${POLLER_FLAGS_HELP}

${ENDPOINTS_HELP}`;

/**
 * How long one backfill cycle reads at most. Each cycle takes the backfill's lease only until its own
 * end, so a run stopped from outside (Ctrl-C, a killed job) frees it within a minute; and the
 * progress line moves at least this often.
 */
export const BACKFILL_CYCLE_MS = 45_000;

/** What a backfill run has done so far, over all its cycles. */
export interface BackfillTally {
  cycles: number;
  executions: number;
  transitions: number;
  published: number;
  ssmCalls: number;
}

/** How far a backfill has read, as a whole percentage: 100 only once it is done. */
export function percentRead(progress: BackfillProgress, now: number): number {
  if (progress.done) return 100;
  const span = now - progress.since;
  if (span <= 0) return 99;
  return Math.min(99, Math.max(0, Math.floor((100 * (progress.readUntil - progress.since)) / span)));
}

/**
 * One progress line, e.g. `backfill: 42% read up to 2026-11-20T10:00:00Z, 1,234 executions, 5,678
 * transitions`.
 */
export function progressLine(progress: BackfillProgress, tally: BackfillTally, now: number): string {
  return `backfill: ${percentRead(progress, now)}% read up to ${isoSeconds(progress.readUntil)}, ${count(tally.executions, 'execution')}, ${count(tally.transitions, 'transition')}`;
}

/** The line a run ends with: what it read and recorded, and whether it is done or can go on. */
export function summaryLine(
  tally: BackfillTally,
  outcome: { readonly done: boolean; readonly emit: boolean },
): string {
  const published = outcome.emit
    ? `${tally.published.toLocaleString('en-US')} published`
    : 'not published (--emit publishes them)';
  const what = `${count(tally.executions, 'execution')} read, ${count(tally.transitions, 'transition')} recorded, ${published}, ${count(tally.cycles, 'cycle')}, ${count(tally.ssmCalls, 'SSM call')}`;
  return outcome.done
    ? `backfill done: ${what}.`
    : `backfill stopped before the end: ${what}; run the same command again to go on.`;
}

/**
 * The progress display: a bar redrawn in place with `\r` on a terminal, one plain line a cycle
 * otherwise (a log, a CI job).
 */
export class BackfillProgressDisplay {
  readonly #stream: ProgressStream;
  #shown = false;

  constructor(stream: ProgressStream = process.stderr) {
    this.#stream = stream;
  }

  /** Shows where the backfill stands. */
  update(progress: BackfillProgress, tally: BackfillTally, now: number): void {
    const line = progressLine(progress, tally, now);
    if (this.#stream.isTTY !== true) {
      this.#stream.write(`${line}\n`);
      return;
    }
    const filled = Math.round(percentRead(progress, now) / 5);
    this.#stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${line}`);
    this.#shown = true;
  }

  /** Removes the bar, so the summary starts on a clean line. */
  done(): void {
    if (!this.#shown) return;
    this.#stream.write('\r\x1b[K');
    this.#shown = false;
  }
}

/** Runs `step-watch backfill`. */
export async function backfillCommand(args: string[]): Promise<void> {
  const start = Date.now();
  const { values } = parseFlags('backfill', args, {
    ...POLLER_FLAGS,
    since: { type: 'string' },
    emit: { type: 'boolean' },
    'time-limit': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const since = parseRememberedSince(
    'backfill',
    requireFlag('backfill', 'since', values.since),
    start,
  ).getTime();
  const limit = parseTimeLimit('backfill', values['time-limit']);
  const emit = values.emit === true;
  const { config, target, clients } = await pollerSetupOf('backfill', values);

  const poller = createPoller(config, target, { homeRegion: target.region, clients });
  const budget = limit === undefined ? undefined : runBudget(start, limit);
  const stopReading = budget?.deadline ?? Number.POSITIVE_INFINITY;
  const display = new BackfillProgressDisplay();
  const tally: BackfillTally = { cycles: 0, executions: 0, transitions: 0, published: 0, ssmCalls: 0 };
  let done = false;
  while (Date.now() < stopReading) {
    const deadline = Math.min(Date.now() + BACKFILL_CYCLE_MS, stopReading);
    const callsBefore = ssmCallsOf(poller.calls.toJSON());
    const cycle = await runBackfillCycle(poller.deps, {
      ...poller.options,
      since,
      emit,
      deadline,
      // The lease lasts as long as this cycle may: a stopped run frees it soon.
      leaseUntil:
        Math.min(deadline + FINAL_SAVE_RESERVE_MS, budget?.end ?? Number.POSITIVE_INFINITY) + LEASE_MARGIN_MS,
    });
    if (cycle === null) {
      done = true;
      break;
    }
    const { summary, progress } = cycle;
    if (summary.leaseHeldElsewhere) {
      display.done();
      throw new ServiceError(
        `backfill: another backfill holds the lease of shard ${poller.options.shard}; try again in a minute.`,
      );
    }
    const callsMade = ssmCallsOf(poller.calls.toJSON()) - callsBefore;
    tally.cycles++;
    tally.executions += summary.executionsPolled;
    tally.transitions += summary.transitions;
    tally.published += emit ? summary.eventsEmitted + summary.eventsResent : 0;
    tally.ssmCalls += callsMade;
    display.update(progress, tally, Date.now());
    done = progress.done;
    // A cycle that could not ask SSM anything will not do better right away: stop, resumable.
    if (done || callsMade === 0) break;
  }
  display.done();
  if (done && tally.cycles === 0) {
    process.stdout.write('backfill: already done; everything SSM remembered when it ran is in the table.\n');
    return;
  }
  process.stdout.write(`${summaryLine(tally, { done, emit })}\n`);
}

/** The SSM Describe calls among the poller's API calls. */
function ssmCallsOf(calls: Record<string, number>): number {
  return Object.entries(calls)
    .filter(([operation]) => operation.startsWith('DescribeAutomation'))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** `1 cycle`, `1,234 cycles`. */
function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

function isoSeconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
