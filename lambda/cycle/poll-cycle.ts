// One poll cycle, in the order of docs/architecture.md: which executions, which steps, diff, record, emit.

import { catchUp } from '../core/catch-up';
import { diffExecution } from '../core/diff';
import { ExecutionNotFoundError } from '../core/errors';
import { buildEvents, type EventContext } from '../core/events';
import {
  CURSOR_LIMIT,
  type CycleLogger,
  type ExecutionSource,
  type PollCycleDeps,
  type UnreadableRecord,
} from '../core/ports';
import {
  FILTER_VALUES_LIMIT,
  needsStepRead,
  planStepReads,
  type StepReadPlan,
  type StepReadStrategy,
} from '../core/read-plan';
import { isFailureStatus, isTerminal } from '../core/status';
import type { ExecutionState, ExecutionView, OutboxEvent, StepListing, Transition } from '../core/types';
import {
  ExecutionFinder,
  isUnfetched,
  nextBacklog,
  type Queued,
  type StartedListing,
  type Unfetched,
} from './discovery';
import { HintedWork, InboxReader } from './hinted-reads';
import { acquire, STAND_DOWN_MESSAGES, scheduleWindow } from './lease';
import { OrderedPublisher } from './ordered-publisher';
import { type StepChunk, StepReader } from './step-reader';

/** Settings of one cycle. */
export interface PollCycleOptions {
  /** The (account, region) shard this poller owns; keys its state and outbox. */
  readonly shard: string;
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
  /** `source` of the events. */
  readonly eventSource: string;
  /** Size limit of one PutEvents entry. */
  readonly maxEntryBytes: number;
  /** @default 'window' */
  readonly strategy?: StepReadStrategy;
  /** Epoch ms by which the cycle must have stopped (the Lambda deadline less a reserve). */
  readonly deadline?: number;
  /**
   * How far before the watermark `StartTimeAfter` looks: against clock skew between the poller and
   * SSM, and an execution that shows up in the listing a little after its start. @default 60
   */
  readonly watermarkOverlapSeconds?: number;
  /** On the very first cycle (no watermark yet), how far back `StartTimeAfter` looks. @default 900 */
  readonly initialLookbackSeconds?: number;
  /**
   * How long after its start time a step may first show up in SSM's listing; the step-read window
   * reaches that far back. A step later than that is still reported by the read after its execution
   * ends. @default 60
   */
  readonly stepVisibilityLagSeconds?: number;
  /** PutEvents attempts for a failing entry within one cycle. @default 3 */
  readonly publishAttempts?: number;
  /** At most this many executions are polled this cycle; the rest wait in the cursor. @default no limit */
  readonly maxExecutions?: number;
  /**
   * Epoch ms by which this process surely ends (the Lambda's timeout). When set, the cycle first takes
   * the shard's lease until then and stands down while another poller holds one: two overlapping
   * pollers that read SSM at different times would otherwise send a step's statuses out of order.
   * @default no lease
   */
  readonly leaseUntil?: number;
  /**
   * Epoch ms until which the cycle keeps trying (once a second) to take a lease another poller holds,
   * before it stands down: hinted and scheduled cycles of one shard take turns rather than skip.
   * @default no wait
   */
  readonly leaseWaitUntil?: number;
  /**
   * A *targeted* cycle: only these executions (asked for by id) and the children their steps name
   * are read. It resends pending events first and takes and releases the lease like any cycle, but
   * never moves the watermark, the cursor or `lastCompleteAt`: the scheduled cycle owns those and
   * stays the guarantee. @default a scheduled cycle (discovery by listing)
   */
  readonly executionIds?: readonly string[];
  /**
   * Only executions that have ended are read, and SSM's in-flight listing is not asked for: a
   * backfill's cycle (its own state, under a shard key of its own) reads what SSM still remembers
   * and leaves what runs to the scheduled poller. @default false
   */
  readonly endedOnly?: boolean;
  /**
   * For a targeted cycle: the period of the shard's scheduled cycle. A targeted cycle gives the
   * scheduled one way: it stops reading `SCHEDULE_LEAD_SECONDS` (lease.ts) before the next scheduled
   * cycle is due (the last one's start plus the period) and does not start from then until that
   * cycle has run, or two more periods have passed without one. @default no yielding
   */
  readonly schedulePeriodSeconds?: number;
}

/** What one cycle did; the CLI prints it as one JSON line. */
export interface CycleSummary {
  executionsSeen: number;
  executionsPolled: number;
  executionsDeferred: number;
  stepsRead: number;
  stepPages: number;
  transitions: number;
  eventsEmitted: number;
  eventsResent: number;
  eventsPending: number;
  stalenessSeconds: number;
  complete: boolean;
  /** Events delivered this cycle (new and resent), by detail type. */
  deliveredByType: Record<string, number>;
  /** Transitions recorded this cycle into a failure-like status (step or execution). */
  failureTransitions: number;
  /**
   * True when another poller held the shard's lease (or, for a targeted cycle, the scheduled cycle
   * was due and had priority), so this cycle did nothing.
   */
  leaseHeldElsewhere: boolean;
  /** Records SSM returned that could not be used (each is logged once, the first cycle it shows up). */
  unreadableRecords: number;
  /**
   * A targeted cycle that found the lease held by a cycle taking hints, or the scheduled cycle about
   * to take it, handed its executions over through the hint inbox instead of reading them itself.
   */
  handedOff: boolean;
  /** Executions handed to this cycle through the hint inbox while it held the lease. */
  inboxExecutions: number;
}

/** Pages an execution's read takes in the cycle's first pass; a longer read goes on in the second. */
const SHORT_READ_PAGES = 3;
/** Pages a long read takes between two saves. */
const LONG_READ_CHUNK_PAGES = 20;
/** Pages a long read takes between two saves while hints may hand executions over: about 2 s at 2 TPS. */
const HINTED_CHUNK_PAGES = 4;

/** An execution whose step read goes on over several chunks, and its state as last saved. */
interface Serving {
  readonly execution: ExecutionView;
  readonly reader: StepReader;
  previous: ExecutionState | null;
  /** The snapshot's version as last saved (null: none saved yet). */
  version: number | null;
  /** Steps catching up changed, written with the next save. */
  pendingChangedSteps: readonly string[];
  /** Whether catching up changed the snapshot, so the next chunk saves it whatever it reads. */
  mustSave: boolean;
}

/** Most fingerprints of reported unreadable records the poller state keeps. */
const REPORTED_RECORDS_KEPT = 200;

/** Runs one poll cycle. Throws only when the store or SSM cannot be reached at all. */
export async function runPollCycle(deps: PollCycleDeps, options: PollCycleOptions): Promise<CycleSummary> {
  const { source, store, now } = deps;
  const hintSource = deps.hintSource ?? source;
  const logger = deps.logger ?? silentLogger;
  const cycleStart = now();
  const summary: CycleSummary = {
    executionsSeen: 0,
    executionsPolled: 0,
    executionsDeferred: 0,
    stepsRead: 0,
    stepPages: 0,
    transitions: 0,
    eventsEmitted: 0,
    eventsResent: 0,
    eventsPending: 0,
    stalenessSeconds: 0,
    complete: true,
    deliveredByType: {},
    failureTransitions: 0,
    leaseHeldElsewhere: false,
    unreadableRecords: 0,
    handedOff: false,
    inboxExecutions: 0,
  };
  const publisher = new OrderedPublisher({ ...deps, logger }, options.publishAttempts ?? 3);
  const targeted = options.executionIds !== undefined;
  const taken = await acquire(deps, options, cycleStart);
  if ('standDown' in taken) {
    const { loaded } = taken;
    logger[taken.standDown === 'handed off' ? 'info' : 'warn'](STAND_DOWN_MESSAGES[taken.standDown], {
      shard: options.shard,
      leaseUntil: loaded.leaseUntil ?? null,
      watermark: loaded.watermark,
    });
    return {
      ...summary,
      complete: false,
      leaseHeldElsewhere: true,
      handedOff: taken.standDown === 'handed off',
      stalenessSeconds: stalenessSeconds(now(), cycleStart, loaded.lastCompleteAt, false),
    };
  }
  const { poller } = taken;
  // A targeted cycle stops reading before the scheduled one is due, so hints never starve it.
  const window = scheduleWindow(options, poller);
  const yieldAt = window && window.start > now() ? window.start : undefined;
  const limits: CycleLimits = {
    maxExecutions: options.maxExecutions,
    deadline:
      yieldAt === undefined
        ? options.deadline
        : Math.min(options.deadline ?? Number.POSITIVE_INFINITY, yieldAt),
  };

  // Holding the lease, the cycle opens the hint inbox at once, so a hint reader can hand it the
  // executions hinted while it resends and discovers; it reads those first.
  const inbox =
    deps.inbox && options.leaseUntil !== undefined
      ? await InboxReader.open(deps.inbox, options.shard, now, limits.deadline ?? options.leaseUntil)
      : undefined;
  const hinted = new HintedWork();
  const late = (): boolean => outOfTime(deps, limits, summary.executionsPolled);
  const claimed: OutboxEvent[] = [];
  // Executions not served at all this cycle (their snapshots may lag what was resent), and ones whose
  // long read goes on next cycle: both wait in the cursor.
  const deferred: string[] = [];
  const unfinished: string[] = [];
  let sequence = 0;
  let queue: Queued[] = [];
  let started: StartedListing | null = null;
  let watched: ReadonlySet<string> | null = null;
  // Executions a hint handed over before the queue was formed, read first.
  const servedEarly = new Set<string>();
  try {
    // 0. What an earlier cycle recorded but could not send goes first, so per-step order holds. It is
    // marked sent only once its execution's snapshot has caught up with it (below), so a snapshot left
    // behind by a save that died can still catch up next cycle if this one dies too.
    const pending = await store.listPending(options.shard);
    summary.eventsResent = await publisher.publish(pending, { markSentLater: true });

    const finder = new ExecutionFinder(source, store, logger, options.shard);
    const visibilityLagSeconds = options.stepVisibilityLagSeconds ?? 60;
    const context = (observedAt: string): EventContext => ({
      account: options.account,
      region: options.region,
      partition: options.partition ?? 'aws',
      source: options.eventSource,
      observedAt,
      maxEntryBytes: options.maxEntryBytes,
    });

    /**
     * Starts serving one execution: catches its snapshot up with what was recorded unsent, plans its
     * step read, and reads a first chunk. Returns what is left to read, or null when it is served.
     */
    const begin = async (
      execution: ExecutionView,
      maxPages: number,
      via: ExecutionSource = source,
    ): Promise<Serving | null> => {
      hinted.served(execution);
      if (options.endedOnly && !isTerminal(execution.status)) return null;
      const stored = await store.loadExecution(execution.executionId);
      const caught = catchUp(stored, execution, pending);
      const previous = caught.state;
      // Steps with transitions recorded but not sent yet are read again: a cycle that died after
      // saving a parent but before serving the children its steps named must name them again.
      const unsent = unsentStepsOf(pending, execution.executionId);
      const mustRead = caught.changed || needsStepRead(previous, execution);
      if (!mustRead && unsent.size === 0) {
        queue.push(...(await finder.childrenOf(execution, [])));
        return null;
      }
      // 2. Which steps: what can have changed, planned so that no read depends on where SSM sorts
      // steps that have not started; a long listing goes on where an earlier cycle left it.
      const plan: StepReadPlan = mustRead
        ? planStepReads(previous, execution, { strategy: options.strategy ?? 'window', visibilityLagSeconds })
        : { complete: false, queries: [] };
      const reader = new StepReader(
        via,
        execution.executionId,
        plan,
        new Date(now()).toISOString(),
        [...unsent],
        execution.startTime,
      );
      const serving: Serving = {
        execution,
        reader,
        previous,
        version: stored ? stored.execution.version : null,
        pendingChangedSteps: caught.changedSteps,
        mustSave: caught.changed,
      };
      const outcome = await advance(serving, maxPages);
      if (outcome !== 'gone') summary.executionsPolled++;
      return outcome === 'more' ? serving : null;
    };

    /**
     * Reads the next chunk of an execution's steps and diffs, records, saves and sends what it shows
     * (3., 4.). Says whether there is more to read, the read is done, or the execution is gone (SSM
     * forgot it, or a rival poller moved its snapshot).
     */
    const advance = async (
      serving: Serving,
      maxPages: number,
      until?: number,
    ): Promise<'more' | 'done' | 'gone'> => {
      const { execution, reader } = serving;
      const chunkLate = until === undefined ? late : () => late() || now() >= until;
      let chunk: StepChunk;
      try {
        chunk = await reader.next(maxPages, chunkLate, serving.previous);
      } catch (error) {
        // SSM forgot it between the listing and the read: the others go on.
        if (!(error instanceof ExecutionNotFoundError)) throw error;
        await finder.forget(execution.executionId);
        return 'gone';
      }
      summary.stepsRead += chunk.steps.length;
      summary.stepPages += chunk.pages;

      // 3. Diff. A chunk that does not end the read holds an ended execution's final status back.
      const observedAt = new Date(now()).toISOString();
      const complete = chunk.done && reader.complete;
      const oneChunk = reader.pages === chunk.pages && !reader.resumed;
      const previous = serving.previous;
      const diff = diffExecution({
        execution,
        steps: chunk.steps,
        previous,
        stepsComplete: complete,
        // A listing read over several chunks is complete as of when it began.
        readAt: complete && !oneChunk ? reader.startedAt : observedAt,
        visibilityLagSeconds,
        holdFinalStatus: !chunk.done,
        spansCycles: reader.resumed,
      });
      queue.push(...(await finder.childrenOf(execution, chunk.steps)));
      const listing = chunk.done ? null : reader.continuation();
      const heldNames = chunk.done ? [] : chunk.heldNames;
      const before = previous?.execution;
      const progressMoved =
        !sameListing(before?.listing ?? null, listing) || !sameList(before?.heldNames ?? [], heldNames);
      const more = chunk.done ? 'done' : 'more';
      // A read that ends with the final status held back (a listing begun before the end) is not
      // over: the execution waits in the cursor, and the cycle is not complete.
      if (chunk.done && diff.held) unfinished.push(execution.executionId);
      if (!diff.changed && !serving.mustSave && !progressMoved) return more;

      // 4. Record the transitions (the outbox), then the snapshot; its events are sent right after.
      const events = buildEvents(execution, diff.transitions, context(observedAt), sequence);
      sequence += events.length;
      summary.transitions += events.length;
      summary.failureTransitions += diff.transitions.filter((t) => isFailure(t, execution)).length;
      if (events.length > 0) {
        const recorded = await store.recordEvents(options.shard, events);
        claimed.push(...recorded.claimed);
        if (recorded.alreadyRecorded.length > 0) {
          logger.info('transitions already recorded by an earlier or rival cycle', {
            executionId: execution.executionId,
            eventIds: recorded.alreadyRecorded.map((e) => e.eventId),
          });
        }
      }
      const next: ExecutionState = {
        execution: {
          ...diff.next.execution,
          listing,
          heldNames: heldNames.length > 0 ? heldNames : undefined,
        },
        steps: diff.next.steps,
      };
      const saved = await store.saveExecution(
        options.shard,
        next,
        [...new Set([...diff.changedSteps, ...serving.pendingChangedSteps])],
        serving.version,
      );
      if (claimed.length > 0) summary.eventsEmitted += await publisher.publish(claimed.splice(0));
      if (!saved) {
        logger.warn('snapshot moved by a rival poller; keeping its version', {
          executionId: execution.executionId,
        });
        return 'gone';
      }
      serving.version = (serving.version ?? 0) + 1;
      serving.previous = { execution: { ...next.execution, version: serving.version }, steps: next.steps };
      serving.pendingChangedSteps = [];
      serving.mustSave = false;
      return more;
    };

    // Executions the queue holds by id are asked for as the cycle reaches them, with the next ones
    // like them, ten a call: asking costs what serving can use, never a cycle's whole budget.
    const reached = new Map<string, ExecutionView>();
    const asked = new Set<string>();
    const reach = async (at: number): Promise<ExecutionView | null> => {
      const wanted = queue[at] as Unfetched;
      if (!asked.has(wanted.executionId)) {
        const batch: Unfetched[] = [];
        for (let i = at; i < queue.length && batch.length < FILTER_VALUES_LIMIT; i++) {
          const entry = queue[i] as Queued;
          if (!isUnfetched(entry) || asked.has(entry.executionId)) continue;
          asked.add(entry.executionId);
          batch.push(entry);
        }
        for (const view of await finder.fetch(batch)) reached.set(view.executionId, view);
      }
      return reached.get(wanted.executionId) ?? null;
    };

    // What a hint hands over goes next, so a hinted change does not wait for the rest of the queue:
    // executions still ahead move up (read in turn, so looked at again once the queue is done); ones
    // already read this cycle, or not queued, are asked for by id and read next. Both are read through
    // the hint source, paced apart, so the queue behind them keeps its pace.
    const viaHint = new Set<string>();
    const hintedNext = async (ids: readonly string[], at: number): Promise<void> => {
      hinted.note(ids, queue, at);
      const wanted = new Set(ids);
      const ahead = queue.slice(at);
      queue.splice(
        at,
        ahead.length,
        ...ahead.filter((entry) => wanted.has(entry.executionId)),
        ...ahead.filter((entry) => !wanted.has(entry.executionId)),
      );
      for (const id of ids) viaHint.add(id);
      const extra = hinted.takeExtra();
      if (extra.length === 0) return;
      if (late()) deferred.push(...extra);
      else queue.splice(at, 0, ...(await finder.refresh(extra, hintSource)));
    };

    // Handed over before the cycle could read (parked for it, or while it resent): read first, with a
    // fresh view; the queue then leaves them out (they were read after the cycle began).
    const earlyLong: Serving[] = [];
    const handedEarly = inbox ? await inbox.look(late) : [];
    if (handedEarly.length > 0) {
      for (const view of await finder.refresh(handedEarly, hintSource)) {
        if (late()) break;
        servedEarly.add(view.executionId);
        const serving = await begin(view, SHORT_READ_PAGES, hintSource);
        if (serving) earlyLong.push(serving);
      }
    }

    // 1. Which executions: in flight ∪ started since the watermark ∪ still tracked as in flight (a
    // targeted cycle: the hinted ones); their children join the queue as their parents name them.
    const discovered = options.executionIds
      ? {
          executions: await finder.discoverTargets(options.shard, options.executionIds),
          started: null,
          watched: null,
        }
      : await finder.discover(
          {
            shard: options.shard,
            watermarkOverlapSeconds: options.watermarkOverlapSeconds ?? 60,
            initialLookbackSeconds: options.initialLookbackSeconds ?? 900,
          },
          poller,
          cycleStart,
          late,
          options.endedOnly === true,
        );
    started = discovered.started;
    watched = discovered.watched;
    const queued = new Set([...servedEarly, ...queue.map((entry) => entry.executionId)]);
    queue = [
      ...queue,
      ...orderForService(
        discovered.executions.filter((entry) => !queued.has(entry.executionId)),
        poller.cursor,
        watched,
      ),
    ];

    // Phase one serves the queue; phase two the long reads. They go round again while a hint hands
    // executions over during phase two, or a parent read there names children, and time is left; once
    // out of time, phase one defers what is queued. The hint inbox stays open until both are done.
    let next = 0;
    let long: Serving[] = earlyLong;
    for (;;) {
      // Phase one: every execution gets a short read, so each one's cheap change goes out this cycle and
      // no long listing holds the others up. Each execution's events go out once it is read.
      for (;;) {
        if (inbox && next < queue.length) {
          const handed = await inbox.look(late);
          if (handed.length > 0) await hintedNext(handed, next);
        }
        if (next >= queue.length) {
          // A backlog is listed only as fast as it is served: the next page once the queue is done.
          if (started && !started.complete && !late()) {
            queue.push(...(await finder.more(started)));
            continue;
          }
          // A backlog window listed and served with time to spare: the next one, twice as wide.
          if (started?.complete && started.before !== null && !late()) {
            started = started.next(cycleStart, options.watermarkOverlapSeconds ?? 60);
            continue;
          }
          break;
        }
        const entry = queue[next++] as Queued;
        if (late()) {
          deferred.push(entry.executionId);
          continue;
        }
        const execution = isUnfetched(entry) ? await reach(next - 1) : entry;
        if (execution === null) continue;
        const via = viaHint.delete(execution.executionId) ? hintSource : source;
        const serving = await begin(execution, SHORT_READ_PAGES, via);
        if (serving) long.push(serving);
      }

      // Phase two: the long reads share what is left of the budget, in rounds, each a fair slice of it in
      // turn, read a chunk at a time and saved as it goes; what one does not finish goes on next cycle
      // where it stopped (so its snapshot has caught up: only its read waits in the cursor). Between
      // chunks, what a hint hands over is read first (phase one again).
      const chunkPages = inbox ? HINTED_CHUNK_PAGES : LONG_READ_CHUNK_PAGES;
      let handedOver = false;
      while (long.length > 0 && !late() && !handedOver) {
        const left: Serving[] = [];
        for (const [i, serving] of long.entries()) {
          if (late() || handedOver) {
            left.push(...long.slice(i));
            break;
          }
          const deadline = limits.deadline;
          const until = deadline === undefined ? undefined : now() + (deadline - now()) / (long.length - i);
          let more: boolean;
          do {
            more = (await advance(serving, chunkPages, until)) === 'more';
            const handed = inbox ? await inbox.look(late) : [];
            if (handed.length > 0) {
              await hintedNext(handed, next);
              handedOver = true;
            }
          } while (more && !handedOver && !late() && (until === undefined || now() < until));
          if (more) left.push(serving);
        }
        long = left;
      }
      // Hinted executions queued, or long reads cut short by a hand-over, with time left: round again.
      if (next < queue.length || (long.length > 0 && !late())) continue;

      // The queue and the long reads are done (or out of time): what hints asked for beyond them.
      if (!inbox) break;
      if (late()) {
        deferred.push(...hinted.extra());
        hinted.clear();
        await inbox.stop();
        // A targeted cycle keeps no cursor: what it was handed or asked for and did not read waits in
        // the inbox for the next holder (the scheduled cycle, when this one yields to it).
        if (targeted) await inbox.handBack(deferred);
        break;
      }
      if (hinted.owed().length === 0) hinted.note(await inbox.drain(late), queue, next);
      const owed = hinted.owed();
      if (owed.length === 0) break;
      const again = hinted.select(await finder.refresh(owed, hintSource));
      for (const view of again) viaHint.add(view.executionId);
      queue.push(...again);
    }
    unfinished.push(...long.map((serving) => serving.execution.executionId));
  } catch (error) {
    // A cycle that fails must not leave the inbox open: hint readers would hand ids to nobody.
    await inbox
      ?.stop()
      .catch((closeError: unknown) =>
        logger.warn('could not close the hint inbox', { shard: options.shard, error: String(closeError) }),
      );
    throw error;
  }
  summary.executionsSeen = new Set([...servedEarly, ...queue.map((execution) => execution.executionId)]).size;
  summary.inboxExecutions = inbox?.taken ?? 0;

  summary.eventsEmitted += await publisher.publish(claimed);
  const unreached = new Set(deferred);
  await publisher.markSentHeld((event) => !unreached.has(event.executionId));
  summary.deliveredByType = publisher.deliveredByType;
  summary.eventsPending = publisher.failedCount;
  summary.executionsDeferred = deferred.length + unfinished.length;
  const listed = started;
  const backlog =
    listed === null
      ? null
      : nextBacklog(
          listed,
          !deferred.some((id) => listed.ids.has(id)),
          cycleStart,
          options.watermarkOverlapSeconds ?? 60,
        );
  summary.complete = summary.executionsDeferred === 0 && (backlog === null || backlog.backlogFrom === null);

  // 5. The watermark moves to this cycle's start; unserved executions wait in the cursor; the lease ends.
  // A targeted cycle leaves watermark, cursor and lastCompleteAt as they were: the schedule owns them.
  const lastCompleteAt =
    summary.complete && !targeted ? new Date(cycleStart).toISOString() : poller.lastCompleteAt;
  summary.stalenessSeconds = stalenessSeconds(
    now(),
    cycleStart,
    lastCompleteAt,
    summary.complete && !targeted,
  );
  const unreadable = [
    ...(await source.takeUnreadable()),
    ...(hintSource === source ? [] : await hintSource.takeUnreadable()),
  ];
  summary.unreadableRecords = new Set(unreadable.map((record) => record.fingerprint)).size;
  const reportedRecords = reportOnce(unreadable, poller.reportedRecords, logger);
  // Without a lease to release and nothing newly reported, a targeted cycle leaves the state alone, so
  // that it never makes a scheduled cycle's save lose its version check.
  if (targeted && options.leaseUntil === undefined && sameList(reportedRecords, poller.reportedRecords))
    return summary;
  const state = targeted
    ? {
        watermark: poller.watermark,
        backlogFrom: poller.backlogFrom ?? null,
        backlogWindowSeconds: poller.backlogWindowSeconds ?? null,
        cursor: poller.cursor,
        lastCompleteAt,
        reportedRecords,
      }
    : {
        watermark: new Date(cycleStart).toISOString(),
        backlogFrom: backlog?.backlogFrom ?? null,
        backlogWindowSeconds: backlog?.backlogWindowSeconds ?? null,
        // A backlog's newcomers are listed again with their window; the cursor keeps the others.
        cursor: boundedCursor(
          [...deferred, ...unfinished].filter((id) => !(listed?.ids.has(id) && !watched?.has(id))),
          logger,
          options.shard,
        ),
        lastCompleteAt,
        reportedRecords,
      };
  const saved = await store.savePollerState(options.shard, state, poller);
  if (!saved) logger.warn('poller state moved by a rival poller', { shard: options.shard });
  return summary;
}

/**
 * Executions in flight, tracked or waiting in the cursor before the ones a listing brought new; among
 * each, the cursor first (they waited longest), then oldest start first (parents before children).
 * Each run takes its turn with the others: a parent and its children (a rate-control run over
 * thousands of targets) get one place in each round, so that they never hold up the other runs.
 */
function orderForService(
  executions: readonly Queued[],
  cursor: readonly string[],
  watched: ReadonlySet<string> | null,
): Queued[] {
  const rank = new Map(cursor.map((id, i) => [id, i]));
  const newcomer = (view: Queued): number => (watched === null || watched.has(view.executionId) ? 0 : 1);
  const sorted = [...executions].sort((a, b) => {
    // What runs or is tracked first, whatever a backlog's listing brought; then the cursor's order.
    if (newcomer(a) !== newcomer(b)) return newcomer(a) - newcomer(b);
    const ra = rank.get(a.executionId) ?? Number.MAX_SAFE_INTEGER;
    const rb = rank.get(b.executionId) ?? Number.MAX_SAFE_INTEGER;
    if (ra !== rb) return ra - rb;
    return (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.executionId.localeCompare(b.executionId);
  });
  return [
    ...inTurns(sorted.filter((view) => newcomer(view) === 0)),
    ...inTurns(sorted.filter((view) => newcomer(view) === 1)),
  ];
}

/**
 * Executions in rounds, one of each run a round, runs in the order of their first execution, each
 * run's executions in their order. A run is a parent with its children; ids that waited in the cursor
 * with no parent known (no listing shows them any more) make one run together.
 */
function inTurns(executions: readonly Queued[]): Queued[] {
  const runs = new Map<string, Queued[]>();
  for (const execution of executions) {
    const run =
      execution.parentExecutionId ??
      (isUnfetched(execution) && execution.trackedAt === null ? '' : execution.executionId);
    const members = runs.get(run) ?? [];
    members.push(execution);
    runs.set(run, members);
  }
  const ordered: Queued[] = [];
  const lists = [...runs.values()];
  for (let turn = 0; ordered.length < executions.length; turn++) {
    for (const members of lists) {
      const member = members[turn];
      if (member !== undefined) ordered.push(member);
    }
  }
  return ordered;
}

/** When a cycle stops serving executions: a count, a time. */
interface CycleLimits {
  readonly maxExecutions: number | undefined;
  readonly deadline: number | undefined;
}

function outOfTime(deps: PollCycleDeps, limits: CycleLimits, polled: number): boolean {
  if (limits.maxExecutions !== undefined && polled >= limits.maxExecutions) return true;
  return limits.deadline !== undefined && deps.now() >= limits.deadline;
}

function stalenessSeconds(
  now: number,
  cycleStart: number,
  lastCompleteAt: string | null,
  complete: boolean,
): number {
  if (complete || lastCompleteAt === null) return Math.max(0, (now - cycleStart) / 1000);
  return Math.max(0, (now - Date.parse(lastCompleteAt)) / 1000);
}

/** The steps of an execution with transitions recorded in the outbox but not sent yet. */
function unsentStepsOf(pending: readonly OutboxEvent[], executionId: string): Set<string> {
  const steps = new Set<string>();
  for (const event of pending) {
    if (event.executionId === executionId && event.stepExecutionId !== null) steps.add(event.stepExecutionId);
  }
  return steps;
}

/**
 * Logs each unreadable record the first cycle it shows up; returns the fingerprints to keep, newest
 * first, so a record SSM keeps returning is not reported every cycle.
 */
function reportOnce(
  records: readonly UnreadableRecord[],
  reported: readonly string[],
  logger: CycleLogger,
): readonly string[] {
  const known = new Set(reported);
  const fresh: string[] = [];
  for (const record of records) {
    if (known.has(record.fingerprint)) continue;
    known.add(record.fingerprint);
    fresh.push(record.fingerprint);
    logger.warn('skipped a record SSM returned', {
      operation: record.operation,
      reason: record.reason,
      executionId: record.executionId,
    });
  }
  return [...fresh, ...reported].slice(0, REPORTED_RECORDS_KEPT);
}

/**
 * The cursor to save: at most {@link CURSOR_LIMIT} ids, so the poller state stays small whatever the
 * backlog. What is left out is found again: tracked executions by the store, a backlog by its window.
 */
function boundedCursor(ids: readonly string[], logger: CycleLogger, shard: string): string[] {
  const unique = [...new Set(ids)];
  if (unique.length > CURSOR_LIMIT) {
    logger.warn('more executions wait than the cursor keeps; the rest are found again next cycle', {
      shard,
      waiting: unique.length,
      kept: CURSOR_LIMIT,
    });
  }
  return unique.slice(0, CURSOR_LIMIT);
}

function sameListing(a: StepListing | null, b: StepListing | null): boolean {
  return (
    a === b ||
    (a !== null &&
      b !== null &&
      a.since === b.since &&
      a.after === b.after &&
      a.widthSeconds === b.widthSeconds)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function isFailure(transition: Transition, execution: ExecutionView): boolean {
  if (transition.kind === 'step') return isFailureStatus(transition.step.status);
  return transition.kind === 'execution' && isFailureStatus(execution.status);
}

const silentLogger: CycleLogger = { info() {}, warn() {}, error() {} };
