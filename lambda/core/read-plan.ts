// Plans which step pages a cycle reads: filters that return what can have changed, wherever SSM sorts steps not yet started.
import { isTerminal } from './status';
import type {
  ExecutionSnapshot,
  ExecutionState,
  ExecutionView,
  StepListing,
  StepSnapshot,
  StepView,
} from './types';

/** Most step executions one `DescribeAutomationStepExecutions` page returns (SSM's MaxResults limit). */
export const STEP_PAGE_SIZE = 50;
/** Most values one SSM filter takes, e.g. step execution ids in a `StepExecutionId` filter. */
export const FILTER_VALUES_LIMIT = 10;

/**
 * One filtered listing of an execution's steps, read to its last page. An empty query lists every
 * step, not-started ones included.
 */
export interface StepQuery {
  /** SSM's `StartTimeAfter` (ISO 8601, whole seconds): only steps that started after it. */
  readonly startedAfter?: string;
  /** SSM's `StartTimeBefore` (ISO 8601, whole seconds): only steps that started before it. */
  readonly startedBefore?: string;
  /** SSM's `StepExecutionId` filter: only these steps (at most {@link FILTER_VALUES_LIMIT}). */
  readonly stepExecutionIds?: readonly string[];
  /** SSM's `StepName` filter: only steps of these names, started or not (at most {@link FILTER_VALUES_LIMIT}). */
  readonly stepNames?: readonly string[];
  /** SSM's `StepExecutionStatus` filter: only steps in these statuses (at most {@link FILTER_VALUES_LIMIT}). */
  readonly statuses?: readonly string[];
}

/** Whether a query has no filter, so that it lists every step, not-started ones included. */
export function listsEverything(query: StepQuery): boolean {
  return (
    !query.startedAfter &&
    !query.startedBefore &&
    !query.stepExecutionIds &&
    !query.stepNames &&
    !query.statuses
  );
}

/** How steps are read: the planned window (default), or every page every cycle (for comparison). */
export type StepReadStrategy = 'window' | 'full';

/** What a cycle reads of one execution's steps. */
export interface StepReadPlan {
  /** True when the plan lists every step (the first read, and the reconciliation after the end). */
  readonly complete: boolean;
  readonly queries: readonly StepQuery[];
  /**
   * For a complete listing an earlier cycle began and this one goes on with: when it began (ISO). Its
   * steps are complete as of then, and, read over several cycles, it cannot prove on its own that
   * no step is shown late.
   */
  readonly since?: string;
  /** For such a listing: where it stands; its queries are made window by window as it goes. */
  readonly resume?: StepListing;
  /**
   * Names an earlier read held back, asked for by name at the end of this one: until then they stay
   * held, so a read cut short again carries them on.
   */
  readonly heldNames?: readonly string[];
}

/** Settings of {@link planStepReads}. */
export interface StepPlanOptions {
  readonly strategy: StepReadStrategy;
  /**
   * How long after its start time a step may first show up in SSM's listing. The window re-reads
   * that much before the newest start it knows, so a late step is still seen while the run goes on;
   * one later than that is seen by the reconciliation read after the execution ends.
   */
  readonly visibilityLagSeconds: number;
}

/** A full listing: every step, started or not, in SSM's forward order. */
const EVERYTHING: StepReadPlan = { complete: true, queries: [{}] };

/**
 * Whether a stored execution cannot change any more: it ended, and its steps were read completely
 * at or after its end plus the visibility lag (`settledAfter`), so even a step SSM showed late has
 * been seen. A settled execution is no longer watched.
 */
export function isSettled(snapshot: ExecutionSnapshot): boolean {
  if (!isTerminal(snapshot.status) || snapshot.stepsReadAt === null) return false;
  const after = snapshot.settledAfter ?? snapshot.endTime;
  return after === null || snapshot.stepsReadAt >= after;
}

/**
 * The view of an ended execution as its snapshot has it, or null while it runs. An ended execution
 * cannot change any more (only a step SSM shows late can still appear), so a cycle that waits for
 * it to settle need not ask SSM for it again.
 */
export function endedViewOf(snapshot: ExecutionSnapshot): ExecutionView | null {
  if (!isTerminal(snapshot.status)) return null;
  return {
    executionId: snapshot.executionId,
    documentName: snapshot.documentName,
    documentVersion: snapshot.documentVersion,
    status: snapshot.status,
    parentExecutionId: snapshot.parentExecutionId,
    startTime: snapshot.startTime,
    endTime: snapshot.endTime,
    failureMessage: null,
    // The alarms it raised are in the snapshot already; none is new.
    triggeredAlarms: [],
  };
}

/**
 * Whether an execution's steps need reading at all: not when its final status is stored and it is
 * settled ({@link isSettled}), and SSM shows no later end.
 */
export function needsStepRead(previous: ExecutionState | null, execution: ExecutionView): boolean {
  if (!previous) return true;
  const stored = previous.execution;
  // A listing under way, names held back or a status not announced yet: the read is not over.
  if (stored.listing || (stored.heldNames?.length ?? 0) > 0 || stored.announced === false) return true;
  if (stored.status !== execution.status || !isTerminal(execution.status)) return true;
  if (!isSettled(stored)) return true;
  return execution.endTime !== null && (stored.stepsReadAt ?? '') < execution.endTime;
}

/**
 * Whether a step is listed but has not started: SSM lists future steps up front as `Pending`
 * without a start time. Such a step sends no event until it starts.
 */
export function isNotStarted(step: { readonly status: string; readonly startTime: string | null }): boolean {
  return step.status === 'Pending' && step.startTime === null;
}

/**
 * The key of a not-started step SSM lists without a `StepExecutionId`: its name, which is unique in
 * a runbook. When the step starts it gets its id and takes over this entry. (A step inside a loop is
 * kept under {@link loopPlaceKey} instead, whatever id SSM lists it with.)
 */
export function plannedStepKey(stepName: string): string {
  return `${PLANNED_PREFIX}${stepName}`;
}

/**
 * Whether a key is one {@link plannedStepKey} or {@link loopPlaceKey} made, not an id SSM gave (so no
 * id filter finds it).
 */
export function isPlannedStepKey(key: string): boolean {
  return key.startsWith(PLANNED_PREFIX) || key.startsWith(LOOP_PLACE_PREFIX);
}

/**
 * The key a not-started step inside a loop is kept under: its place in the run, the loop step's name,
 * the iteration and its own name (`ParentStepDetails`), which no other step execution shares; null
 * for a step outside a loop, or one whose `ParentStepDetails` lack the loop's name or iteration.
 *
 * Every iteration repeats the inner steps' names, so a name alone cannot say which planned entry a
 * started iteration takes over; nor can the id SSM lists a not-started step with, which may change
 * when it starts (or be absent). The loop step is named by its name, not its id: a loop step not
 * started yet may itself be listed under an id that changes when it starts.
 */
export function loopPlaceKey(step: Pick<StepView, 'stepName' | 'parentStep'>): string | null {
  const parent = step.parentStep;
  if (parent === null || parent.stepName === null || parent.iteration === null) return null;
  const part = encodeURIComponent;
  return `${LOOP_PLACE_PREFIX}${part(parent.stepName)}/${parent.iteration}/${part(step.stepName)}`;
}

/** Whether a key is one {@link loopPlaceKey} made: a planned entry only its own iteration takes over. */
export function isLoopPlaceKey(key: string): boolean {
  return key.startsWith(LOOP_PLACE_PREFIX);
}

/**
 * The key a step is kept under in the snapshot: a not-started step inside a loop under its place
 * ({@link loopPlaceKey}), any other under the id SSM lists it with. Keys of steps outside loops are
 * what they always were, so snapshots stored before loops had places read as before.
 */
export function snapshotKeyOf(step: StepView): string {
  return (isNotStarted(step) && loopPlaceKey(step)) || step.stepExecutionId;
}

const PLANNED_PREFIX = 'planned:';
const LOOP_PLACE_PREFIX = 'planned-iteration:';

/**
 * Whether a step, as the snapshot has it, can still change while the execution runs: it started and
 * is not terminal. A retried step stays `InProgress` across its attempts (SSM: "the step isn't
 * considered to have failed until all retry attempts have failed"), so a failed step is final.
 */
export function mayStillChange(step: Pick<StepSnapshot, 'status' | 'startTime'>): boolean {
  return !isTerminal(step.status) && !isNotStarted(step);
}

/**
 * Plans the step reads of one execution.
 *
 * The first read of an execution and the read after it ends list every step (the plan, and a
 * reconciliation that catches whatever the window missed). In between, a cycle reads only what can
 * have changed: steps that started since the newest start it knows (less the visibility lag), and
 * the steps still open in the snapshot. Open steps older than that are covered by start-time ranges
 * or by `StepExecutionId` filters, whichever costs fewer calls, estimated from the start times the
 * snapshot knows. No query depends on where SSM sorts steps that have not started, because a
 * start-time filter never returns them.
 */
export function planStepReads(
  previous: ExecutionState | null,
  execution: ExecutionView,
  options: StepPlanOptions,
): StepReadPlan {
  const plan = planQueries(previous, execution, options);
  const held = previous?.execution.heldNames ?? [];
  return held.length === 0
    ? plan
    : { ...plan, queries: [...plan.queries, ...byNames(held)], heldNames: held };
}

/**
 * The rest of a complete listing that ran out of time: its next start-time window. The reader rolls
 * on from window to window (see `lambda/cycle/step-reader.ts`), then lists the steps not started yet.
 */
export function resumeListing(listing: StepListing): StepReadPlan {
  return { complete: true, queries: [], since: listing.since, resume: listing };
}

/** The query of a start-time window: steps started from `from` for `widthMs` (no end: all since). */
export function windowQuery(from: number, widthMs: number | null): StepQuery {
  return {
    startedAfter: isoSecondsFloor(from - MARGIN_MS),
    ...(widthMs !== null && { startedBefore: isoSecondsCeil(from + widthMs + MARGIN_MS) }),
  };
}

/** The query of the steps not started yet, which no start-time window lists. */
export const NOT_STARTED_QUERY: StepQuery = { statuses: ['Pending'] };

/** Queries for the steps of these names, ten names a query. */
export function byNames(names: readonly string[]): StepQuery[] {
  const queries: StepQuery[] = [];
  for (let i = 0; i < names.length; i += FILTER_VALUES_LIMIT) {
    queries.push({ stepNames: names.slice(i, i + FILTER_VALUES_LIMIT) });
  }
  return queries;
}

function planQueries(
  previous: ExecutionState | null,
  execution: ExecutionView,
  options: StepPlanOptions,
): StepReadPlan {
  if (previous?.execution.listing) return resumeListing(previous.execution.listing);
  if (options.strategy === 'full' || !previous || previous.execution.stepsReadAt === null) return EVERYTHING;
  // After the end: one complete read (reconciliation), then, while a step may still show up late,
  // the window again, which then counts as complete: everything older was read after the end.
  const ended = isTerminal(execution.status);
  if (ended && !(execution.endTime !== null && previous.execution.stepsReadAt >= execution.endTime))
    return EVERYTHING;

  const knownStarts: number[] = [];
  const openTimed: { id: string; start: number }[] = [];
  const openUntimed: string[] = [];
  for (const step of previous.steps.values()) {
    const start = step.startTime === null ? Number.NaN : Date.parse(step.startTime);
    if (!Number.isNaN(start)) knownStarts.push(start);
    if (!mayStillChange(step)) continue;
    if (Number.isNaN(start)) openUntimed.push(step.stepExecutionId);
    else openTimed.push({ id: step.stepExecutionId, start });
  }
  knownStarts.sort((a, b) => a - b);
  const newest = knownStarts.at(-1) ?? (execution.startTime ? Date.parse(execution.startTime) : Number.NaN);
  if (Number.isNaN(newest)) return EVERYTHING;

  const tailFrom = newest - options.visibilityLagSeconds * 1000;
  const older = openTimed.filter((s) => s.start < tailFrom).sort((a, b) => a.start - b.start);
  const queries = [...coverOlderAndTail(older, knownStarts, tailFrom), ...byIds(openUntimed)];
  return { complete: ended, queries };
}

/** Queries that fetch exactly these steps, ten ids a query. */
export function byIds(ids: readonly string[]): StepQuery[] {
  const queries: StepQuery[] = [];
  for (let i = 0; i < ids.length; i += FILTER_VALUES_LIMIT) {
    queries.push({ stepExecutionIds: ids.slice(i, i + FILTER_VALUES_LIMIT) });
  }
  return queries;
}

/** Below this margin, SSM's bound inclusiveness and second precision cannot drop a step. */
const MARGIN_MS = 1000;
/** Above this many old open steps, one range from the oldest is planned without searching. */
const SEARCH_LIMIT = 2000;

type Segment =
  | { readonly kind: 'range'; readonly from: number; readonly to: number }
  | { readonly kind: 'ids'; readonly ids: readonly string[] };

/**
 * Covers the open steps older than the tail and the tail itself with the fewest estimated calls:
 * a dynamic programme over the old open steps in start order, each run of them covered by one
 * start-time range, by id filters, or by extending the tail back to its first step.
 */
function coverOlderAndTail(
  older: readonly { id: string; start: number }[],
  knownStarts: readonly number[],
  tailFrom: number,
): StepQuery[] {
  const count = (from: number, to: number): number =>
    upperBound(knownStarts, to + MARGIN_MS) - lowerBound(knownStarts, from - MARGIN_MS);
  const pages = (steps: number): number => Math.max(1, Math.ceil(steps / STEP_PAGE_SIZE));
  const tail = (from: number): StepQuery => ({ startedAfter: isoSecondsFloor(from - MARGIN_MS) });
  const m = older.length;
  if (m === 0) return [tail(tailFrom)];
  const first = older[0] as { start: number };
  if (m > SEARCH_LIMIT) return [tail(first.start)];

  // best[i]: fewest calls covering older[0..i-1] with separate queries; how[i]: the last segment.
  const best: number[] = [0];
  const how: { from: number; segment: Segment }[] = [];
  for (let i = 0; i < m; i++) {
    let cost = Number.POSITIVE_INFINITY;
    let choice: { from: number; segment: Segment } | undefined;
    for (let j = 0; j <= i; j++) {
      const a = older[j] as { start: number };
      const b = older[i] as { start: number };
      const range = pages(count(a.start, b.start));
      const ids = Math.ceil((i - j + 1) / FILTER_VALUES_LIMIT);
      const candidate = (best[j] as number) + Math.min(range, ids);
      if (candidate < cost) {
        cost = candidate;
        choice = {
          from: j,
          segment:
            range <= ids
              ? { kind: 'range', from: a.start, to: b.start }
              : { kind: 'ids', ids: older.slice(j, i + 1).map((s) => s.id) },
        };
      }
    }
    best.push(cost);
    how.push(choice as { from: number; segment: Segment });
  }

  // Either every old step is covered separately and the tail read on its own, or the tail reaches
  // back to the first step of a last run of old steps.
  let total = (best[m] as number) + pages(count(tailFrom, Number.POSITIVE_INFINITY));
  let mergedFrom = m;
  for (let j = 0; j < m; j++) {
    const start = (older[j] as { start: number }).start;
    const merged = (best[j] as number) + pages(count(start, Number.POSITIVE_INFINITY));
    if (merged < total) {
      total = merged;
      mergedFrom = j;
    }
  }
  const segments: Segment[] = [];
  for (let i = mergedFrom; i > 0; ) {
    const step = how[i - 1] as { from: number; segment: Segment };
    segments.unshift(step.segment);
    i = step.from;
  }
  const queries = segments.flatMap((segment): StepQuery[] =>
    segment.kind === 'ids'
      ? byIds(segment.ids)
      : [
          {
            startedAfter: isoSecondsFloor(segment.from - MARGIN_MS),
            startedBefore: isoSecondsCeil(segment.to + MARGIN_MS),
          },
        ],
  );
  const tailStart = mergedFrom < m ? (older[mergedFrom] as { start: number }).start : tailFrom;
  queries.push(tail(tailStart));
  return queries;
}

/** An ISO 8601 time in whole seconds, at or before `ms`: the form SSM's start-time filters take. */
export function isoSecondsFloor(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

function isoSecondsCeil(ms: number): string {
  return `${new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** First index whose value is >= `value` in an ascending array. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > `value` in an ascending array. */
function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
