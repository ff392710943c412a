// Finds the executions a cycle serves: SSM's listings, the ones still tracked, and the children their parents name.
import type {
  CycleLogger,
  ExecutionSource,
  PollerState,
  SnapshotStore,
  TrackedExecution,
} from '../core/ports';
import { endedViewOf, FILTER_VALUES_LIMIT, isoSecondsFloor } from '../core/read-plan';
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
    const page = await this.#source.listStartedPage({
      after: new Date(this.after).toISOString(),
      before: this.before === null ? null : new Date(this.before).toISOString(),
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

/** Executions asked for together: children of one parent (or of none), and since when they may have started. */
interface Wanted {
  readonly parentExecutionId: string | null;
  readonly ids: readonly string[];
  /** Epoch ms before which none of them started; NaN when unknown. */
  readonly notBefore: number;
}

/**
 * Finds a cycle's executions, whatever SSM's listing does with child executions.
 *
 * SSM may or may not list child executions without a `ParentExecutionId` or `ExecutionId` filter
 * (the console hides them behind "Show child automations"). So besides the two listings, tracked
 * executions the listings left out are asked for by id, ten a call, or, for many children of one
 * parent, by that parent (ended ones waiting to settle are not asked for again); and once a
 * parent's steps are read, the children its steps name (the `ExecutionId` output of
 * `aws:executeAutomation`) are asked for the same way. An execution SSM no longer knows (its
 * history expired) is untracked with one warning.
 */
export class ExecutionFinder {
  readonly #source: ExecutionSource;
  readonly #store: SnapshotStore;
  readonly #logger: CycleLogger;
  /** Every execution this cycle already has, by id. */
  readonly #known = new Set<string>();
  /** Tracked children the listings left out, by parent, looked for once the parent is served. */
  readonly #hidden = new Map<string, TrackedExecution[]>();

  constructor(source: ExecutionSource, store: SnapshotStore, logger: CycleLogger) {
    this.#source = source;
    this.#store = store;
    this.#logger = logger;
  }

  /**
   * In flight ∪ started since the watermark ∪ still tracked (or left in the cursor). The started-since
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
  ): Promise<{ executions: ExecutionView[]; started: StartedListing; watched: Set<string> }> {
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

    const tracked = await this.#store.listTracked(options.shard);
    const trackedIds = new Set(tracked.map((t) => t.executionId));
    const now: TrackedExecution[] = [];
    for (const execution of tracked) {
      if (found.has(execution.executionId)) continue;
      // Ended and waiting to settle: SSM cannot show it any different, only its steps are read.
      const ended = execution.snapshot ? endedViewOf(execution.snapshot) : null;
      if (ended !== null) {
        found.set(ended.executionId, ended);
        continue;
      }
      // The rest are asked for together, ten a call whoever their parent (children SSM lists only
      // on request included).
      now.push(execution);
    }
    const leftOver = poller.cursor
      .filter((id) => !found.has(id) && !trackedIds.has(id))
      .map((executionId) => ({ executionId, parentExecutionId: null, startTime: null }));
    for (const view of await this.#fetch(groupByParent([...now, ...leftOver])))
      found.set(view.executionId, view);
    for (const id of trackedIds) watched.add(id);
    for (const { executionId } of leftOver) watched.add(executionId);
    await this.#untrackUnknown(
      now.filter((t) => !found.has(t.executionId)),
      'SSM no longer knows a tracked execution; it is no longer tracked',
    );
    for (const id of found.keys()) this.#known.add(id);
    return { executions: [...found.values()], started, watched };
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
   * inbox), asked for by id; they count as known from now on. Their children follow as their steps
   * name them ({@link ExecutionFinder.childrenOf}).
   */
  async refresh(executionIds: readonly string[]): Promise<ExecutionView[]> {
    const wanted = [...new Set(executionIds)];
    if (wanted.length === 0) return [];
    const views = await this.#source.describeExecutions(wanted);
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
   * The children of a served parent this cycle does not have yet: its tracked children the listings
   * left out, and the ones its steps name that were never recorded. A step is not trusted to name
   * its child only when it changes: SSM may have left its outputs out then.
   */
  async childrenOf(parent: ExecutionView, steps: readonly StepView[]): Promise<ExecutionView[]> {
    const hidden = this.#hidden.get(parent.executionId) ?? [];
    this.#hidden.delete(parent.executionId);
    const wanted = new Map<string, number>();
    for (const child of hidden) wanted.set(child.executionId, timeOf(child.startTime));
    const named = new Map<string, number>();
    for (const step of steps) {
      for (const id of step.outputs?.ExecutionId ?? []) {
        if (!isExecutionId(id) || this.#known.has(id) || wanted.has(id) || id === parent.executionId)
          continue;
        named.set(id, Math.min(named.get(id) ?? Number.POSITIVE_INFINITY, timeOf(step.startTime)));
      }
    }
    if (named.size > 0) {
      const recorded = await this.#store.knownExecutions([...named.keys()]);
      for (const [id, start] of named) if (!recorded.has(id)) wanted.set(id, start);
    }
    if (wanted.size === 0) return [];
    const notBefore = Math.min(...wanted.values());
    const views = await this.#fetch([
      { parentExecutionId: parent.executionId, ids: [...wanted.keys()], notBefore },
    ]);
    const fresh = views.filter((view) => !this.#known.has(view.executionId));
    for (const view of fresh) this.#known.add(view.executionId);
    await this.#untrackUnknown(
      hidden.filter((child) => !this.#known.has(child.executionId)),
      'SSM no longer knows a tracked child execution; it is no longer tracked',
    );
    return fresh;
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

  /**
   * Asks SSM for executions by id, ten a call; where one parent has more children wanted than one
   * call holds, lists that parent's children started since the oldest of them instead.
   */
  async #fetch(groups: readonly Wanted[]): Promise<ExecutionView[]> {
    const views = new Map<string, ExecutionView>();
    const byId: string[] = [];
    for (const group of groups) {
      if (group.parentExecutionId === null || group.ids.length <= FILTER_VALUES_LIMIT) {
        byId.push(...group.ids);
        continue;
      }
      const since = Number.isFinite(group.notBefore) ? isoSecondsFloor(group.notBefore - 1000) : null;
      for (const view of await this.#source.listChildren(group.parentExecutionId, since))
        views.set(view.executionId, view);
      byId.push(...group.ids.filter((id) => !views.has(id)));
    }
    if (byId.length > 0) {
      for (const view of await this.#source.describeExecutions(byId)) views.set(view.executionId, view);
    }
    return [...views.values()];
  }

  async #untrackUnknown(executions: readonly TrackedExecution[], message: string): Promise<void> {
    for (const { executionId, trackedAt } of executions) {
      this.#logger.warn(message, { executionId, trackedAt });
      await this.#store.untrack(executionId);
    }
  }
}

function groupByParent(
  executions: readonly Pick<TrackedExecution, 'executionId' | 'parentExecutionId' | 'startTime'>[],
): Wanted[] {
  const groups = new Map<string | null, { ids: string[]; notBefore: number }>();
  for (const execution of executions) {
    const group = groups.get(execution.parentExecutionId) ?? { ids: [], notBefore: Number.POSITIVE_INFINITY };
    group.ids.push(execution.executionId);
    group.notBefore = Math.min(group.notBefore, timeOf(execution.startTime));
    groups.set(execution.parentExecutionId, group);
  }
  return [...groups].map(([parentExecutionId, group]) => ({ parentExecutionId, ...group }));
}

/** Epoch ms of an ISO time; NaN (which poisons a minimum on purpose: "since when" unknown) when absent. */
function timeOf(iso: string | null): number {
  return iso === null ? Number.NaN : Date.parse(iso);
}

/** SSM's AutomationExecutionId is 36 characters. */
function isExecutionId(value: string): boolean {
  return /^[0-9a-zA-Z-]{36}$/.test(value);
}
