// Who may read a shard now: the lease one cycle holds at a time, and the turn a targeted (hinted) cycle gives the scheduled one.
import type { PollCycleDeps, PollerState, SnapshotStore } from '../core/ports';

/** How long before the scheduled cycle is due a targeted cycle stops reading (see `schedulePeriodSeconds`). */
export const SCHEDULE_LEAD_SECONDS = 5;

/** What of a cycle's settings the lease and the targeted cycle's turn depend on (a subset of `PollCycleOptions`). */
export interface LeaseOptions {
  readonly shard: string;
  readonly leaseUntil?: number;
  readonly leaseWaitUntil?: number;
  readonly executionIds?: readonly string[];
  readonly schedulePeriodSeconds?: number;
}

/** How often a cycle waiting for the lease looks again. */
const LEASE_RETRY_MS = 1000;

/**
 * Why a cycle did nothing: another poller's lease, or (targeted) the scheduled cycle's turn, or
 * (targeted) its executions went to the cycle holding the lease through the hint inbox.
 */
export type Acquired =
  | { readonly poller: PollerState }
  | { readonly standDown: 'lease' | 'schedule' | 'handed off'; readonly loaded: PollerState };

export const STAND_DOWN_MESSAGES = {
  lease: 'another poller holds the shard lease; standing down',
  schedule: 'the scheduled cycle is due; the targeted cycle stands down',
  'handed off': 'handed the hinted executions to the cycle holding the shard lease',
} as const;

/**
 * Loads the poller state and takes the lease (when `leaseUntil` is set), looking again every second
 * until `leaseWaitUntil` while another poller holds it or the scheduled cycle has priority. A
 * targeted cycle with a hint inbox that cannot take the lease hands its executions to the holder
 * when the holder has the inbox open, or parks them there when the lease is free but the scheduled
 * cycle is about to take it (which reads them in their place in its queue): either way a holder
 * reads them within seconds.
 */
export async function acquire(
  deps: PollCycleDeps,
  options: LeaseOptions,
  cycleStart: number,
): Promise<Acquired> {
  const { store, now } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const waitUntil = options.leaseWaitUntil ?? cycleStart;
  // Counted as well as timed, so a clock that does not move (virtual time in tests) still ends the wait.
  const tries = Math.max(0, Math.floor((waitUntil - cycleStart) / LEASE_RETRY_MS));
  let loaded = await store.loadPollerState(options.shard);
  for (let attempt = 0; ; attempt++) {
    const at = attempt === 0 ? cycleStart : now();
    const window = scheduleWindow(options, loaded);
    const scheduleTurn = window !== null && at >= window.start && at < window.end;
    if (!scheduleTurn) {
      if (options.leaseUntil === undefined) return { poller: loaded };
      const poller = await takeLease(store, options, loaded, at);
      if (poller) return { poller };
    }
    const ids = options.executionIds;
    if (deps.inbox && ids && options.leaseUntil !== undefined) {
      if (await deps.inbox.handOff(options.shard, ids, at)) return { standDown: 'handed off', loaded };
      const leaseFree = !loaded.leaseUntil || Date.parse(loaded.leaseUntil) <= at;
      if (scheduleTurn && leaseFree) {
        await deps.inbox.park(options.shard, ids);
        return { standDown: 'handed off', loaded };
      }
    }
    if (attempt >= tries || now() + LEASE_RETRY_MS > waitUntil) {
      return { standDown: scheduleTurn ? 'schedule' : 'lease', loaded };
    }
    await sleep(LEASE_RETRY_MS);
    loaded = await store.loadPollerState(options.shard);
  }
}

/**
 * For a targeted cycle with a known schedule: from shortly before the next scheduled cycle is due
 * until two periods after (the schedule looks broken then, and hints go on without it).
 */
export function scheduleWindow(
  options: LeaseOptions,
  state: PollerState,
): { start: number; end: number } | null {
  if (options.executionIds === undefined || options.schedulePeriodSeconds === undefined) return null;
  if (state.watermark === null) return null;
  const period = options.schedulePeriodSeconds * 1000;
  const due = Date.parse(state.watermark) + period;
  return { start: due - SCHEDULE_LEAD_SECONDS * 1000, end: due + 2 * period };
}

/** Takes the shard's lease until `options.leaseUntil`; null when another poller holds it at `at`. */
async function takeLease(
  store: SnapshotStore,
  options: LeaseOptions,
  loaded: PollerState,
  at: number,
): Promise<PollerState | null> {
  if (loaded.leaseUntil && Date.parse(loaded.leaseUntil) > at) return null;
  const leaseUntil = new Date(options.leaseUntil ?? at).toISOString();
  const state = {
    watermark: loaded.watermark,
    cursor: loaded.cursor,
    backlogFrom: loaded.backlogFrom ?? null,
    backlogWindowSeconds: loaded.backlogWindowSeconds ?? null,
    lastCompleteAt: loaded.lastCompleteAt,
    reportedRecords: loaded.reportedRecords,
  };
  // The version check makes two pollers that find the lease free at once race for it; one wins.
  const taken = await store.savePollerState(options.shard, { ...state, leaseUntil }, loaded);
  return taken ? { ...state, leaseUntil, version: loaded.version + 1 } : null;
}
