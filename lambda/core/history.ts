// The audit trail as its readers (`step-watch history`, `executions`) see it: the HistoryReader port, its records and their order.
import type { EventDetail } from './events';
import { isNotStarted, isPlannedStepKey } from './read-plan';
import { DETAIL_TYPES, type ExecutionView, type StepSnapshot } from './types';

/** What a transition is about. */
export type TransitionKind = 'step' | 'alarm' | 'execution' | 'unknown';

/** One recorded transition with its detail parsed: a row of the audit trail. */
export interface TransitionRecord {
  readonly eventId: string;
  readonly executionId: string;
  /** One of the three detail types, or whatever string was stored. */
  readonly detailType: string;
  /** `step`, `alarm` or `execution`, from the detail type; `unknown` for a detail type we do not know. */
  readonly kind: TransitionKind;
  /** When the poller first observed the transition (ISO 8601 UTC). */
  readonly observedAt: string;
  /** Order within the poll cycle that observed it. */
  readonly sequence: number;
  readonly stepExecutionId: string | null;
  /** When it was sent to EventBridge (ISO), or null while it waits in the outbox. */
  readonly sentAt: string | null;
  /** 0 for the execution asked for, 1 for its children, and so on. */
  readonly depth: number;
  /** The event detail exactly as it was (or will be) published. */
  readonly detail: EventDetail;
}

/** An execution as the store knows it, with counts for listings. */
export interface ExecutionListing
  extends Pick<
    ExecutionView,
    | 'executionId'
    | 'documentName'
    | 'documentVersion'
    | 'status'
    | 'parentExecutionId'
    | 'startTime'
    | 'endTime'
  > {
  /**
   * Steps whose last known status is a failure-like one (`failedSteps` of the snapshot); a step
   * that failed and then succeeded on retry is not counted. Null when the snapshot has no count.
   */
  readonly failedSteps: number | null;
  /** Every alarm raised, execution and step level (`alarmCount` of the snapshot); null without one. */
  readonly alarms: number | null;
  /**
   * The AWS account SSM ran the execution in: that of the shard whose poller recorded it (its
   * snapshot's `account#region` shard key); null when the snapshot names no readable shard.
   */
  readonly account: string | null;
  /** The region SSM ran the execution in, from the same shard key as `account`; null when unknown. */
  readonly region: string | null;
}

/**
 * A step SSM listed for an execution that had not started when the poller last read the execution's
 * steps (status `Pending`, no start time). It sent no event; once the execution has ended it is a
 * step that never ran (a branch not taken, a step after a failure or a cancel).
 */
export interface NotStartedStep {
  readonly executionId: string;
  /** The step's `StepExecutionId`; null when SSM listed the step without one. */
  readonly stepExecutionId: string | null;
  readonly stepName: string;
  /** The status SSM showed: `Pending`. */
  readonly status: string;
}

/** Filters of {@link HistoryReader.executions}. */
export interface ExecutionFilter {
  /** Only executions that started at or after this time. @default every execution */
  readonly since?: Date;
  /** Only executions in exactly one of these statuses (an empty list: any). @default any status */
  readonly statuses?: readonly string[];
  /** Only executions without a parent (`parentExecutionId`). @default false: children too */
  readonly rootsOnly?: boolean;
  /** Only executions of documents whose name starts with this. @default any document */
  readonly documentPrefix?: string;
}

/**
 * Where the audit trail is read from (the table the poller writes). Records come back typed, never
 * as stored items; what cannot be read is left out (the adapter reports it).
 *
 * @example
 * ```ts
 * for await (const record of reader.transitions(executionId)) console.log(record.kind, record.detail.step?.status);
 * ```
 */
export interface HistoryReader {
  /**
   * The transitions of an execution, ordered by {@link compareTransitions}, followed by those of each
   * child execution (oldest child first), recursively and depth first. Yields nothing for an
   * execution the table does not know; see {@link HistoryReader.exists}.
   */
  transitions(executionId: string): AsyncIterable<TransitionRecord>;
  /** The execution's snapshot as a listing, or null when there is none. */
  execution(executionId: string): Promise<ExecutionListing | null>;
  /**
   * Whether the table knows the execution: it has a snapshot or at least one transition (a poller
   * that died between recording and saving leaves transitions without a snapshot).
   */
  exists(executionId: string): Promise<boolean>;
  /** The executions the table knows, newest first, filtered. */
  executions(filter?: ExecutionFilter): AsyncIterable<ExecutionListing>;
  /**
   * The steps of one execution (not of its children) that had not started when its steps were last
   * read, by step name (the table does not keep the runbook's order). Empty for an execution the
   * table does not know.
   */
  notStartedSteps(executionId: string): Promise<NotStartedStep[]>;
}

/**
 * The not-started step a step snapshot describes, or null for a step that started. The snapshot of
 * a step SSM listed without an id, or of a loop iteration's step, is kept under a key we made
 * ({@link isPlannedStepKey}); its id is null.
 */
export function notStartedStepOf(executionId: string, snapshot: StepSnapshot): NotStartedStep | null {
  if (!isNotStarted(snapshot)) return null;
  return {
    executionId,
    stepExecutionId: isPlannedStepKey(snapshot.stepExecutionId) ? null : snapshot.stepExecutionId,
    stepName: snapshot.stepName,
    status: snapshot.status,
  };
}

/** Orders not-started steps by step name, then step execution id (null first). */
export function compareNotStarted(a: NotStartedStep, b: NotStartedStep): number {
  if (a.stepName !== b.stepName) return a.stepName < b.stepName ? -1 : 1;
  if (a.stepExecutionId === b.stepExecutionId) return 0;
  if (a.stepExecutionId === null) return -1;
  if (b.stepExecutionId === null) return 1;
  return a.stepExecutionId < b.stepExecutionId ? -1 : 1;
}

const KIND_OF: ReadonlyMap<string, TransitionKind> = new Map([
  [DETAIL_TYPES.step, 'step'],
  [DETAIL_TYPES.alarm, 'alarm'],
  [DETAIL_TYPES.execution, 'execution'],
]);

/** What a transition of this detail type is about; `unknown` for a detail type we do not know. */
export function transitionKindOf(detailType: string): TransitionKind {
  return KIND_OF.get(detailType) ?? 'unknown';
}

/**
 * Order of an execution's transitions: by `observedAt` (as instants; an unparsable time sorts
 * last), then by `sequence` within the cycle, then by `eventId` so equal keys sort the same way
 * every time.
 */
export function compareTransitions(
  a: Pick<TransitionRecord, 'observedAt' | 'sequence' | 'eventId'>,
  b: Pick<TransitionRecord, 'observedAt' | 'sequence' | 'eventId'>,
): number {
  const ta = Date.parse(a.observedAt);
  const tb = Date.parse(b.observedAt);
  const byTime =
    Number.isNaN(ta) || Number.isNaN(tb)
      ? Number(Number.isNaN(ta)) - Number(Number.isNaN(tb)) || a.observedAt.localeCompare(b.observedAt)
      : ta - tb;
  if (byTime !== 0) return byTime;
  if (a.sequence !== b.sequence) return a.sequence - b.sequence;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}
