// SnapshotStore over one DynamoDB table: snapshots, the outbox / audit trail and the poller state.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULT_HISTORY_RETENTION_DAYS } from '../../core/defaults';
import { ServiceError } from '../../core/errors';
import type {
  NamedExecution,
  PollerState,
  RecordResult,
  SnapshotStore,
  TrackedExecution,
} from '../../core/ports';
import { isSettled } from '../../core/read-plan';
import type { ExecutionSnapshot, ExecutionState, OutboxEvent, StepSnapshot } from '../../core/types';
import type { CallCounter } from '../call-counter';
import {
  type CorruptItemHandler,
  executionItem,
  type Item,
  namedMarkItem,
  outboxItem,
  pollerStateItem,
  readExecution,
  readOutbox,
  readPollerState,
  readStep,
  readTracked,
  stepItem,
  stepKey,
} from './items';
import { INDEX, KEYS } from './schema';
import { DynamoTable } from './table';

/** Options of {@link DynamoSnapshotStore}. */
export interface DynamoSnapshotStoreOptions {
  readonly tableName: string;
  /** @default a new DynamoDBClient */
  readonly client?: DynamoDBClient;
  /** Days transition records and finished executions are kept. @default 365 */
  readonly retentionDays?: number;
  /** @default a new counter */
  readonly calls?: CallCounter;
  /** Current time in epoch ms, for TTLs and record times. @default Date.now */
  readonly now?: () => number;
  /** Called for a stored item that cannot be read (corrupt or foreign), which is then ignored. @default ignore */
  readonly onCorruptItem?: CorruptItemHandler;
  /**
   * Called for a pending transition without usable typed fields (stored by an earlier version, or
   * damaged): it is sent like any other, but cannot catch a snapshot up. @default ignore
   */
  readonly onUntypedTransition?: CorruptItemHandler;
}

/** A write request of one BatchWriteItem call. */
type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

/**
 * Whether an item is a named-execution mark that has ended (its `expiresAt` has passed): TTL removes
 * it within days, and until then it is ignored.
 */
function isEndedMark(item: Item, nowSeconds: number): boolean {
  return item.sk === KEYS.namedMark && typeof item.expiresAt === 'number' && item.expiresAt <= nowSeconds;
}

/** Most keys one BatchGetItem takes. */
const BATCH_GET_KEYS = 100;
/** BatchGetItem calls for one batch before unprocessed keys count as a failure. */
const BATCH_GET_ATTEMPTS = 5;
/** Stores snapshots and transitions in DynamoDB with conditional writes, never transactions. */
export class DynamoSnapshotStore implements SnapshotStore {
  readonly calls: CallCounter;
  readonly #table: DynamoTable;
  readonly #retentionSeconds: number;
  readonly #now: () => number;
  readonly #onCorrupt: CorruptItemHandler;
  readonly #onUntyped: CorruptItemHandler;

  constructor(options: DynamoSnapshotStoreOptions) {
    this.#table = new DynamoTable(options);
    this.calls = this.#table.calls;
    this.#retentionSeconds = (options.retentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS) * 86_400;
    this.#now = options.now ?? Date.now;
    this.#onCorrupt = options.onCorruptItem ?? (() => {});
    this.#onUntyped = options.onUntypedTransition ?? (() => {});
  }

  /** The table this store writes to. */
  get tableName(): string {
    return this.#table.name;
  }

  async loadPollerState(shard: string): Promise<PollerState> {
    const output = await this.#table.call('GetItem', (doc) =>
      doc.send(
        new GetCommand({
          TableName: this.#table.name,
          Key: { pk: KEYS.poller(shard), sk: KEYS.pollerState },
          ConsistentRead: true,
        }),
      ),
    );
    return readPollerState(output.Item, this.#onCorrupt);
  }

  async savePollerState(
    shard: string,
    state: Omit<PollerState, 'version' | 'reportedRecords'> & Partial<Pick<PollerState, 'reportedRecords'>>,
    expected: PollerState,
  ): Promise<boolean> {
    const next = { ...state, reportedRecords: state.reportedRecords ?? expected.reportedRecords };
    return this.#table.conditional('PutItem', (doc) =>
      doc.send(
        new PutCommand({
          TableName: this.#table.name,
          Item: pollerStateItem(shard, next, expected.version + 1),
          // A state whose version is not a number (corrupt) is replaced rather than blocking every cycle.
          ConditionExpression: 'attribute_not_exists(pk) OR version = :v OR NOT attribute_type(version, :n)',
          ExpressionAttributeValues: { ':v': expected.version, ':n': 'N' },
        }),
      ),
    );
  }

  async listTracked(shard: string): Promise<TrackedExecution[]> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    return this.#inShard(INDEX.inFlight, 'trackShard', shard, (item) =>
      isEndedMark(item, nowSeconds) ? null : readTracked(item, this.#onCorrupt),
    );
  }

  async watchNamed(shard: string, executions: readonly NamedExecution[]): Promise<void> {
    const trackedAt = new Date(this.#now()).toISOString();
    const requests = executions.map(
      (execution): WriteRequest => ({
        PutRequest: { Item: namedMarkItem(shard, execution, trackedAt, this.#expiresAt()) },
      }),
    );
    for (let i = 0; i < requests.length; i += 25) await this.#batchWrite(requests.slice(i, i + 25));
  }

  async untrack(executionId: string): Promise<void> {
    await this.#endNamedMark(executionId);
    // A failed condition means there is no snapshot: nothing to untrack.
    await this.#table.conditional('UpdateItem', (doc) =>
      doc.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: { pk: KEYS.execution(executionId), sk: KEYS.executionState },
          UpdateExpression: 'REMOVE trackShard, trackedAt',
          // Never create a bare item for an execution that has no snapshot.
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
    );
  }

  async knownExecutions(executionIds: readonly string[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (let i = 0; i < executionIds.length; i += BATCH_GET_KEYS) {
      let keys: Record<string, unknown>[] = executionIds
        .slice(i, i + BATCH_GET_KEYS)
        .map((id) => ({ pk: KEYS.execution(id), sk: KEYS.executionState }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt === BATCH_GET_ATTEMPTS) {
          throw new ServiceError(`DynamoDB BatchGetItem left ${keys.length} keys unprocessed.`);
        }
        const output = await this.#table.call('BatchGetItem', (doc) =>
          doc.send(
            new BatchGetCommand({
              RequestItems: {
                [this.#table.name]: { Keys: keys, ProjectionExpression: 'executionId', ConsistentRead: true },
              },
            }),
          ),
        );
        for (const item of output.Responses?.[this.#table.name] ?? []) {
          if (typeof item.executionId === 'string') known.add(item.executionId);
        }
        keys = output.UnprocessedKeys?.[this.#table.name]?.Keys ?? [];
      }
    }
    return known;
  }

  async loadExecution(executionId: string): Promise<ExecutionState | null> {
    let execution: ExecutionSnapshot | null = null;
    const steps = new Map<string, StepSnapshot>();
    for await (const item of this.#table.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': KEYS.execution(executionId), ':prefix': KEYS.statePrefix },
      ConsistentRead: true,
    })) {
      if (item.sk === KEYS.executionState) {
        execution = readExecution(item, this.#onCorrupt);
      } else {
        const step = readStep(item, this.#onCorrupt);
        if (step) steps.set(step.stepExecutionId, step);
      }
    }
    return execution ? { execution, steps } : null;
  }

  async recordEvents(shard: string, events: readonly OutboxEvent[]): Promise<RecordResult> {
    const recordedAt = new Date(this.#now()).toISOString();
    const outcomes = await inSlices(events, (event) =>
      this.#table.conditional('PutItem', (doc) =>
        doc.send(
          new PutCommand({
            TableName: this.#table.name,
            Item: outboxItem(shard, event, recordedAt, this.#expiresAt()),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      ),
    );
    return {
      claimed: events.filter((_, i) => outcomes[i]),
      alreadyRecorded: events.filter((_, i) => !outcomes[i]),
    };
  }

  async listPending(shard: string): Promise<OutboxEvent[]> {
    return this.#inShard(INDEX.outbox, 'pendingShard', shard, (item) =>
      readOutbox(item, this.#onCorrupt, this.#onUntyped),
    );
  }

  async markSent(events: readonly OutboxEvent[], sentAt: string): Promise<void> {
    await inSlices(events, (event) =>
      this.#table.call('UpdateItem', (doc) =>
        doc.send(
          new UpdateCommand({
            TableName: this.#table.name,
            Key: { pk: KEYS.execution(event.executionId), sk: KEYS.transition(event.eventId) },
            UpdateExpression: 'SET sentAt = if_not_exists(sentAt, :t) REMOVE pendingShard',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':t': sentAt },
          }),
        ),
      ),
    );
  }

  async saveExecution(
    shard: string,
    next: ExecutionState,
    changedSteps: readonly string[],
    expectedVersion: number | null,
  ): Promise<boolean> {
    const execution = next.execution;
    const now = new Date(this.#now()).toISOString();
    // Watched (tracked, no expiry) until settled: an ended execution stays watched until a step SSM
    // shows late has had time to show up.
    const inFlight = !isSettled(execution);
    const expiresAt = inFlight ? undefined : this.#expiresAt();
    // Steps first: a save that dies half-way (a crash, a failed batch, an applied write whose reply
    // was lost) must leave the steps ahead of the execution, never behind it. A step snapshot left
    // behind would hide the step's return to that status as "no change", losing the transition.
    const requests = changedSteps.map((id): WriteRequest => {
      const step = next.steps.get(id);
      return step
        ? { PutRequest: { Item: stepItem(execution.executionId, step, expiresAt) } }
        : { DeleteRequest: { Key: stepKey(execution.executionId, id) } };
    });
    for (let i = 0; i < requests.length; i += 25) {
      await this.#batchWrite(requests.slice(i, i + 25));
    }
    const saved = await this.#table.conditional('PutItem', (doc) =>
      doc.send(
        new PutCommand({
          TableName: this.#table.name,
          Item: executionItem(shard, execution, {
            version: (expectedVersion ?? 0) + 1,
            inFlight,
            now,
            expiresAt: this.#expiresAt(),
          }),
          ConditionExpression:
            expectedVersion === null ? 'attribute_not_exists(pk)' : 'attribute_exists(pk) AND version = :v',
          ExpressionAttributeValues: expectedVersion === null ? undefined : { ':v': expectedVersion },
        }),
      ),
    );
    // A child's first snapshot tracks it from now on: the mark its parent's naming left is done (and
    // one left by a cycle that raced the first save goes once the child settles).
    if (saved && execution.parentExecutionId !== null && (expectedVersion === null || !inFlight))
      await this.#endNamedMark(execution.executionId);
    return saved;
  }

  /**
   * Ends the mark a parent's naming left: it leaves the inFlight index and expires now, so TTL removes
   * it. An update, not a delete: the functions' roles may not delete items (docs/security.md). A
   * failed condition means there is no live mark: nothing to end.
   */
  async #endNamedMark(executionId: string): Promise<void> {
    await this.#table.conditional('UpdateItem', (doc) =>
      doc.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: { pk: KEYS.execution(executionId), sk: KEYS.namedMark },
          UpdateExpression: 'SET expiresAt = :now REMOVE trackShard',
          // Never create a mark, and leave an ended one as it is.
          ConditionExpression: 'attribute_exists(trackShard)',
          ExpressionAttributeValues: { ':now': Math.floor(this.#now() / 1000) },
        }),
      ),
    );
  }

  /** What one shard's partition of a sparse index holds, read by `read`; unreadable items left out. */
  async #inShard<T>(
    indexName: string,
    shardAttribute: string,
    shard: string,
    read: (item: Item) => T | null,
  ): Promise<T[]> {
    const records: T[] = [];
    for await (const item of this.#table.query({
      IndexName: indexName,
      KeyConditionExpression: `${shardAttribute} = :s`,
      ExpressionAttributeValues: { ':s': shard },
    })) {
      const record = read(item);
      if (record) records.push(record);
    }
    return records;
  }

  /** Writes up to 25 requests, retrying what DynamoDB leaves unprocessed with a growing pause. */
  async #batchWrite(batch: readonly WriteRequest[]): Promise<void> {
    let requests = batch;
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= 8)
        throw new ServiceError(`DynamoDB left ${requests.length} step snapshots unprocessed.`);
      const pending = requests;
      const output = await this.#table.call('BatchWriteItem', (doc) =>
        doc.send(new BatchWriteCommand({ RequestItems: { [this.#table.name]: [...pending] } })),
      );
      requests = (output.UnprocessedItems?.[this.#table.name] ?? []) as WriteRequest[];
      if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }

  #expiresAt(): number {
    return Math.floor(this.#now() / 1000) + this.#retentionSeconds;
  }
}

/** Requests in flight at once from one call: a long read records a thousand events in one go. */
const CONCURRENT_WRITES = 25;

/** Runs `write` over `items`, at most {@link CONCURRENT_WRITES} at a time; results in item order. */
async function inSlices<T, R>(items: readonly T[], write: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += CONCURRENT_WRITES) {
    results.push(...(await Promise.all(items.slice(i, i + CONCURRENT_WRITES).map(write))));
  }
  return results;
}
