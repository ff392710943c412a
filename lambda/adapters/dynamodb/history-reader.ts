// HistoryReader over the table the poller writes: an execution tree's transitions, and the executions it knows.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  compareNotStarted,
  compareTransitions,
  type ExecutionFilter,
  type ExecutionListing,
  type HistoryReader,
  type NotStartedStep,
  notStartedStepOf,
  type TransitionRecord,
} from '../../core/history';
import { type CorruptItemHandler, type Item, readListing, readStep, readTransitionRecord } from './items';
import { INDEX, KEYS } from './schema';
import { DynamoTable, type TableQuery } from './table';

/**
 * What an execution listing reads of a snapshot (see `readListing`): its keys, for reports of an
 * unreadable one, and the index keys the query names.
 */
const LISTING_ATTRIBUTES = [
  'pk',
  'sk',
  'listShard',
  'executionId',
  'documentName',
  'documentVersion',
  'status',
  'parentExecutionId',
  'startTime',
  'endTime',
  'failedSteps',
  'alarmCount',
  'shard',
] as const;

/** Options of {@link DynamoHistoryReader}. */
export interface DynamoHistoryReaderOptions {
  readonly tableName: string;
  /** @default a new DynamoDBClient */
  readonly client?: DynamoDBClient;
  /** Called for each stored item that cannot be read (corrupt or foreign); reading goes on. @default ignore */
  readonly onCorruptItem?: CorruptItemHandler;
  /** Called after each item read from the table with the running total, for progress displays. @default none */
  readonly onProgress?: (itemsRead: number) => void;
  /** How deep child executions are followed below the one asked for. @default 8 */
  readonly maxDepth?: number;
}

/**
 * Reads the audit trail from the table the poller writes with `DynamoSnapshotStore`: transitions,
 * executions, and the step snapshots of steps that have not started. Every read streams a Query
 * page by page; only one execution's transitions are held at a time (to sort them).
 *
 * @example
 * ```ts
 * const reader = new DynamoHistoryReader({ tableName: 'step-watch' });
 * for await (const record of reader.transitions(executionId)) console.log(record.kind, record.detail.step?.status);
 * ```
 */
export class DynamoHistoryReader implements HistoryReader {
  readonly #table: DynamoTable;
  readonly #onCorrupt: CorruptItemHandler;
  readonly #onProgress: (itemsRead: number) => void;
  readonly #maxDepth: number;
  #itemsRead = 0;

  constructor(options: DynamoHistoryReaderOptions) {
    this.#table = new DynamoTable(options);
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
   */
  async *transitions(executionId: string): AsyncGenerator<TransitionRecord> {
    yield* this.#tree(executionId, 0, new Set());
  }

  async execution(executionId: string): Promise<ExecutionListing | null> {
    for await (const item of this.#query({
      KeyConditionExpression: 'pk = :pk AND sk = :sk',
      ExpressionAttributeValues: { ':pk': KEYS.execution(executionId), ':sk': KEYS.executionState },
    })) {
      const listing = readListing(item, this.#onCorrupt);
      if (listing) return listing;
    }
    return null;
  }

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
   * The executions the table knows, newest first (byStart index), filtered on the server. Only the
   * attributes a listing holds are read back, which keeps a page of thousands of snapshots small.
   */
  async *executions(filter: ExecutionFilter = {}): AsyncGenerator<ExecutionListing> {
    const values: Record<string, unknown> = { ':s': KEYS.listShard };
    const names: Record<string, string> = Object.fromEntries(LISTING_ATTRIBUTES.map((a) => [`#${a}`, a]));
    const filters: string[] = [];
    const statuses = [...new Set(filter.statuses ?? [])];
    if (statuses.length > 0) {
      statuses.forEach((status, i) => {
        values[`:status${i}`] = status;
      });
      filters.push(`#status IN (${statuses.map((_, i) => `:status${i}`).join(', ')})`);
    }
    if (filter.documentPrefix !== undefined && filter.documentPrefix !== '') {
      values[':doc'] = filter.documentPrefix;
      filters.push('begins_with(#documentName, :doc)');
    }
    if (filter.rootsOnly === true) filters.push('attribute_not_exists(#parentExecutionId)');
    if (filter.since !== undefined) values[':since'] = filter.since.toISOString();
    for await (const item of this.#query({
      IndexName: INDEX.byStart,
      KeyConditionExpression: `#listShard = :s${filter.since === undefined ? '' : ' AND #startTime >= :since'}`,
      ExpressionAttributeValues: values,
      ExpressionAttributeNames: names,
      ProjectionExpression: LISTING_ATTRIBUTES.map((a) => `#${a}`).join(', '),
      ...(filters.length > 0 && { FilterExpression: filters.join(' AND ') }),
      ScanIndexForward: false,
    })) {
      const listing = readListing(item, this.#onCorrupt);
      if (listing) yield listing;
    }
  }

  /**
   * The execution's not-started steps, from its step snapshots (one Query; a snapshot with a start
   * time is filtered out on the server), by step name.
   */
  async notStartedSteps(executionId: string): Promise<NotStartedStep[]> {
    const steps: NotStartedStep[] = [];
    for await (const item of this.#query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'attribute_not_exists(startTime)',
      ExpressionAttributeValues: { ':pk': KEYS.execution(executionId), ':prefix': KEYS.stepState('') },
    })) {
      const snapshot = readStep(item, this.#onCorrupt);
      const step = snapshot && notStartedStepOf(executionId, snapshot);
      if (step) steps.push(step);
    }
    return steps.sort(compareNotStarted);
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
      const record = readTransitionRecord(item, depth, this.#onCorrupt);
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

  async *#query(input: TableQuery): AsyncGenerator<Item> {
    for await (const item of this.#table.query(input)) {
      this.#itemsRead++;
      this.#onProgress(this.#itemsRead);
      yield item;
    }
  }
}
