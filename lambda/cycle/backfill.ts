// A backfill: what SSM still remembers (up to 30 days) read into the audit trail by the same budgeted, resumable cycle, recorded without being published unless asked.
import type { EventPublisher, PollCycleDeps } from '../core/ports';
import { type CycleSummary, type PollCycleOptions, runPollCycle } from './poll-cycle';

/** How long SSM keeps an execution's history after it ends, and so how far back a backfill reaches. */
export const SSM_HISTORY_DAYS = 30;

/** The key of a shard's backfill state: apart from the scheduled poller's, so neither moves the other. */
export function backfillShard(shard: string): string {
  return `${shard}#backfill`;
}

/** Where a backfill stands after a cycle. */
export interface BackfillProgress {
  /** Epoch ms the backfill reaches back to. */
  readonly since: number;
  /** Epoch ms up to which every execution started has been read (`since` before the first cycle). */
  readonly readUntil: number;
  /** Whether everything is read and settled: further runs do nothing. */
  readonly done: boolean;
}

/** Settings of a backfill cycle. */
export interface BackfillOptions extends Omit<PollCycleOptions, 'executionIds' | 'endedOnly'> {
  /** Epoch ms: executions started from then on are read (at most {@link SSM_HISTORY_DAYS} back). */
  readonly since: number;
  /** Whether the transitions found are published too; by default they are only recorded. */
  readonly emit: boolean;
}

/** A publisher that takes every event without sending it: a backfill records history, it pages no one. */
const RECORD_ONLY: EventPublisher = { publishBatch: async () => [] };

/**
 * Runs one cycle of a backfill: the executions that started since `since` and have ended, listed in
 * start-time windows and read like any backlog (a budget, progress saved as it goes, resumable from
 * where the last run stopped), under a state of its own ({@link backfillShard}). Executions still
 * running are left to the scheduled poller. Returns null when the backfill is already done.
 */
export async function runBackfillCycle(
  deps: PollCycleDeps,
  options: BackfillOptions,
): Promise<{ summary: CycleSummary; progress: BackfillProgress } | null> {
  const shard = backfillShard(options.shard);
  const before = await progressOf(deps, shard, options.since);
  if (before.done) return null;
  const start = deps.now();
  const { since, emit, ...cycle } = options;
  const summary = await runPollCycle(
    { ...deps, publisher: emit ? deps.publisher : RECORD_ONLY, inbox: undefined },
    {
      ...cycle,
      shard,
      endedOnly: true,
      // The first cycle's window starts at `since`; later ones go on from the saved window.
      initialLookbackSeconds: Math.max(0, (start - since) / 1000),
    },
  );
  return { summary, progress: await progressOf(deps, shard, since) };
}

/** Where the backfill of `shard` stands, from its saved state and what it still watches. */
async function progressOf(deps: PollCycleDeps, shard: string, since: number): Promise<BackfillProgress> {
  const state = await deps.store.loadPollerState(shard);
  if (state.watermark === null) return { since, readUntil: since, done: false };
  // While a window is under way, everything before its start is read; once caught up, up to the last cycle.
  const readUntil = state.backlogFrom ? Date.parse(state.backlogFrom) : Date.parse(state.watermark);
  const caughtUp = !state.backlogFrom && state.cursor.length === 0;
  const done = caughtUp && (await deps.store.listTracked(shard)).length === 0;
  return { since, readUntil: Math.max(since, readUntil), done };
}
