// Finds the executions a cycle serves: SSM's listings, the ones still tracked, and the children their parents name.
import type {
  CycleLogger,
  ExecutionSource,
  PollerState,
  SnapshotStore,
  TrackedExecution,
} from '../core/ports';
import { endedViewOf, windowQuery } from '../core/read-plan';
import type { ExecutionView, StepView } from '../core/types';

/** Settings of discovery. */
export interface DiscoveryOptions {
  readonly shard: string;
  /** How far before the watermark `StartTimeAfter` looks, against clock skew. */
  readonly watermarkOverlapSeconds: number;
  /** On the very first cycle (no watermark yet), how far back `StartTimeAfter` looks. */
  readonly initialLookbackSeconds: number;
}

/** Most executions new to this cycle the started-since listing gathers before the cycle serves them. */
const LISTED_AHEAD = 100;
/** The narrowest backlog window, in seconds. */
const MIN_BACKLOG_WINDOW_SECONDS = 10;

/**
 * The listing of the executions started in one window past the watermark, read a page at a time so
 * that a backlog (an outage of the poller, a first deploy into a busy account) is listed only as fast
 * as it is served. SSM documents no order for it, so the listing moves past a window only once the
 * window was listed to its end (and everything in it served); a window that is not gets narrower next
 * cycle ({@link nextBacklog}).
 */
export class StartedListing {
  /** Epoch ms: the window's start (the watermark less the overlap). */
  readonly after: number;
  /** Epoch ms: the window's end, or null for none (the window reaches the cycle's start). */
  readonly before: number | null;
  readonly #source: ExecutionSource;
  #nextToken: string | null = null;
  #complete = false;
  /** Ids this listing returned. */
  readonly ids = new Set<string>();

  constructor(source: ExecutionSource, after: number, before: number | null) {
    this.#source = source;
    this.after = after;
    this.before = before;
  }

  /**
   * The window after this one (which was listed to its end, and everything in it served), twice as
   * wide; one that reaches the cycle's start has no end.
   */
  next(cycleStart: number, overlapSeconds: number): StartedListing {
    const from = Math.min(this.before ?? cycleStart, cycleStart - overlapSeconds * 1000);
    const to = from + 2 * ((this.before ?? cycleStart) - this.after);
    return new StartedListing(this.#source, from, to < cycleStart ? to : null);
  }

  /** Whether the window was listed to its end. */
  get complete(): boolean {
    return this.#complete;
  }

  /** The next page of the window. */
  async page(): Promise<readonly ExecutionView[]> {
    // With a second's margin each side, as step windows: whether SSM keeps an execution started
    // exactly on a bound is not documented, and one on the bound between two windows is in both.
    const window = windowQuery(this.after, this.before === null ? null : this.before - this.after);
    const page = await this.#source.listStartedPage({
      after: window.startedAfter as string,
      before: window.startedBefore ?? null,
      nextToken: this.#nextToken,
    });
    this.#nextToken = page.nextToken;
    if (page.nextToken === null) this.#complete = true;
    for (const view of page.executions) this.ids.add(view.executionId);
    return page.executions;
  }
}

/**
 * Where the next scheduled cycle's started-since listing begins. A window listed to its end, with
 * every execution in it served, is done: the next window begins where it ended (and, while a backlog
 * drains, is twice as wide), or, once a window reached the cycle's start, the watermark (the cycle's
 * start less the overlap) takes over again. A window that was not done is listed again from the same
 * start next cycle, half as wide, so a cycle lists no more than it serves.
 */
export function nextBacklog(
  listing: StartedListing,
  served: boolean,
  cycleStart: number,
  overlapSeconds: number,
): { backlogFrom: string | null; backlogWindowSeconds: number | null } {
  const width = (listing.before ?? cycleStart) - listing.after;
  if (!listing.complete || !served) {
    return {
      backlogFrom: new Date(listing.after).toISOString(),
      backlogWindowSeconds: Math.max(MIN_BACKLOG_WINDOW_SECONDS, Math.floor(width / 2000)),
    };
  }
  if (listing.before === null) return { backlogFrom: null, backlogWindowSeconds: null };
  // An execution that started just before the window's end may not have been listed yet: a window
  // that ended within the overlap of this cycle's start is read again from there.
  const from = Math.min(listing.before, cycleStart - overlapSeconds * 1000);
  return { backlogFrom: new Date(from).toISOString(), backlogWindowSeconds: Math.floor((2 * width) / 1000) };
}

/**
 * An execution a cycle serves, known only by id until the cycle reaches it: a tracked one the
 * listings left out, one that waited in the cursor, or a child its parent names. The cycle asks SSM
 * for it then, with the next ones like it in the queue, ten a call ({@link ExecutionFinder.fetch}),
 * so asking never costs more than a tenth of serving and never holds up what is already known.
 */
export interface Unfetched {
  readonly executionId: string;
  readonly parentExecutionId: string | null;
  readonly startTime: string | null;
  /** When its snapshot was last written while in flight, for one that is tracked; else null. */
  readonly trackedAt: string | null;
  readonly unfetched: true;
}

/** What a cycle's queue holds: executions as SSM showed them, or ids to ask for once reached. */
export type Queued = ExecutionView | Unfetched;

export function isUnfetched(queued: Queued): queued is Unfetched {
  return 'unfetched' in queued;
}

function unfetched(
  execution: Pick<TrackedExecution, 'executionId' | 'parentExecutionId' | 'startTime'>,
  trackedAt: string | null,
): Unfetched {
  return {
    executionId: execution.executionId,
    parentExecutionId: execution.parentExecutionId,
    startTime: execution.startTime,
    trackedAt,
    unfetched: true,
  };
}

/**
 * Finds a cycle's executions, whatever SSM's listing does with child executions.
 *
 * SSM may or may not list child executions without a `ParentExecutionId` or `ExecutionId` filter
 * (the console hides them behind "Show child automations"). So besides the two listings, tracked
 * executions the listings left out (ended ones waiting to settle aside) and the ones waiting in the
 * cursor join the queue by id; and once a parent's steps are read, the children its steps name (the
 * `ExecutionId` output of `aws:executeAutomation`) join it the same way. The cycle asks SSM for them,
 * ten a call, only as it reaches them ({@link ExecutionFinder.fetch}), so a cycle with thousands of
 * them (a rate-control run over thousands of targets) spends its budget serving, not asking. An
 * execution SSM no longer knows (its history expired) is untracked with one warning.
 */
export class ExecutionFinder {
  readonly #source: ExecutionSource;
  readonly #store: SnapshotStore;
  readonly #logger: CycleLogger;
  /** Every execution this cycle already has, by id. */
  readonly #known = new Set<string>();
  /** Tracked children the listings left out, by parent, looked for once the parent is served. */
  readonly #hidden = new Map<string, TrackedExecution[]>();

  readonly #shard: string;

  constructor(source: ExecutionSource, store: SnapshotStore, logger: CycleLogger, shard: string) {
    this.#source = source;
    this.#store = store;
    this.#logger = logger;
    this.#shard = shard;
  }

  /**
   * In flight ∪ started since the watermark ∪ still tracked (or left in the cursor), the last two by
   * id ({@link Unfetched}) unless a listing showed them or they ended. The started-since
   * listing is read here until it ends, time runs out, or it has {@link LISTED_AHEAD} executions this
   * cycle did not have yet; the cycle reads on from `started` once it has served them. `watched`: the
   * executions in flight, tracked or in the cursor, which a cycle serves before the listing's new
   * ones (a backlog must not hold up what runs). `endedOnly` (a backfill) leaves the in-flight
   * listing out.
   */
  async discover(
    options: DiscoveryOptions,
    poller: PollerState,
    cycleStart: number,
    late: () => boolean = () => false,
    endedOnly = false,
  ): Promise<{ executions: Queued[]; started: StartedListing; watched: Set<string> }> {
    const found = new Map<string, ExecutionView>();
    if (!endedOnly) for (const view of await this.#source.listInFlight()) found.set(view.executionId, view);
    // What runs, or is tracked, or waited in the cursor: served before anything new the listing finds.
    const watched = new Set(found.keys());
    // Runs that started (and perhaps ended) since the last cycle; the first cycle looks back a little.
    const after = poller.backlogFrom
      ? Date.parse(poller.backlogFrom)
      : poller.watermark
        ? Date.parse(poller.watermark) - options.watermarkOverlapSeconds * 1000
        : cycleStart - options.initialLookbackSeconds * 1000;
    const window = poller.backlogWindowSeconds ? after + poller.backlogWindowSeconds * 1000 : null;
    const started = new StartedListing(
      this.#source,
      after,
      window !== null && window < cycleStart ? window : null,
    );
    let ahead = 0;
    do {
      for (const view of await started.page()) {
        if (!found.has(view.executionId)) ahead++;
        found.set(view.executionId, view);
      }
    } while (!started.complete && ahead < LISTED_AHEAD && !late());

    // One entry an execution: a mark a parent's naming left may still be there beside its snapshot.
    const byTrackedId = new Map<string, TrackedExecution>();
    for (const execution of await this.#store.listTracked(options.shard)) {
      const seen = byTrackedId.get(execution.executionId);
      if (!seen || (!seen.snapshot && execution.snapshot)) byTrackedId.set(execution.executionId, execution);
    }
    const tracked = [...byTrackedId.values()];
    const trackedIds = new Set(byTrackedId.keys());
    const byId: Unfetched[] = [];
    for (const execution of tracked) {
      if (found.has(execution.executionId)) continue;
      // Ended and waiting to settle: SSM cannot show it any different, only its steps are read.
      const ended = execution.snapshot ? endedViewOf(execution.snapshot) : null;
      if (ended !== null) {
        found.set(ended.executionId, ended);
        continue;
      }
      // The rest are asked for by id once reached (children SSM lists only on request included).
      byId.push(unfetched(execution, execution.trackedAt));
    }
    for (const executionId of poller.cursor) {
      if (found.has(executionId) || trackedIds.has(executionId)) continue;
      byId.push(unfetched({ executionId, parentExecutionId: null, startTime: null }, null));
    }
    for (const id of trackedIds) watched.add(id);
    for (const { executionId } of byId) watched.add(executionId);
    for (const id of found.keys()) this.#known.add(id);
    for (const { executionId } of byId) this.#known.add(executionId);
    return { executions: [...found.values(), ...byId], started, watched };
  }

  /**
   * The next page of the started-since listing: the executions on it this cycle does not have yet
   * (they count as known from now on).
   */
  async more(started: StartedListing): Promise<ExecutionView[]> {
    const fresh = (await started.page()).filter((view) => !this.#known.has(view.executionId));
    for (const view of fresh) this.#known.add(view.executionId);
    return fresh;
  }

  /**
   * A targeted cycle's executions: only those named, asked for by id (ten a call). Their tracked
   * children are looked for once the parent is served, with the children its steps name. An id SSM
   * does not show is left out and stays tracked: the scheduled cycle decides what SSM forgot.
   */
  async discoverTargets(shard: string, executionIds: readonly string[]): Promise<ExecutionView[]> {
    const wanted = [...new Set(executionIds)];
    const found = new Map<string, ExecutionView>();
    if (wanted.length > 0) {
      for (const view of await this.#source.describeExecutions(wanted)) found.set(view.executionId, view);
    }
    const unseen = wanted.filter((id) => !found.has(id));
    if (unseen.length > 0) {
      this.#logger.info('SSM does not show hinted executions (yet); the schedule will', {
        executionIds: unseen,
      });
    }
    if (found.size > 0) {
      for (const execution of await this.#store.listTracked(shard)) {
        const parent = execution.parentExecutionId;
        if (parent !== null && found.has(parent) && !found.has(execution.executionId))
          this.#hide(parent, execution);
      }
    }
    for (const id of found.keys()) this.#known.add(id);
    return [...found.values()];
  }

  /**
   * Fresh views of executions a hint named while this cycle runs (ids handed to it through the hint
   * inbox), asked for by id (through `via`: a cycle reads what hints hand it paced apart); they count
   * as known from now on. Their children follow as their steps name them
   * ({@link ExecutionFinder.childrenOf}).
   */
  async refresh(
    executionIds: readonly string[],
    via: ExecutionSource = this.#source,
  ): Promise<ExecutionView[]> {
    const wanted = [...new Set(executionIds)];
    if (wanted.length === 0) return [];
    const views = await via.describeExecutions(wanted);
    for (const view of views) this.#known.add(view.executionId);
    if (views.length < wanted.length) {
      const found = new Set(views.map((view) => view.executionId));
      this.#logger.info('SSM does not show hinted executions (yet); the schedule will', {
        executionIds: wanted.filter((id) => !found.has(id)),
      });
    }
    return views;
  }

  /**
   * The children of a served parent this cycle does not have yet, by id ({@link Unfetched}): its
   * tracked children the listings left out, and the ones its steps name that were never recorded
   * (tracked from now on, see `SnapshotStore.watchNamed`). A step is not trusted to name its child
   * only when it changes: SSM may have left its outputs out then.
   */
  async childrenOf(parent: ExecutionView, steps: readonly StepView[]): Promise<Unfetched[]> {
    const hidden = this.#hidden.get(parent.executionId) ?? [];
    this.#hidden.delete(parent.executionId);
    const wanted = new Map<string, Unfetched>();
    for (const child of hidden) {
      if (!this.#known.has(child.executionId))
        wanted.set(child.executionId, unfetched(child, child.trackedAt));
    }
    const named = new Map<string, string | null>();
    for (const step of steps) {
      for (const id of step.outputs?.ExecutionId ?? []) {
        if (!isExecutionId(id) || this.#known.has(id) || wanted.has(id) || id === parent.executionId)
          continue;
        named.set(id, step.startTime);
      }
    }
    if (named.size > 0) {
      const recorded = await this.#store.knownExecutions([...named.keys()]);
      const fresh = [...named]
        .filter(([executionId]) => !recorded.has(executionId))
        .map(([executionId, startTime]) => ({
          executionId,
          parentExecutionId: parent.executionId,
          startTime,
        }));
      // Tracked before the parent's snapshot moves past the steps that name them: a cycle that dies
      // before it serves them must not lose them (SSM may list children only on request).
      await this.#store.watchNamed(this.#shard, fresh);
      // Not shown yet this cycle, one is left to the next (its mark keeps it tracked till then).
      for (const child of fresh) wanted.set(child.executionId, unfetched(child, null));
    }
    for (const id of wanted.keys()) this.#known.add(id);
    return [...wanted.values()];
  }

  /**
   * Asks SSM for executions the queue holds by id (ten a call): the ones it shows, in the order
   * asked. A tracked one it does not show is untracked with one warning (its history expired); any
   * other it does not show is left out (a child may not be listed yet: its parent names it again).
   */
  async fetch(executions: readonly Unfetched[]): Promise<ExecutionView[]> {
    if (executions.length === 0) return [];
    const views = await this.#source.describeExecutions(executions.map((e) => e.executionId));
    const shown = new Set(views.map((view) => view.executionId));
    for (const { executionId, trackedAt } of executions) {
      if (trackedAt === null || shown.has(executionId)) continue;
      this.#logger.warn('SSM no longer knows a tracked execution; it is no longer tracked', {
        executionId,
        trackedAt,
      });
      await this.#store.untrack(executionId);
    }
    return views;
  }

  /** Stops tracking an execution SSM answered "not found" for, with one warning. */
  async forget(executionId: string): Promise<void> {
    this.#logger.warn('SSM no longer knows an execution; it is no longer tracked', { executionId });
    await this.#store.untrack(executionId);
  }

  #hide(parent: string, child: TrackedExecution): void {
    const list = this.#hidden.get(parent) ?? [];
    list.push(child);
    this.#hidden.set(parent, list);
  }
}

/** SSM's AutomationExecutionId is 36 characters. */
function isExecutionId(value: string): boolean {
  return /^[0-9a-zA-Z-]{36}$/.test(value);
}
