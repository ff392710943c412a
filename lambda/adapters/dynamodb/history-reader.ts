// Reads the audit trail back out of the table: an execution tree's transitions, and the executions it knows.
import type { EventDetail, StepDetail } from '../../core/events';
import { DETAIL_TYPES, type ExecutionView } from '../../core/types';
import { INDEX } from './schema';
import { type DynamoSnapshotStore, KEYS, readTransition } from './snapshot-store';

type Item = Record<string, unknown>;

/** Why an item was skipped, with its key; the item is then left out of the results. */
export type CorruptItemHandler = (key: { pk: unknown; sk: unknown }, reason: string) => void;

/** Options of {@link HistoryReader}. */
export interface HistoryReaderOptions {
  /** Called for each stored item that cannot be read (corrupt or foreign); reading goes on. @default ignore */
  readonly onCorruptItem?: CorruptItemHandler;
  /** Called after each item read from the table with the running total, for progress displays. @default none */
  readonly onProgress?: (itemsRead: number) => void;
  /** How deep child executions are followed below the one asked for. @default 8 */
  readonly maxDepth?: number;
}

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

/** What a transition is about. */
export type TransitionKind = 'step' | 'alarm' | 'execution' | 'unknown';

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
}

/** Filters of {@link HistoryReader.executions}. */
export interface ExecutionFilter {
  /** Only executions that started at or after this time. @default every execution */
  readonly since?: Date;
  /** Only executions in exactly this status. @default any status */
  readonly status?: string;
  /** Only executions of documents whose name starts with this. @default any document */
  readonly documentPrefix?: string;
}

const KIND_OF: Readonly<Record<string, TransitionKind>> = {
  [DETAIL_TYPES.step]: 'step',
  [DETAIL_TYPES.alarm]: 'alarm',
  [DETAIL_TYPES.execution]: 'execution',
};

/**
 * Reads history through the same {@link DynamoSnapshotStore} the poller writes with. Every read
 * streams a Query page by page; only one execution's transitions are held at a time (to sort them).
 *
 * @example
 * ```ts
 * const reader = new HistoryReader(new DynamoSnapshotStore({ tableName: 'step-watch' }));
 * for await (const record of reader.transitions(executionId)) console.log(record.kind, record.detail.step?.status);
 * ```
 */
export class HistoryReader {
  readonly #store: DynamoSnapshotStore;
  readonly #onCorrupt: CorruptItemHandler;
  readonly #onProgress: (itemsRead: number) => void;
  readonly #maxDepth: number;
  #itemsRead = 0;

  constructor(store: DynamoSnapshotStore, options: HistoryReaderOptions = {}) {
    this.#store = store;
    this.#onCorrupt = options.onCorruptItem ?? (() => {});
    this.#onProgress = options.onProgress ?? (() => {});
    this.#maxDepth = options.maxDepth ?? 8;
  }

  /** Items read from the table so far by this reader. */
  get itemsRead(): number {
    return this.#itemsRead;
  }

  /**
   * The transitions of an execution, ordered by `observedAt` then `sequence`, followed by those of
   * each child execution (byParent index, oldest child first), recursively and depth first.
   * Yields nothing for an execution the table does not know; see {@link HistoryReader.exists}.
   */
  async *transitions(executionId: string): AsyncGenerator<TransitionRecord> {
    yield* this.#tree(executionId, 0, new Set());
  }

  /** The execution's snapshot as a listing, or null when there is none. */
  async execution(executionId: string): Promise<ExecutionListing | null> {
    for await (const item of this.#query({
      KeyConditionExpression: 'pk = :pk AND sk = :sk',
      ExpressionAttributeValues: { ':pk': KEYS.execution(executionId), ':sk': KEYS.executionState },
    })) {
      const listing = this.#listingOf(item);
      if (listing) return listing;
    }
    return null;
  }

  /**
   * Whether the table knows the execution: it has a snapshot or at least one transition (a poller
   * that died between recording and saving leaves transitions without a snapshot).
   */
  async exists(executionId: string): Promise<boolean> {
    if (await this.execution(executionId)) return true;
    for await (const _ of this.#query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': KEYS.execution(executionId), ':prefix': KEYS.transitionPrefix },
      Limit: 1,
    })) {
      return true;
    }
    return false;
  }

  /**
   * The executions the table knows, newest first (byStart index), filtered on the server.
   */
  async *executions(filter: ExecutionFilter = {}): AsyncGenerator<ExecutionListing> {
    const values: Record<string, unknown> = { ':s': KEYS.listShard };
    const names: Record<string, string> = {};
    const filters: string[] = [];
    if (filter.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = filter.status;
      filters.push('#status = :status');
    }
    if (filter.documentPrefix !== undefined && filter.documentPrefix !== '') {
      values[':doc'] = filter.documentPrefix;
      filters.push('begins_with(documentName, :doc)');
    }
    if (filter.since !== undefined) values[':since'] = filter.since.toISOString();
    for await (const item of this.#query({
      IndexName: INDEX.byStart,
      KeyConditionExpression: `listShard = :s${filter.since === undefined ? '' : ' AND startTime >= :since'}`,
      ExpressionAttributeValues: values,
      ...(filters.length > 0 && { FilterExpression: filters.join(' AND ') }),
      ...(Object.keys(names).length > 0 && { ExpressionAttributeNames: names }),
      ScanIndexForward: false,
    })) {
      const listing = this.#listingOf(item);
      if (listing) yield listing;
    }
  }

  async *#tree(executionId: string, depth: number, seen: Set<string>): AsyncGenerator<TransitionRecord> {
    // A parent link that loops (corrupt data) must not loop the reader.
    if (seen.has(executionId)) return;
    seen.add(executionId);

    const records: TransitionRecord[] = [];
    for await (const item of this.#query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': KEYS.execution(executionId), ':prefix': KEYS.transitionPrefix },
    })) {
      const record = this.#recordOf(item, depth);
      if (record) records.push(record);
    }
    records.sort(compareTransitions);
    yield* records;

    if (depth >= this.#maxDepth) return;
    const children: string[] = [];
    for await (const item of this.#query({
      IndexName: INDEX.byParent,
      KeyConditionExpression: 'parentExecutionId = :p',
      ExpressionAttributeValues: { ':p': executionId },
      ProjectionExpression: 'pk, sk, executionId',
    })) {
      if (typeof item.executionId === 'string') children.push(item.executionId);
      else this.#onCorrupt({ pk: item.pk, sk: item.sk }, 'child execution snapshot without executionId');
    }
    for (const child of children) yield* this.#tree(child, depth + 1, seen);
  }

  #recordOf(item: Item, depth: number): TransitionRecord | null {
    const event = readTransition(item);
    if (!event) {
      this.#onCorrupt(
        { pk: item.pk, sk: item.sk },
        'transition without eventId, executionId, detailType or detail',
      );
      return null;
    }
    const detail = parseDetail(event.detail);
    if (typeof detail === 'string') {
      this.#onCorrupt({ pk: item.pk, sk: item.sk }, detail);
      return null;
    }
    return {
      eventId: event.eventId,
      executionId: event.executionId,
      detailType: event.detailType,
      kind: KIND_OF[event.detailType] ?? 'unknown',
      observedAt: event.observedAt || detail.observedAt,
      sequence: event.sequence,
      stepExecutionId: event.stepExecutionId ?? detail.step?.stepExecutionId ?? null,
      sentAt: typeof item.sentAt === 'string' ? item.sentAt : null,
      depth,
      detail,
    };
  }

  #listingOf(item: Item): ExecutionListing | null {
    if (typeof item.executionId !== 'string' || typeof item.status !== 'string') {
      this.#onCorrupt({ pk: item.pk, sk: item.sk }, 'execution snapshot without executionId or status');
      return null;
    }
    return {
      executionId: item.executionId,
      documentName: typeof item.documentName === 'string' ? item.documentName : '',
      documentVersion: typeof item.documentVersion === 'string' ? item.documentVersion : null,
      status: item.status,
      parentExecutionId: typeof item.parentExecutionId === 'string' ? item.parentExecutionId : null,
      startTime: typeof item.startTime === 'string' ? item.startTime : null,
      endTime: typeof item.endTime === 'string' ? item.endTime : null,
      failedSteps: countOf(item.failedSteps),
      alarms: countOf(item.alarmCount),
    };
  }

  async *#query(input: Parameters<DynamoSnapshotStore['query']>[0]): AsyncGenerator<Item> {
    for await (const item of this.#store.query(input)) {
      this.#itemsRead++;
      this.#onProgress(this.#itemsRead);
      yield item;
    }
  }
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

/**
 * Parses a stored detail defensively: the detail, or a reason it cannot be used. Only the fields
 * every detail carries are checked; optional parts are dropped when they have the wrong shape.
 */
export function parseDetail(raw: string): EventDetail | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return 'detail is not valid JSON';
  }
  if (!isRecord(value)) return 'detail is not a JSON object';
  if (typeof value.executionId !== 'string' || typeof value.eventId !== 'string') {
    return 'detail without executionId or eventId';
  }
  const detail: EventDetail = {
    ...(value as unknown as EventDetail),
    documentName: typeof value.documentName === 'string' ? value.documentName : '',
    executionStatus: typeof value.executionStatus === 'string' ? value.executionStatus : '',
    observedAt: typeof value.observedAt === 'string' ? value.observedAt : '',
    parentExecutionId: typeof value.parentExecutionId === 'string' ? value.parentExecutionId : null,
    truncated: Array.isArray(value.truncated) ? value.truncated.filter((t) => typeof t === 'string') : [],
  };
  if ('step' in value) {
    const step = value.step;
    const usable = isRecord(step) && typeof step.stepName === 'string' && typeof step.status === 'string';
    detail.step = usable ? (step as unknown as StepDetail) : null;
  }
  if ('alarm' in value) {
    const alarm = value.alarm;
    if (isRecord(alarm) && typeof alarm.name === 'string' && typeof alarm.state === 'string') {
      detail.alarm = { name: alarm.name, state: alarm.state };
    } else {
      delete detail.alarm;
    }
  }
  return detail;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function countOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}
