// Item ↔ record conversion, in one place: what each item kind of the table holds, and when a stored item cannot be read.
import { UnreadableDetailError } from '../../core/errors';
import { parseEventDetail } from '../../core/events';
import { type ExecutionListing, type TransitionRecord, transitionKindOf } from '../../core/history';
import type { OrgAccount } from '../../core/organization';
import type { NamedExecution, PollerState, TrackedExecution } from '../../core/ports';
import { parseShardKey } from '../../core/shard-key';
import type {
  DetailType,
  ExecutionSnapshot,
  OutboxEvent,
  RecordedTransition,
  StepSnapshot,
} from '../../core/types';
import { KEYS } from './schema';

/** An item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

/**
 * Told about a stored item that cannot be read as what it should be (corrupt or foreign), with its key
 * and why.
 */
export type CorruptItemHandler = (key: { pk: unknown; sk: unknown }, reason: string) => void;

/** The poller-state item of a shard. */
export function pollerStateItem(shard: string, state: Omit<PollerState, 'version'>, version: number): Item {
  return {
    pk: KEYS.poller(shard),
    sk: KEYS.pollerState,
    watermark: state.watermark ?? undefined,
    cursor: [...state.cursor],
    backlogFrom: state.backlogFrom ?? undefined,
    backlogWindowSeconds: state.backlogWindowSeconds ?? undefined,
    reportedRecords: [...state.reportedRecords],
    lastCompleteAt: state.lastCompleteAt ?? undefined,
    leaseUntil: state.leaseUntil ?? undefined,
    version,
  };
}

/**
 * The poller state an item holds; the empty state (version 0) without one. A state whose version is
 * not a number is reported and read as version 0, so the next write replaces it.
 */
export function readPollerState(item: Item | undefined, onCorrupt: CorruptItemHandler): PollerState {
  if (item && typeof item.version !== 'number') {
    onCorrupt(keyOf(item), 'poller state without a numeric version; it will be replaced');
  }
  return {
    watermark: stringOr(item?.watermark, null),
    cursor: stringList(item?.cursor),
    ...(typeof item?.backlogFrom === 'string' && { backlogFrom: item.backlogFrom }),
    ...(typeof item?.backlogWindowSeconds === 'number' && {
      backlogWindowSeconds: item.backlogWindowSeconds,
    }),
    lastCompleteAt: stringOr(item?.lastCompleteAt, null),
    leaseUntil: stringOr(item?.leaseUntil, null),
    reportedRecords: stringList(item?.reportedRecords),
    version: typeof item?.version === 'number' ? item.version : 0,
  };
}

/** The Organization's accounts as one listing found them, and when (ISO). */
export interface AccountList {
  readonly accounts: readonly OrgAccount[];
  readonly listedAt: string;
  /** The Organization's management account, when it was known at listing time. */
  readonly managementAccount?: string;
}

/** The cached account-list item of one listing; it expires (TTL) at `expiresAt` (epoch seconds). */
export function accountListItem(listing: string, list: AccountList, expiresAt: number): Item {
  return {
    pk: KEYS.organization,
    sk: KEYS.accountList(listing),
    accounts: list.accounts.map(({ id, state }) => ({ id, state })),
    listedAt: list.listedAt,
    ...(list.managementAccount !== undefined && { managementAccount: list.managementAccount }),
    expiresAt,
  };
}

/** The account list an item holds; null without an item, or (reported) when unreadable. */
export function readAccountList(item: Item | undefined, onCorrupt: CorruptItemHandler): AccountList | null {
  if (item === undefined) return null;
  const accounts = Array.isArray(item.accounts) ? item.accounts : null;
  const readable = accounts?.every(
    (a: unknown) =>
      typeof a === 'object' &&
      a !== null &&
      typeof (a as Item).id === 'string' &&
      typeof (a as Item).state === 'string',
  );
  if (
    !accounts ||
    !readable ||
    typeof item.listedAt !== 'string' ||
    Number.isNaN(Date.parse(item.listedAt))
  ) {
    onCorrupt(keyOf(item), 'account list without accounts or listedAt; it will be listed again');
    return null;
  }
  return {
    accounts: accounts.map((a: Item) => ({ id: a.id as string, state: a.state as string })),
    listedAt: item.listedAt,
    ...(typeof item.managementAccount === 'string' && { managementAccount: item.managementAccount }),
  };
}

/**
 * The mark that tracks an execution a parent named before it was ever recorded: in the inFlight
 * index (`trackShard`, `trackedAt`) only. Its parent is kept as `namedBy`, not `parentExecutionId`
 * (the byParent key), and it expires with the history if nothing ends it sooner.
 */
export function namedMarkItem(
  shard: string,
  execution: NamedExecution,
  trackedAt: string,
  expiresAt: number,
): Item {
  return {
    pk: KEYS.execution(execution.executionId),
    sk: KEYS.namedMark,
    executionId: execution.executionId,
    namedBy: execution.parentExecutionId ?? undefined,
    namedStart: execution.startTime ?? undefined,
    trackShard: shard,
    trackedAt,
    expiresAt,
  };
}

/** An execution tracked as in flight, from an item of the inFlight index; null when unreadable. */
export function readTracked(item: Item, onCorrupt: CorruptItemHandler): TrackedExecution | null {
  if (typeof item.executionId !== 'string' || typeof item.trackedAt !== 'string') {
    onCorrupt(keyOf(item), 'tracked execution without executionId or trackedAt');
    return null;
  }
  // The index projects the whole item; an unreadable snapshot is reported when it is loaded.
  const snapshot = readExecution(item, () => {});
  return {
    executionId: item.executionId,
    trackedAt: item.trackedAt,
    // A mark a parent's naming left (no snapshot) keeps the parent and start apart from the index keys.
    parentExecutionId: stringOr(item.parentExecutionId, stringOr(item.namedBy, null)),
    startTime: stringOr(item.startTime, stringOr(item.namedStart, null)),
    ...(snapshot && { snapshot }),
  };
}

/** How an execution snapshot is written. */
export interface ExecutionItemOptions {
  readonly version: number;
  /** Whether it is in flight: then it is in the inFlight index and has no TTL. */
  readonly inFlight: boolean;
  /** The write's time (ISO): `updatedAt`, and `trackedAt` while in flight. */
  readonly now: string;
  /** TTL (epoch seconds), used once the execution is no longer in flight. */
  readonly expiresAt: number;
}

/** The execution-snapshot item, in the inFlight (while in flight), byStart and byParent (a child) indexes. */
export function executionItem(
  shard: string,
  execution: ExecutionSnapshot,
  options: ExecutionItemOptions,
): Item {
  const { inFlight } = options;
  return {
    pk: KEYS.execution(execution.executionId),
    sk: KEYS.executionState,
    ...execution,
    alarms: [...execution.alarms],
    listing: execution.listing ?? undefined,
    heldNames: execution.heldNames && execution.heldNames.length > 0 ? [...execution.heldNames] : undefined,
    announced: execution.announced === false ? false : undefined,
    version: options.version,
    shard,
    listShard: KEYS.listShard,
    // Sparse indexes: absent attributes keep the item out of them; an index key is never null.
    startTime: execution.startTime ?? undefined,
    parentExecutionId: execution.parentExecutionId ?? undefined,
    trackShard: inFlight ? shard : undefined,
    trackedAt: inFlight ? options.now : undefined,
    updatedAt: options.now,
    expiresAt: inFlight ? undefined : options.expiresAt,
  };
}

/** The execution snapshot an item holds; null (reported) when unreadable. */
export function readExecution(item: Item, onCorrupt: CorruptItemHandler): ExecutionSnapshot | null {
  const described = describedExecution(item);
  if (!described || typeof item.version !== 'number') {
    onCorrupt(keyOf(item), 'execution snapshot without executionId, status or version');
    return null;
  }
  return {
    ...described,
    transitions: numberOr(item.transitions, 0),
    alarms: stringList(item.alarms),
    alarmsRaised: numberOr(item.alarmsRaised, 0),
    version: item.version,
    stepsReadAt: stringOr(item.stepsReadAt, null),
    settledAfter: stringOr(item.settledAfter, null),
    ...readListingProgress(item),
    failedSteps: numberOr(item.failedSteps, 0),
    alarmCount: numberOr(item.alarmCount, 0),
  };
}

/**
 * The progress fields of an execution snapshot: a step listing under way, names held back, and
 * whether its status was announced. Each is left out when absent, as snapshots written before
 * them have none.
 */
function readListingProgress(item: Item): Pick<ExecutionSnapshot, 'listing' | 'heldNames' | 'announced'> {
  const listing = item.listing as Item | undefined;
  const record = typeof listing === 'object' && listing !== null ? listing : {};
  const since = stringOr(record.since, null);
  const after = stringOr(record.after, null);
  const widthSeconds = record.widthSeconds;
  const names = stringList(item.heldNames);
  return {
    ...(since !== null &&
      after !== null &&
      typeof widthSeconds === 'number' && { listing: { since, after, widthSeconds } }),
    ...(names.length > 0 && { heldNames: names }),
    ...(item.announced === false && { announced: false }),
  };
}

/**
 * An execution snapshot as a listing; null (reported) when unreadable. Its account and region are
 * those of the shard that wrote it (`shard`, `account#region`): null when that is not readable.
 */
export function readListing(item: Item, onCorrupt: CorruptItemHandler): ExecutionListing | null {
  const described = describedExecution(item);
  if (!described) {
    onCorrupt(keyOf(item), 'execution snapshot without executionId or status');
    return null;
  }
  const shard = typeof item.shard === 'string' ? parseShardKey(item.shard) : null;
  return {
    ...described,
    failedSteps: countOr(item.failedSteps, null),
    alarms: countOr(item.alarmCount, null),
    account: shard?.account ?? null,
    region: shard?.region ?? null,
  };
}

/** What an execution snapshot says of the execution as SSM described it; null without id or status. */
function describedExecution(
  item: Item,
): Omit<ExecutionListing, 'failedSteps' | 'alarms' | 'account' | 'region'> | null {
  if (typeof item.executionId !== 'string' || typeof item.status !== 'string') return null;
  return {
    executionId: item.executionId,
    documentName: stringOr(item.documentName, ''),
    documentVersion: stringOr(item.documentVersion, null),
    status: item.status,
    parentExecutionId: stringOr(item.parentExecutionId, null),
    startTime: stringOr(item.startTime, null),
    endTime: stringOr(item.endTime, null),
  };
}

/** The step-snapshot item; `expiresAt` undefined while its execution is in flight. */
export function stepItem(executionId: string, step: StepSnapshot, expiresAt: number | undefined): Item {
  return {
    pk: KEYS.execution(executionId),
    sk: KEYS.stepState(step.stepExecutionId),
    ...step,
    // An index key attribute (startTime keys byStart and byParent) may be absent, never null.
    startTime: step.startTime ?? undefined,
    alarms: [...step.alarms],
    expiresAt,
  };
}

/** The key of a step snapshot, to delete it. */
export function stepKey(executionId: string, stepExecutionId: string): Item {
  return { pk: KEYS.execution(executionId), sk: KEYS.stepState(stepExecutionId) };
}

/** The step snapshot an item holds; null (reported) when unreadable. */
export function readStep(item: Item, onCorrupt: CorruptItemHandler): StepSnapshot | null {
  if (typeof item.stepExecutionId !== 'string' || typeof item.status !== 'string') {
    onCorrupt(keyOf(item), 'step snapshot without stepExecutionId or status');
    return null;
  }
  return {
    stepExecutionId: item.stepExecutionId,
    stepName: stringOr(item.stepName, ''),
    status: item.status,
    startTime: stringOr(item.startTime, null),
    transitions: numberOr(item.transitions, 0),
    alarms: stringList(item.alarms),
    alarmsRaised: numberOr(item.alarmsRaised, 0),
    ...(typeof item.maxAttempts === 'number' && { maxAttempts: item.maxAttempts }),
  };
}

/**
 * The transition item of an outbox event: pending (in the outbox index) until marked sent. Its
 * {@link RecordedTransition} fields are attributes of their own; `recordedAt` is suffixed with the
 * sequence so one cycle's records keep their order in the index.
 */
export function outboxItem(shard: string, event: OutboxEvent, recordedAt: string, expiresAt: number): Item {
  return {
    pk: KEYS.execution(event.executionId),
    sk: KEYS.transition(event.eventId),
    eventId: event.eventId,
    executionId: event.executionId,
    detailType: event.detailType,
    detail: event.detail,
    resources: [...event.resources],
    observedAt: event.observedAt,
    sequence: event.sequence,
    stepExecutionId: event.stepExecutionId ?? undefined,
    ...recordedAttributes(event),
    recordedAt: `${recordedAt}#${String(event.sequence).padStart(8, '0')}`,
    pendingShard: shard,
    expiresAt,
  };
}

/**
 * The outbox event a transition item holds; null (reported) without its eventId, executionId,
 * detailType or detail. An item without usable typed fields — written by a version before they
 * existed, or damaged — is read as `untyped` and given to `onUntyped`: it is still sent, but cannot
 * catch a snapshot up. Its detail is not parsed.
 */
export function readOutbox(
  item: Item,
  onCorrupt: CorruptItemHandler,
  onUntyped: CorruptItemHandler = () => {},
): OutboxEvent | null {
  if (
    typeof item.eventId !== 'string' ||
    typeof item.executionId !== 'string' ||
    typeof item.detail !== 'string' ||
    typeof item.detailType !== 'string'
  ) {
    onCorrupt(keyOf(item), 'transition without eventId, executionId, detailType or detail');
    return null;
  }
  const recorded = readRecorded(item);
  if (recorded.kind === 'untyped') {
    onUntyped(
      keyOf(item),
      item.kind === undefined
        ? 'transition stored without kind and ordinal (by an earlier version)'
        : `transition of kind ${String(item.kind)} without its ordinal or the fields of its kind`,
    );
  }
  return {
    ...recorded,
    eventId: item.eventId,
    executionId: item.executionId,
    detailType: item.detailType as DetailType,
    resources: stringList(item.resources),
    detail: item.detail,
    observedAt: stringOr(item.observedAt, ''),
    sequence: numberOr(item.sequence, 0),
  };
}

/** A transition item as a row of the audit trail, its detail parsed; null (reported) when unreadable. */
export function readTransitionRecord(
  item: Item,
  depth: number,
  onCorrupt: CorruptItemHandler,
): TransitionRecord | null {
  const event = readOutbox(item, onCorrupt);
  if (!event) return null;
  let detail: TransitionRecord['detail'];
  try {
    detail = parseEventDetail(event.detail);
  } catch (error) {
    if (!(error instanceof UnreadableDetailError)) throw error;
    onCorrupt(keyOf(item), error.message);
    return null;
  }
  return {
    eventId: event.eventId,
    executionId: event.executionId,
    detailType: event.detailType,
    kind: transitionKindOf(event.detailType),
    observedAt: event.observedAt || detail.observedAt,
    sequence: event.sequence,
    stepExecutionId: event.stepExecutionId ?? detail.step?.stepExecutionId ?? null,
    sentAt: stringOr(item.sentAt, null),
    depth,
    detail,
  };
}

/** The typed fields of a transition item; absent (null values are not stored) means null. */
function recordedAttributes(recorded: RecordedTransition): Item {
  switch (recorded.kind) {
    case 'step':
      return {
        kind: recorded.kind,
        ordinal: recorded.ordinal,
        stepName: recorded.stepName,
        status: recorded.status,
        previousStatus: recorded.previousStatus ?? undefined,
        // Like a step snapshot's, this startTime may be absent, never null (it keys two indexes).
        startTime: recorded.startTime ?? undefined,
        maxAttempts: recorded.maxAttempts ?? undefined,
      };
    case 'execution':
      return {
        kind: recorded.kind,
        ordinal: recorded.ordinal,
        status: recorded.status,
        previousStatus: recorded.previousStatus ?? undefined,
      };
    case 'alarm':
      return { kind: recorded.kind, ordinal: recorded.ordinal, alarmName: recorded.alarmName };
    case 'untyped':
      return {};
  }
}

function readRecorded(item: Item): RecordedTransition {
  const stepExecutionId = stringOr(item.stepExecutionId, null);
  const ordinal = countOr(item.ordinal, null);
  const status = stringOr(item.status, null);
  if (ordinal === null || !Number.isInteger(ordinal)) return { kind: 'untyped', stepExecutionId };
  if (
    item.kind === 'step' &&
    stepExecutionId !== null &&
    typeof item.stepName === 'string' &&
    status !== null
  ) {
    return {
      kind: 'step',
      ordinal,
      stepExecutionId,
      stepName: item.stepName,
      status,
      previousStatus: stringOr(item.previousStatus, null),
      startTime: stringOr(item.startTime, null),
      maxAttempts: typeof item.maxAttempts === 'number' ? item.maxAttempts : null,
    };
  }
  if (item.kind === 'execution' && status !== null) {
    return {
      kind: 'execution',
      ordinal,
      stepExecutionId: null,
      status,
      previousStatus: stringOr(item.previousStatus, null),
    };
  }
  if (item.kind === 'alarm' && typeof item.alarmName === 'string') {
    return { kind: 'alarm', ordinal, stepExecutionId, alarmName: item.alarmName };
  }
  return { kind: 'untyped', stepExecutionId };
}

function keyOf(item: Item): { pk: unknown; sk: unknown } {
  return { pk: item.pk, sk: item.sk };
}

function stringOr<T extends string | null>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** A count: a finite number not below zero. */
function countOr<T extends number | null>(value: unknown, fallback: T): number | T {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
