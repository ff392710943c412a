// The ports the poll cycle needs (adapters in lambda/adapters implement them), its logger and its clock.
import type { OrgAccount, OrganizationScope } from './organization';
import type { StepQuery } from './read-plan';
import type { ExecutionSnapshot, ExecutionState, ExecutionView, OutboxEvent, StepView } from './types';

/** One page of step executions. */
export interface StepPage {
  readonly steps: readonly StepView[];
  readonly nextToken: string | null;
}

/** One page of an execution listing. */
export interface ExecutionPage {
  readonly executions: readonly ExecutionView[];
  readonly nextToken: string | null;
}

/** Options for reading one page of the executions started in a time window. */
export interface StartedPageRequest {
  /** ISO: only executions started after it. */
  readonly after: string;
  /** ISO: only executions started before it; null for no upper bound. */
  readonly before: string | null;
  readonly nextToken: string | null;
}

/** Options for reading one page of an execution's steps. */
export interface StepPageRequest {
  readonly executionId: string;
  /** The filters of the listing; SSM's forward order (by start time, not-started steps last). */
  readonly query: StepQuery;
  readonly nextToken: string | null;
}

/**
 * A record SSM returned that the cycle cannot use (no id, no status): it is skipped, and reported
 * once, by its fingerprint.
 */
export interface UnreadableRecord {
  readonly operation: string;
  readonly reason: string;
  readonly executionId: string | null;
  /** Stable across cycles for the same record, so a record is reported once, not every cycle. */
  readonly fingerprint: string;
}

/**
 * Where executions and their steps are read from (SSM). Every method pages internally except
 * `readStepPage`.
 */
export interface ExecutionSource {
  /** Executions in any non-terminal status (child executions may be left out: see `describeExecutions`). */
  listInFlight(): Promise<ExecutionView[]>;
  /**
   * One page of the executions that started after `request.after` and, when given, before
   * `request.before` (ISO), whatever their status (children may be left out). In no documented order.
   */
  listStartedPage(request: StartedPageRequest): Promise<ExecutionPage>;
  /** The executions with these ids; ids SSM no longer knows are absent from the result. */
  describeExecutions(executionIds: readonly string[]): Promise<ExecutionView[]>;
  /**
   * One page (at most 50) of an execution's steps.
   * @throws {@link ExecutionNotFoundError} when SSM does not know the execution (its history expired)
   */
  readStepPage(request: StepPageRequest): Promise<StepPage>;
  /** The records skipped since the last call. */
  takeUnreadable(): Promise<UnreadableRecord[]>;
}

/** An execution a parent names, with what the parent's step tells of it. */
export type NamedExecution = Pick<TrackedExecution, 'executionId' | 'parentExecutionId' | 'startTime'>;

/** The poller's own state for one shard. */
export interface PollerState {
  /** Start-time watermark (ISO) of the last complete cycle; null before the first. */
  readonly watermark: string | null;
  /** Executions the last cycle could not reach, served first next time (at most {@link CURSOR_LIMIT}). */
  readonly cursor: readonly string[];
  /**
   * While a backlog drains (ISO): where the started-since listing begins instead of the watermark
   * (less the overlap); everything that started before it has been listed and served. Absent or null
   * when caught up.
   */
  readonly backlogFrom?: string | null;
  /**
   * While a backlog drains: the width (seconds) of the start-time window a cycle lists from
   * `backlogFrom`, halved when a window is not listed and served in one cycle, doubled when it is.
   * Absent or null when caught up (the window reaches the cycle's start).
   */
  readonly backlogWindowSeconds?: number | null;
  /** When a cycle last served every execution (ISO); the bound on staleness. */
  readonly lastCompleteAt: string | null;
  /**
   * Until when (ISO) a cycle holds the shard's lease, so that only one poller of a shard runs at a
   * time; absent or null when free. Saving the state without it releases the lease.
   */
  readonly leaseUntil?: string | null;
  /**
   * Fingerprints of unreadable SSM records already reported, so each is logged once; empty when
   * none (or when the stored state has none).
   */
  readonly reportedRecords: readonly string[];
  readonly version: number;
}

/** Most execution ids the poller state keeps in its cursor, so the item stays far below 400 KB. */
export const CURSOR_LIMIT = 1000;

/** An execution tracked as in flight in the store. */
export interface TrackedExecution {
  readonly executionId: string;
  /** When its snapshot was last written while in flight (ISO). */
  readonly trackedAt: string;
  /** Its parent execution (ParentAutomationExecutionId), or null for a top-level one. */
  readonly parentExecutionId: string | null;
  /** When it started (ISO), or null when its snapshot has no start time. */
  readonly startTime: string | null;
  /** Its stored snapshot, when readable: an ended one need not be asked of SSM again. */
  readonly snapshot?: ExecutionSnapshot;
}

/** Result of recording events in the outbox. */
export interface RecordResult {
  /** Events this poller recorded first and must now send. */
  readonly claimed: readonly OutboxEvent[];
  /** Events already recorded (by a crashed earlier cycle or a rival poller). */
  readonly alreadyRecorded: readonly OutboxEvent[];
}

/** Where snapshots, the outbox and the poller state live (DynamoDB). */
export interface SnapshotStore {
  loadPollerState(shard: string): Promise<PollerState>;
  /**
   * Saves the poller state if its version is still `expected.version`; false when a rival moved it.
   * `reportedRecords` left out keeps `expected.reportedRecords`.
   */
  savePollerState(
    shard: string,
    state: Omit<PollerState, 'version' | 'reportedRecords'> & Partial<Pick<PollerState, 'reportedRecords'>>,
    expected: PollerState,
  ): Promise<boolean>;
  /** Executions tracked as in flight, in no particular order (the cycle orders them). */
  listTracked(shard: string): Promise<TrackedExecution[]>;
  /** Stops tracking an execution as in flight (its snapshot and history stay). */
  untrack(executionId: string): Promise<void>;
  /**
   * Tracks executions a parent's steps name that were never recorded (a child SSM may list only on
   * request), before the parent's snapshot moves past the steps that name them: whatever happens to
   * the cycle that saw them named, `listTracked` gives them (without snapshot) until their first
   * snapshot is saved or they are untracked.
   */
  watchNamed(shard: string, executions: readonly NamedExecution[]): Promise<void>;
  /** Which of these executions have a snapshot (were ever recorded), whatever their status. */
  knownExecutions(executionIds: readonly string[]): Promise<Set<string>>;
  /** An execution's snapshot and its steps' snapshots, or null when never seen. */
  loadExecution(executionId: string): Promise<ExecutionState | null>;
  /** Records events with a conditional write keyed by event id. */
  recordEvents(shard: string, events: readonly OutboxEvent[]): Promise<RecordResult>;
  /** Events recorded but not yet sent, oldest first. */
  listPending(shard: string): Promise<OutboxEvent[]>;
  /** Marks events as sent; they leave the pending index. */
  markSent(events: readonly OutboxEvent[], sentAt: string): Promise<void>;
  /**
   * Writes the step snapshots that changed, then the execution's new snapshot if its version is still
   * `expectedVersion` (null: must not exist yet). False when a rival wrote the execution first. Steps
   * go first so that a save dying half-way leaves them ahead of the execution, never behind it.
   *
   * A step execution id in `changedSteps` that is absent from `next.steps` is deleted: its snapshot
   * was superseded (a step kept while not started, whose id changed when it started).
   */
  saveExecution(
    shard: string,
    next: ExecutionState,
    changedSteps: readonly string[],
    expectedVersion: number | null,
  ): Promise<boolean>;
}

/**
 * Where a hinted invocation hands its execution ids to the cycle that holds the shard's lease, so a
 * hint is read within a second by the cycle already running rather than after it (one item per
 * shard beside the poller state). A holder opens it while it reads, takes what was handed to it at
 * most once a second and serves those executions next, and closes it before it publishes, only
 * once it is empty. Ids handed over while it is closed (`park`) wait for the next holder, which takes
 * them as soon as it opens it. Losing ids here costs latency only: the schedule reads every
 * execution anyway.
 */
export interface HintInbox {
  /** Opens the inbox to hand-offs until `until` (epoch ms), when the holder stops reading for sure. */
  open(shard: string, until: number): Promise<void>;
  /** Adds ids if a holder has the inbox open at `now` (epoch ms); false when none does. */
  handOff(shard: string, executionIds: readonly string[], now: number): Promise<boolean>;
  /** Adds ids whether or not the inbox is open: the next holder takes them when it opens it. */
  park(shard: string, executionIds: readonly string[]): Promise<void>;
  /** Removes and returns the ids waiting (exactly those it read, so none added meanwhile is lost). */
  take(shard: string): Promise<string[]>;
  /** Closes the inbox if no id waits; false when ids wait (take and serve them, then close again). */
  close(shard: string): Promise<boolean>;
  /** Closes the inbox whatever waits: a holder out of time leaves the ids to the next one. */
  forceClose(shard: string): Promise<void>;
}

/** A failed entry of one PutEvents call. */
export interface PublishFailure {
  readonly eventId: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** Where events go (EventBridge). */
export interface EventPublisher {
  /** Sends at most 10 events in one call; returns the entries that failed. */
  publishBatch(events: readonly OutboxEvent[]): Promise<readonly PublishFailure[]>;
}

/** What the cycle logs through; Powertools' Logger fits. */
export interface CycleLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** The ports the cycle works through, and its clock. */
export interface PollCycleDeps {
  readonly source: ExecutionSource;
  readonly store: SnapshotStore;
  readonly publisher: EventPublisher;
  /** Current time in epoch ms. */
  readonly now: () => number;
  /** Waits between PutEvents retries and between looks at a lease another poller holds. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly logger?: CycleLogger;
  /**
   * The shard's hint inbox; a cycle that holds the lease serves the ids handed to it. @default none:
   * hints are not handed over, every hinted invocation waits for the lease
   */
  readonly inbox?: HintInbox;
  /**
   * Where a cycle holding the lease reads what hints hand it: the same SSM, paced first by tokens of
   * its own (the runtime gives it half the queue's rate on top), then by the queue's, so a hinted
   * read takes a queued execution's place only when its own tokens are spent.
   * @default `source`
   */
  readonly hintSource?: ExecutionSource;
}

/** Where the accounts of an Organization are listed (AWS Organizations). */
export interface AccountSource {
  /**
   * Every account of the Organization, or of the scope's OUs (at any depth) when it names some, in
   * any state; pages internally.
   */
  listAccounts(scope: OrganizationScope): Promise<OrgAccount[]>;
  /** The Organization's management account (which service-managed StackSets never deploy to). */
  managementAccount(): Promise<string>;
}
