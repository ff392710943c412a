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

/** Executions of a tree read ahead of the one being yielded (two Queries each). */
const TREE_LOOKAHEAD = 16;

/** What {@link DynamoHistoryReader} reads of one execution of a tree. */
interface LoadedExecution {
  readonly records: readonly TransitionRecord[];
  readonly children: readonly string[];
}

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
 * executions, and the step snapshots of steps that have not started. A tree is read a few executions
 * ahead of what it yields, each execution's transitions held whole (to sort them).
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
  /** Not-started steps read ahead with an execution's transitions, until asked for once. */
  readonly #prefetchedNotStarted = new Map<string, Promise<NotStartedStep[]>>();

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
    const prefetched = this.#prefetchedNotStarted.get(executionId);
    this.#prefetchedNotStarted.delete(executionId);
    return prefetched ?? this.#readNotStarted(executionId);
  }

  async #readNotStarted(executionId: string): Promise<NotStartedStep[]> {
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
    yield* this.#walk([executionId], depth, seen);
  }

  /**
   * The subtrees of `executionIds` in order, depth first. Up to {@link TREE_LOOKAHEAD} executions
   * ahead are read while earlier ones are yielded: a rate-control parent with a thousand children
   * needs two Queries per child, and one after another they take seconds even on a local table.
   */
  async *#walk(
    executionIds: readonly string[],
    depth: number,
    seen: Set<string>,
  ): AsyncGenerator<TransitionRecord> {
    // A parent link that loops (corrupt data) must not loop the reader.
    const fresh: string[] = [];
    for (const id of executionIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      fresh.push(id);
    }
    const pending: Promise<LoadedExecution>[] = [];
    let next = 0;
    const fill = () => {
      while (next < fresh.length && pending.length < TREE_LOOKAHEAD) {
        const id = fresh[next++] as string;
        const loading = this.#load(id, depth);
        // Read ahead; a failure surfaces when its turn comes, not as an unhandled rejection.
        loading.catch(() => {});
        pending.push(loading);
      }
    };
    fill();
    while (pending.length > 0) {
      const loaded = await (pending.shift() as Promise<LoadedExecution>);
      fill();
      yield* loaded.records;
      if (loaded.children.length > 0) yield* this.#walk(loaded.children, depth + 1, seen);
    }
  }

  /**
   * One execution's transitions (sorted), its children (unless at the depth limit) and its
   * not-started steps, read at once; the not-started steps wait for {@link notStartedSteps}.
   */
  async #load(executionId: string, depth: number): Promise<LoadedExecution> {
    const [partition, children] = await Promise.all([
      this.#readPartition(executionId, depth),
      depth >= this.#maxDepth ? Promise.resolve([]) : this.#readChildren(executionId),
    ]);
    this.#prefetchedNotStarted.set(executionId, Promise.resolve(partition.notStarted));
    return { records: partition.records, children };
  }

  /**
   * An execution's transitions (sorted) and not-started steps from one Query of its partition: the
   * step snapshots are read either way (a filter on the server reads them too), and one Query a
   * child instead of two is what a run of a thousand children takes its time in.
   */
  async #readPartition(
    executionId: string,
    depth: number,
  ): Promise<{ records: TransitionRecord[]; notStarted: NotStartedStep[] }> {
    const records: TransitionRecord[] = [];
    const notStarted: NotStartedStep[] = [];
    const stepPrefix = KEYS.stepState('');
    for await (const item of this.#query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': KEYS.execution(executionId) },
    })) {
      const sk = typeof item.sk === 'string' ? item.sk : '';
      if (sk.startsWith(KEYS.transitionPrefix)) {
        const record = readTransitionRecord(item, depth, this.#onCorrupt);
        if (record) records.push(record);
      } else if (sk.startsWith(stepPrefix) && item.startTime === undefined) {
        const snapshot = readStep(item, this.#onCorrupt);
        const step = snapshot && notStartedStepOf(executionId, snapshot);
        if (step) notStarted.push(step);
      }
    }
    return { records: records.sort(compareTransitions), notStarted: notStarted.sort(compareNotStarted) };
  }

  async #readChildren(executionId: string): Promise<string[]> {
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
    return children;
  }

  async *#query(input: TableQuery): AsyncGenerator<Item> {
    for await (const item of this.#table.query(input)) {
      this.#itemsRead++;
      this.#onProgress(this.#itemsRead);
      yield item;
    }
  }
}
