// Carries out a step-read plan against SSM a few pages at a time, so a long listing is diffed and saved as it goes.
import type { ExecutionSource } from '../core/ports';
import {
  byIds,
  byNames,
  isLoopPlaceKey,
  isNotStarted,
  isPlannedStepKey,
  listsEverything,
  loopPlaceKey,
  mayStillChange,
  NOT_STARTED_QUERY,
  type StepQuery,
  type StepReadPlan,
  snapshotKeyOf,
  windowQuery,
} from '../core/read-plan';
import type { ExecutionState, StepListing, StepView } from '../core/types';

/** What one call of {@link StepReader.next} read. */
export interface StepChunk {
  /** Each step once (by its snapshot key), as the latest page of this chunk that listed it showed it. */
  readonly steps: readonly StepView[];
  readonly pages: number;
  /** Whether the plan, and the reads it calls for at its end, are read to the end. */
  readonly done: boolean;
  /**
   * Names of started steps this chunk held back (see {@link StepReader}); they are read by name at
   * the end of the read, or, when it runs out of time, at the next one.
   */
  readonly heldNames: readonly string[];
}

/** Most names a read holds back; past it, a started step takes a not-started entry of its name as usual. */
const HELD_NAMES_LIMIT = 100;
/** A window so wide it has no end: every step started since its start (SSM keeps 30 days). */
const TAIL_WIDTH_SECONDS = 30 * 86_400;
/** The narrowest start-time window a listing that spans cycles goes on with. */
const MIN_WINDOW_MS = 1000;

/**
 * A start-time window of a listing that goes on from an earlier cycle: the steps started from `from`
 * for `widthMs`, the last one ending where the listing began (`last`).
 */
interface Window {
  readonly from: number;
  readonly widthMs: number;
  /** The window ends where the listing began: after it, only the steps not started are left. */
  readonly last: boolean;
}

/**
 * Reads the steps a plan names, a chunk of pages at a time, so that a long listing (the first read of a
 * 20,000-step execution, the read after its end) is diffed, recorded and saved as it goes instead of
 * being thrown away when time runs out. Within a chunk a step listed twice (SSM's paging may shift when
 * a step starts between two pages) counts as its later sight; a later chunk's sight is newer still.
 *
 * When the plan's queries are done, steps open in the snapshot that no query returned are asked for
 * by id (unless a query listed everything), and names held back are asked for by name.
 *
 * A started step of unknown id, named like a step the snapshot holds as not started, either is that
 * step (its id changed when it started, or SSM listed it without one) or another of the same name (a
 * loop iteration without `ParentStepDetails`). Only a read that also lists the not-started one tells
 * them apart, so a chunk that does not end the read holds such a step back, and the read ends with a
 * `StepName` query for it. What a chunk held back is kept, not dropped: the next chunk of the same
 * read gives it back once its name is told apart (a `StepName` query may itself span chunks), unless
 * it lists the step again, newer. A step inside a loop is never held back: its place (loop,
 * iteration, name) says which planned entry is its own.
 */
export class StepReader {
  readonly #source: ExecutionSource;
  readonly #executionId: string;
  readonly #plan: StepReadPlan;
  readonly #alsoIds: readonly string[];
  readonly #queries: StepQuery[] = [];
  #current: { query: StepQuery; nextToken: string | null } | null = null;
  #stage: 'plan' | 'follow-up' | 'done' = 'plan';
  /** Every step id this read has seen, across chunks. */
  readonly #seen = new Set<string>();
  readonly #held = new Set<string>();
  /** The sights of started steps earlier chunks of this read held back, by id, until their names are told apart. */
  readonly #heldSights = new Map<string, StepView>();
  /** Names a `StepName` query of this read has listed through: their steps are told apart. */
  readonly #resolved = new Set<string>();
  #newestStart: number = Number.NEGATIVE_INFINITY;
  #oldestStart: number = Number.POSITIVE_INFINITY;
  #listedEverything = false;
  #pages = 0;
  readonly #startedAt: string;
  /** The window being read, for a listing that goes on from an earlier cycle; null otherwise. */
  #window: Window | null = null;
  /** The plan's own queries, read once the windows are done (a windowed listing). */
  #afterWindows: StepQuery[] = [];
  readonly #executionStart: number;
  /** Where the last window (the one without end) began, once the windows are done. */
  #tailFrom: number | null = null;

  /**
   * @param plan - the queries, and whether they list every step
   * @param startedAt - when the read begins (ISO): a complete listing is complete as of then
   * @param alsoIds - steps to read by id too, unless a query already returned them
   * @param executionStart - the execution's start (ISO), where a listing cut short goes on from
   */
  constructor(
    source: ExecutionSource,
    executionId: string,
    plan: StepReadPlan,
    startedAt: string,
    alsoIds: readonly string[] = [],
    executionStart: string | null = null,
  ) {
    this.#source = source;
    this.#executionId = executionId;
    this.#plan = plan;
    this.#startedAt = plan.since ?? startedAt;
    this.#alsoIds = alsoIds;
    this.#executionStart = executionStart === null ? Number.NaN : Date.parse(executionStart);
    for (const name of plan.heldNames ?? []) this.#held.add(name);
    if (plan.resume) {
      this.#afterWindows = [...plan.queries];
      this.#openWindow(Date.parse(plan.resume.after), plan.resume.widthSeconds * 1000);
    } else {
      this.#queries.push(...plan.queries);
    }
  }

  /**
   * Queues the window from `from`, ending where the listing began at the latest: the listing is
   * complete as of then, and what started since is the next window read's (a fast-growing execution
   * must not keep its listing from ending). From there on, the steps not started yet.
   */
  #openWindow(from: number, widthMs: number): void {
    const since = Date.parse(this.#startedAt);
    if (from >= since) {
      this.#window = null;
      this.#tailFrom = from;
      this.#queries.push(NOT_STARTED_QUERY, ...this.#afterWindows);
      return;
    }
    const width = Math.min(widthMs, since - from);
    this.#window = { from, widthMs: width, last: from + width >= since };
    this.#queries.push(windowQuery(from, width));
  }

  /** When the steps this read lists were all visible: when it (or the listing it goes on with) began. */
  get startedAt(): string {
    return this.#startedAt;
  }

  /** Whether this read goes on with a listing an earlier cycle began. */
  get resumed(): boolean {
    return this.#plan.since !== undefined;
  }

  /** Pages read so far, all chunks together. */
  get pages(): number {
    return this.#pages;
  }

  /** Whether the plan lists every step (the first read, the read after the end). */
  get complete(): boolean {
    return this.#plan.complete;
  }

  /**
   * Reads on until the read is done, `maxPages` pages were read, or `late()` says time is up (checked
   * before every page but the chunk's first, so each chunk moves on).
   *
   * @param previous - the execution's state as saved after the last chunk
   * @throws {@link ExecutionNotFoundError} when SSM does not know the execution
   */
  async next(maxPages: number, late: () => boolean, previous: ExecutionState | null): Promise<StepChunk> {
    const seen = new Map<string, StepView>();
    let pages = 0;
    while (this.#stage !== 'done') {
      if (this.#current === null) {
        if (this.#window !== null && this.#queries.length === 0) this.#nextWindow();
        const query = this.#queries.shift();
        if (query === undefined) {
          if (this.#stage === 'plan') {
            this.#stage = 'follow-up';
            this.#queries.push(...this.#followUps(previous, seen));
            continue;
          }
          this.#stage = 'done';
          break;
        }
        this.#current = { query, nextToken: null };
      }
      if (pages >= maxPages || (pages > 0 && late())) break;
      const { query, nextToken } = this.#current;
      const page = await this.#source.readStepPage({ executionId: this.#executionId, query, nextToken });
      pages++;
      this.#pages++;
      for (const step of page.steps) {
        // Keyed as the snapshot keeps it: a loop's not-started steps listed without an id are one
        // each by their place, not one per name.
        const key = snapshotKeyOf(step);
        seen.delete(key);
        seen.set(key, step);
        this.#seen.add(step.stepExecutionId);
        if (step.startTime !== null) {
          const start = Date.parse(step.startTime);
          if (start > this.#newestStart) this.#newestStart = start;
          if (start < this.#oldestStart) this.#oldestStart = start;
        }
      }
      if (listsEverything(query) && !page.nextToken) this.#listedEverything = true;
      // A name read through tells a started step from a not-started one of that name: no longer held.
      if (query.stepNames && !page.nextToken) {
        for (const name of query.stepNames) {
          this.#held.delete(name);
          this.#resolved.add(name);
        }
      }
      this.#current = page.nextToken ? { query, nextToken: page.nextToken } : null;
    }
    const done = this.#stage === 'done';
    // What earlier chunks held back comes back unless this chunk lists it again, newer.
    for (const [id, step] of this.#heldSights) if (!seen.has(id)) seen.set(id, step);
    this.#heldSights.clear();
    const steps = done ? [...seen.values()] : this.#holdBack(seen, previous);
    return { steps, pages, done, heldNames: done ? [] : [...this.#held] };
  }

  /**
   * Where a complete listing that did not finish goes on next cycle: it has read every step started
   * before the newest start it saw. Null for a plan that is not a complete listing (a window is
   * planned afresh from the saved snapshot) or one that is done.
   */
  continuation(): StepListing | null {
    if (!this.#plan.complete || this.#stage === 'done') return null;
    const window = this.#window;
    if (window !== null) {
      // Cut inside a window: the same start, half as wide; between windows: the next one as planned.
      // A window query set up but not read yet is not cut: the chunk stopped between windows.
      const cut = this.#current !== null && this.#current.nextToken !== null;
      const width = window.widthMs;
      return {
        since: this.#startedAt,
        after: new Date(window.from).toISOString(),
        widthSeconds: Math.max(MIN_WINDOW_MS, cut ? width / 2 : width) / 1000,
      };
    }
    // Every window was read through: next time only what comes after them.
    if (this.#tailFrom !== null) {
      return { since: this.#startedAt, after: this.#startedAt, widthSeconds: TAIL_WIDTH_SECONDS };
    }
    // A listing in SSM's order, cut short: that order is by start time ("list step executions in
    // reverse order by start time", ReverseOrder's documentation, with false as the default), so
    // every step started before the newest start it read has been listed; it goes on from there, by
    // windows up to where it began, the first as wide as the span this read covered (about what the
    // next slice reads). Where SSM puts the steps not started is not documented: they are read last
    // by their own query either way.
    const since = Date.parse(this.#startedAt);
    if (!Number.isFinite(this.#newestStart)) {
      const from = Number.isNaN(this.#executionStart) ? since : this.#executionStart;
      return {
        since: this.#startedAt,
        after: new Date(from).toISOString(),
        widthSeconds: Math.max(MIN_WINDOW_MS, since - from) / 1000,
      };
    }
    const span = this.#newestStart - this.#oldestStart;
    return {
      since: this.#startedAt,
      after: new Date(this.#newestStart).toISOString(),
      widthSeconds: Math.max(MIN_WINDOW_MS, span) / 1000,
    };
  }

  /**
   * After a window is read to its end: the next one, twice as wide (or, after the last, the steps
   * not started yet and the plan's own queries).
   */
  #nextWindow(): void {
    const window = this.#window as Window;
    if (window.last) {
      this.#window = null;
      this.#tailFrom = window.from;
      this.#queries.push(NOT_STARTED_QUERY, ...this.#afterWindows);
      return;
    }
    this.#openWindow(window.from + window.widthMs, 2 * window.widthMs);
  }

  /** What the plan's queries cannot show: open steps they did not return, and names held back. */
  #followUps(previous: ExecutionState | null, lastChunk: ReadonlyMap<string, StepView>): StepQuery[] {
    const unseen = new Set(this.#alsoIds.filter((id) => !this.#seen.has(id) && !isPlannedStepKey(id)));
    const listedAll = this.#listedEverything || this.#plan.queries.some(listsEverything);
    if (!listedAll && previous) {
      for (const step of previous.steps.values()) {
        if (mayStillChange(step) && !this.#seen.has(step.stepExecutionId)) unseen.add(step.stepExecutionId);
      }
    }
    const names = new Set(this.#held);
    if (!listedAll && previous) for (const name of ambiguousNames(previous, lastChunk)) names.add(name);
    return [...byIds([...unseen]), ...byNames([...names])];
  }

  /**
   * The steps of a chunk that does not end the read, less the started steps of unknown id named like
   * a step the snapshot holds as not started that this chunk does not list as not started (which
   * would tell them apart): those wait for the `StepName` query at the end of the read, kept for the
   * chunk that reads it.
   */
  #holdBack(seen: ReadonlyMap<string, StepView>, previous: ExecutionState | null): StepView[] {
    if (!previous) return [...seen.values()];
    const listedNotStarted = new Set<string>();
    for (const step of seen.values()) if (isNotStarted(step)) listedNotStarted.add(snapshotKeyOf(step));
    const plannedNames = notStartedNames(previous, listedNotStarted);
    const kept: StepView[] = [];
    for (const step of seen.values()) {
      const ambiguous =
        isNewStarted(step, previous) &&
        plannedNames.has(step.stepName) &&
        !this.#resolved.has(step.stepName) &&
        (this.#held.has(step.stepName) || this.#held.size < HELD_NAMES_LIMIT);
      if (ambiguous) {
        this.#held.add(step.stepName);
        this.#heldSights.set(step.stepExecutionId, step);
      } else kept.push(step);
    }
    return kept;
  }
}

/** Names of started steps this read found with an unknown id, of which the snapshot holds a not-started step. */
function ambiguousNames(previous: ExecutionState, seen: ReadonlyMap<string, StepView>): string[] {
  const plannedNames = notStartedNames(previous);
  const names = new Set<string>();
  for (const step of seen.values()) {
    if (isNewStarted(step, previous) && plannedNames.has(step.stepName)) names.add(step.stepName);
  }
  return [...names];
}

/**
 * Names of the steps the snapshot holds as not started, less those with a key in `except` and those
 * kept under their place in a loop (only their own iteration takes them over).
 */
function notStartedNames(previous: ExecutionState, except: ReadonlySet<string> = new Set()): Set<string> {
  const names = new Set<string>();
  for (const [key, step] of previous.steps) {
    if (isNotStarted(step) && !except.has(key) && !isLoopPlaceKey(key)) names.add(step.stepName);
  }
  return names;
}

/**
 * Whether a step has started, the snapshot does not know its id, and it has no place in a loop that
 * would say which planned entry is its own.
 */
function isNewStarted(step: StepView, previous: ExecutionState): boolean {
  return !isNotStarted(step) && !previous.steps.has(step.stepExecutionId) && loopPlaceKey(step) === null;
}
