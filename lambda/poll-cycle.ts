// One poll cycle, in the order of DESIGN.md: which executions, which steps, diff, record, emit.
import { catchUp } from './core/catch-up';
import { diffExecution } from './core/diff';
import { buildEvents, type EventContext } from './core/events';
import { ExecutionNotFoundError } from './core/errors';
import type { CycleLogger, PollCycleDeps, PollerState, SnapshotStore, UnreadableRecord } from './core/ports';
import { mayStillChange, needsStepRead, planStepReads, type StepReadStrategy } from './core/read-plan';
import { isFailureStatus } from './core/status';
import type { ExecutionView, OutboxEvent, Transition } from './core/types';
import { ExecutionFinder } from './discovery';
import { OrderedPublisher } from './ordered-publisher';
import { readPlannedSteps } from './step-reader';

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
  /** True when another poller held the shard's lease, so this cycle did nothing. */
  leaseHeldElsewhere: boolean;
  /** Records SSM returned that could not be used (each is logged once, the first cycle it shows up). */
  unreadableRecords: number;
}

/** Most fingerprints of reported unreadable records the poller state keeps. */
const REPORTED_RECORDS_KEPT = 200;

/** Runs one poll cycle. Throws only when the store or SSM cannot be reached at all. */
export async function runPollCycle(deps: PollCycleDeps, options: PollCycleOptions): Promise<CycleSummary> {
  const { source, store, now } = deps;
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
  };
  const publisher = new OrderedPublisher({ ...deps, logger }, options.publishAttempts ?? 3);
  const loaded = await store.loadPollerState(options.shard);
  const poller =
    options.leaseUntil === undefined ? loaded : await takeLease(store, options, loaded, cycleStart);
  if (!poller) {
    logger.warn('another poller holds the shard lease; standing down', {
      shard: options.shard,
      leaseUntil: loaded.leaseUntil ?? null,
    });
    return {
      ...summary,
      complete: false,
      leaseHeldElsewhere: true,
      stalenessSeconds: stalenessSeconds(now(), cycleStart, loaded.lastCompleteAt, false),
    };
  }

  // 0. What an earlier cycle recorded but could not send goes first, so per-step order holds. It is
  // marked sent only once its execution's snapshot has caught up with it (below), so a snapshot left
  // behind by a save that died can still catch up next cycle if this one dies too.
  const pending = await store.listPending(options.shard);
  summary.eventsResent = await publisher.publish(pending, { markSentLater: true });

  // 1. Which executions: in flight ∪ started since the watermark ∪ still tracked as in flight; their
  // children join the queue as their parents name them.
  const finder = new ExecutionFinder(source, store, logger);
  const discovered = await finder.discover(
    {
      shard: options.shard,
      watermarkOverlapSeconds: options.watermarkOverlapSeconds ?? 60,
      initialLookbackSeconds: options.initialLookbackSeconds ?? 900,
    },
    poller,
    cycleStart,
  );
  const queue = orderForService(discovered, poller.cursor);

  const claimed: OutboxEvent[] = [];
  const deferred: string[] = [];
  let sequence = 0;
  for (let next = 0; next < queue.length; next++) {
    const execution = queue[next] as ExecutionView;
    if (outOfTime(deps, options, summary.executionsPolled)) {
      deferred.push(execution.executionId);
      continue;
    }
    const stored = await store.loadExecution(execution.executionId);
    const caught = catchUp(stored, execution, pending);
    const previous = caught.state;
    if (!caught.changed && !needsStepRead(previous, execution)) {
      queue.push(...(await finder.childrenOf(execution, [])));
      continue;
    }

    // 2. Which steps: what can have changed, planned so that no read depends on where SSM sorts
    // steps that have not started.
    const plan = planStepReads(previous, execution, {
      strategy: options.strategy ?? 'window',
      visibilityLagSeconds: options.stepVisibilityLagSeconds ?? 60,
    });
    let read: Awaited<ReturnType<typeof readPlannedSteps>>;
    try {
      read = await readPlannedSteps(source, execution.executionId, plan, previous, () =>
        outOfTime(deps, options, summary.executionsPolled),
      );
    } catch (error) {
      // SSM forgot it between the listing and the read: the others go on.
      if (!(error instanceof ExecutionNotFoundError)) throw error;
      await finder.forget(execution.executionId);
      continue;
    }
    if (!read) {
      deferred.push(execution.executionId);
      continue;
    }
    summary.executionsPolled++;
    summary.stepsRead += read.steps.length;
    summary.stepPages += read.pages;

    // 3. Diff.
    const readAt = new Date(now()).toISOString();
    const diff = diffExecution({
      execution,
      steps: read.steps,
      previous,
      stepsComplete: read.complete,
      readAt,
    });
    const changedSteps = new Set(diff.changedSteps);
    queue.push(
      ...(await finder.childrenOf(
        execution,
        read.steps.filter((step) => changedSteps.has(step.stepExecutionId) || mayStillChange(step)),
      )),
    );
    if (!diff.changed && !caught.changed) continue;

    // 4. Record the transitions (the outbox), then the snapshot; sending follows for the whole cycle.
    const context: EventContext = {
      account: options.account,
      region: options.region,
      partition: options.partition ?? 'aws',
      source: options.eventSource,
      observedAt: readAt,
      maxEntryBytes: options.maxEntryBytes,
    };
    const events = buildEvents(execution, diff.transitions, context, sequence);
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
    const saved = await store.saveExecution(
      options.shard,
      diff.next,
      [...new Set([...diff.changedSteps, ...caught.changedSteps])],
      stored ? stored.execution.version : null,
    );
    if (!saved) {
      logger.warn('snapshot moved by a rival poller; keeping its version', {
        executionId: execution.executionId,
      });
    }
  }
  summary.executionsSeen = queue.length;

  summary.eventsEmitted = await publisher.publish(claimed);
  const unreached = new Set(deferred);
  await publisher.markSentHeld((event) => !unreached.has(event.executionId));
  summary.deliveredByType = publisher.deliveredByType;
  summary.eventsPending = publisher.failedCount;
  summary.executionsDeferred = deferred.length;
  summary.complete = deferred.length === 0;

  // 5. The watermark moves to this cycle's start; unserved executions wait in the cursor; the lease ends.
  const lastCompleteAt = summary.complete ? new Date(cycleStart).toISOString() : poller.lastCompleteAt;
  summary.stalenessSeconds = stalenessSeconds(now(), cycleStart, lastCompleteAt, summary.complete);
  const unreadable = await source.takeUnreadable();
  summary.unreadableRecords = new Set(unreadable.map((record) => record.fingerprint)).size;
  const reportedRecords = reportOnce(unreadable, poller.reportedRecords, logger);
  const saved = await store.savePollerState(
    options.shard,
    { watermark: new Date(cycleStart).toISOString(), cursor: deferred, lastCompleteAt, reportedRecords },
    poller,
  );
  if (!saved) logger.warn('poller state moved by a rival poller', { shard: options.shard });
  return summary;
}

/** Takes the shard's lease until `options.leaseUntil`; null when another poller holds it. */
async function takeLease(
  store: SnapshotStore,
  options: PollCycleOptions,
  loaded: PollerState,
  cycleStart: number,
): Promise<PollerState | null> {
  if (loaded.leaseUntil && Date.parse(loaded.leaseUntil) > cycleStart) return null;
  const leaseUntil = new Date(options.leaseUntil ?? cycleStart).toISOString();
  const state = {
    watermark: loaded.watermark,
    cursor: loaded.cursor,
    lastCompleteAt: loaded.lastCompleteAt,
    reportedRecords: loaded.reportedRecords,
  };
  // The version check makes two pollers that find the lease free at once race for it; one wins.
  const taken = await store.savePollerState(options.shard, { ...state, leaseUntil }, loaded);
  return taken ? { ...state, leaseUntil, version: loaded.version + 1 } : null;
}

/** Cursor first (they waited longest), then parents before children, oldest start first. */
function orderForService(executions: readonly ExecutionView[], cursor: readonly string[]): ExecutionView[] {
  const rank = new Map(cursor.map((id, i) => [id, i]));
  return [...executions].sort((a, b) => {
    const ra = rank.get(a.executionId) ?? Number.MAX_SAFE_INTEGER;
    const rb = rank.get(b.executionId) ?? Number.MAX_SAFE_INTEGER;
    if (ra !== rb) return ra - rb;
    return (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.executionId.localeCompare(b.executionId);
  });
}

function outOfTime(deps: PollCycleDeps, options: PollCycleOptions, polled: number): boolean {
  if (options.maxExecutions !== undefined && polled >= options.maxExecutions) return true;
  return options.deadline !== undefined && deps.now() >= options.deadline;
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

function isFailure(transition: Transition, execution: ExecutionView): boolean {
  if (transition.kind === 'step') return isFailureStatus(transition.step.status);
  return transition.kind === 'execution' && isFailureStatus(execution.status);
}

const silentLogger: CycleLogger = { info() {}, warn() {}, error() {} };
