// SnapshotStore over one DynamoDB table: snapshots, the outbox / audit trail and the poller state.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULT_HISTORY_RETENTION_DAYS } from '../../core/defaults';
import { ServiceError } from '../../core/errors';
import type { PollerState, RecordResult, SnapshotStore, TrackedExecution } from '../../core/ports';
import { isTerminal } from '../../core/status';
import type {
  DetailType,
  ExecutionSnapshot,
  ExecutionState,
  OutboxEvent,
  StepSnapshot,
} from '../../core/types';
import { CallCounter } from '../call-counter';
import { INDEX } from './schema';

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
  /** Called for a stored item that cannot be read (corrupt or foreign), which is then ignored. */
  readonly onCorruptItem?: (key: { pk: unknown; sk: unknown }, reason: string) => void;
}

/** Key prefixes of the item kinds; see docs/internals.md. */
export const KEYS = {
  execution: (id: string) => `EXEC#${id}`,
  executionState: 'STATE#EXEC',
  stepState: (id: string) => `STATE#STEP#${id}`,
  statePrefix: 'STATE#',
  transition: (eventId: string) => `EVT#${eventId}`,
  transitionPrefix: 'EVT#',
  poller: (shard: string) => `POLLER#${shard}`,
  pollerState: 'STATE#POLLER',
  listShard: 'EXEC',
} as const;

type Item = Record<string, unknown>;

/** Stores snapshots and transitions in DynamoDB with conditional writes, never transactions. */
export class DynamoSnapshotStore implements SnapshotStore {
  readonly calls: CallCounter;
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;
  readonly #now: () => number;
  readonly #onCorrupt: (key: { pk: unknown; sk: unknown }, reason: string) => void;

  constructor(options: DynamoSnapshotStoreOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client ?? new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#table = options.tableName;
    this.#retentionSeconds = (options.retentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS) * 86_400;
    this.calls = options.calls ?? new CallCounter();
    this.#now = options.now ?? Date.now;
    this.#onCorrupt = options.onCorruptItem ?? (() => {});
  }

  /** The table this store writes to. */
  get tableName(): string {
    return this.#table;
  }

  async loadPollerState(shard: string): Promise<PollerState> {
    const output = await this.#call('GetItem', () =>
      this.#doc.send(
        new GetCommand({
          TableName: this.#table,
          Key: { pk: KEYS.poller(shard), sk: KEYS.pollerState },
          ConsistentRead: true,
        }),
      ),
    );
    const item = output.Item;
    if (item && typeof item.version !== 'number') {
      this.#onCorrupt(
        { pk: item.pk, sk: item.sk },
        'poller state without a numeric version; it will be replaced',
      );
    }
    return {
      watermark: typeof item?.watermark === 'string' ? item.watermark : null,
      cursor: Array.isArray(item?.cursor)
        ? item.cursor.filter((id): id is string => typeof id === 'string')
        : [],
      lastCompleteAt: typeof item?.lastCompleteAt === 'string' ? item.lastCompleteAt : null,
      leaseUntil: typeof item?.leaseUntil === 'string' ? item.leaseUntil : null,
      version: typeof item?.version === 'number' ? item.version : 0,
    };
  }

  async savePollerState(
    shard: string,
    state: Omit<PollerState, 'version'>,
    expected: PollerState,
  ): Promise<boolean> {
    return this.#conditional(() =>
      this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            pk: KEYS.poller(shard),
            sk: KEYS.pollerState,
            watermark: state.watermark ?? undefined,
            cursor: [...state.cursor],
            lastCompleteAt: state.lastCompleteAt ?? undefined,
            leaseUntil: state.leaseUntil ?? undefined,
            version: expected.version + 1,
          },
          // A state whose version is not a number (corrupt) is replaced rather than blocking every cycle.
          ConditionExpression: 'attribute_not_exists(pk) OR version = :v OR NOT attribute_type(version, :n)',
          ExpressionAttributeValues: { ':v': expected.version, ':n': 'N' },
        }),
      ),
    );
  }

  async listTracked(shard: string): Promise<TrackedExecution[]> {
    const tracked: TrackedExecution[] = [];
    for await (const item of this.#query({
      IndexName: INDEX.inFlight,
      KeyConditionExpression: 'trackShard = :s',
      ExpressionAttributeValues: { ':s': shard },
    })) {
      if (typeof item.executionId === 'string' && typeof item.trackedAt === 'string') {
        tracked.push({ executionId: item.executionId, trackedAt: item.trackedAt });
      } else {
        this.#onCorrupt({ pk: item.pk, sk: item.sk }, 'tracked execution without executionId or trackedAt');
      }
    }
    return tracked;
  }

  async untrack(executionId: string): Promise<void> {
    try {
      await this.#call('UpdateItem', () =>
        this.#doc.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: { pk: KEYS.execution(executionId), sk: KEYS.executionState },
            UpdateExpression: 'REMOVE trackShard, trackedAt',
            // Never create a bare item for an execution that has no snapshot.
            ConditionExpression: 'attribute_exists(pk)',
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ServiceError && error.cause instanceof ConditionalCheckFailedException))
        throw error;
    }
  }

  async loadExecution(executionId: string): Promise<ExecutionState | null> {
    let execution: ExecutionSnapshot | null = null;
    const steps = new Map<string, StepSnapshot>();
    for await (const item of this.#query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': KEYS.execution(executionId), ':prefix': KEYS.statePrefix },
      ConsistentRead: true,
    })) {
      if (item.sk === KEYS.executionState) {
        execution = this.#readExecution(item);
      } else {
        const step = this.#readStep(item);
        if (step) steps.set(step.stepExecutionId, step);
      }
    }
    return execution ? { execution, steps } : null;
  }

  async recordEvents(shard: string, events: readonly OutboxEvent[]): Promise<RecordResult> {
    const recordedAt = new Date(this.#now()).toISOString();
    const outcomes = await Promise.all(
      events.map((event) =>
        this.#conditional(() =>
          this.#doc.send(
            new PutCommand({
              TableName: this.#table,
              Item: {
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
                recordedAt: `${recordedAt}#${String(event.sequence).padStart(8, '0')}`,
                pendingShard: shard,
                expiresAt: this.#expiresAt(),
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        ),
      ),
    );
    return {
      claimed: events.filter((_, i) => outcomes[i]),
      alreadyRecorded: events.filter((_, i) => !outcomes[i]),
    };
  }

  async listPending(shard: string): Promise<OutboxEvent[]> {
    const pending: OutboxEvent[] = [];
    for await (const item of this.#query({
      IndexName: INDEX.outbox,
      KeyConditionExpression: 'pendingShard = :s',
      ExpressionAttributeValues: { ':s': shard },
    })) {
      const event = readTransition(item);
      if (event) pending.push(event);
      else
        this.#onCorrupt(
          { pk: item.pk, sk: item.sk },
          'pending transition without eventId, detail or executionId',
        );
    }
    return pending;
  }

  async markSent(events: readonly OutboxEvent[], sentAt: string): Promise<void> {
    await Promise.all(
      events.map((event) =>
        this.#call('UpdateItem', () =>
          this.#doc.send(
            new UpdateCommand({
              TableName: this.#table,
              Key: { pk: KEYS.execution(event.executionId), sk: KEYS.transition(event.eventId) },
              UpdateExpression: 'SET sentAt = if_not_exists(sentAt, :t) REMOVE pendingShard',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':t': sentAt },
            }),
          ),
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
    const inFlight = !isTerminal(execution.status);
    // Steps first: a save that dies half-way (a crash, a failed batch, an applied write whose reply
    // was lost) must leave the steps ahead of the execution, never behind it. A step snapshot left
    // behind would hide the step's return to that status as "no change", losing the transition.
    const items = changedSteps.flatMap((id) => {
      const step = next.steps.get(id);
      return step ? [this.#stepItem(execution.executionId, step, inFlight)] : [];
    });
    for (let i = 0; i < items.length; i += 25) {
      await this.#batchWrite(items.slice(i, i + 25));
    }
    return this.#conditional(() =>
      this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            pk: KEYS.execution(execution.executionId),
            sk: KEYS.executionState,
            ...execution,
            alarms: [...execution.alarms],
            version: (expectedVersion ?? 0) + 1,
            shard,
            listShard: KEYS.listShard,
            startTime: execution.startTime ?? undefined,
            // Sparse indexes: absent attributes keep the item out of them.
            parentExecutionId: execution.parentExecutionId ?? undefined,
            trackShard: inFlight ? shard : undefined,
            trackedAt: inFlight ? now : undefined,
            updatedAt: now,
            expiresAt: inFlight ? undefined : this.#expiresAt(),
          },
          ConditionExpression:
            expectedVersion === null ? 'attribute_not_exists(pk)' : 'attribute_exists(pk) AND version = :v',
          ExpressionAttributeValues: expectedVersion === null ? undefined : { ':v': expectedVersion },
        }),
      ),
    );
  }

  /** Streams items of a query page by page, so large histories never sit in memory at once. */
  async *query(input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<Item> {
    yield* this.#query(input);
  }

  async *#query(input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<Item> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.#call('Query', () =>
        this.#doc.send(new QueryCommand({ ...input, TableName: this.#table, ExclusiveStartKey: startKey })),
      );
      for (const item of output.Items ?? []) yield item;
      startKey = output.LastEvaluatedKey;
    } while (startKey);
  }

  async #batchWrite(items: Item[]): Promise<void> {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= 8)
        throw new ServiceError(`DynamoDB left ${requests.length} step snapshots unprocessed.`);
      const batch = requests;
      const output = await this.#call('BatchWriteItem', () =>
        this.#doc.send(new BatchWriteCommand({ RequestItems: { [this.#table]: batch } })),
      );
      requests = (output.UnprocessedItems?.[this.#table] ?? []) as typeof requests;
      if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }

  #stepItem(executionId: string, step: StepSnapshot, inFlight: boolean): Item {
    return {
      pk: KEYS.execution(executionId),
      sk: KEYS.stepState(step.stepExecutionId),
      ...step,
      // An index key attribute (startTime keys byStart and byParent) may be absent, never null.
      startTime: step.startTime ?? undefined,
      alarms: [...step.alarms],
      expiresAt: inFlight ? undefined : this.#expiresAt(),
    };
  }

  #readExecution(item: Item): ExecutionSnapshot | null {
    if (
      typeof item.executionId !== 'string' ||
      typeof item.status !== 'string' ||
      typeof item.version !== 'number'
    ) {
      this.#onCorrupt(
        { pk: item.pk, sk: item.sk },
        'execution snapshot without executionId, status or version',
      );
      return null;
    }
    return {
      executionId: item.executionId,
      documentName: stringOr(item.documentName, ''),
      documentVersion: stringOr(item.documentVersion, null),
      status: item.status,
      parentExecutionId: stringOr(item.parentExecutionId, null),
      startTime: stringOr(item.startTime, null),
      endTime: stringOr(item.endTime, null),
      transitions: numberOr(item.transitions, 0),
      alarms: stringList(item.alarms),
      alarmsRaised: numberOr(item.alarmsRaised, 0),
      version: item.version,
      stepsReadAt: stringOr(item.stepsReadAt, null),
      failedSteps: numberOr(item.failedSteps, 0),
      alarmCount: numberOr(item.alarmCount, 0),
    };
  }

  #readStep(item: Item): StepSnapshot | null {
    if (typeof item.stepExecutionId !== 'string' || typeof item.status !== 'string') {
      this.#onCorrupt({ pk: item.pk, sk: item.sk }, 'step snapshot without stepExecutionId or status');
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

  #expiresAt(): number {
    return Math.floor(this.#now() / 1000) + this.#retentionSeconds;
  }

  /** Runs a conditional write; false when its condition failed. */
  async #conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.#call('PutItem', write);
      return true;
    } catch (error) {
      if (error instanceof ServiceError && error.cause instanceof ConditionalCheckFailedException)
        return false;
      throw error;
    }
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    this.calls.count(operation);
    try {
      return await call();
    } catch (error) {
      throw ServiceError.of(`DynamoDB ${operation} on table ${this.#table}`, error);
    }
  }
}

/** Reads a transition item back into an outbox event, or null when it is not one. */
export function readTransition(item: Item): OutboxEvent | null {
  if (
    typeof item.eventId !== 'string' ||
    typeof item.executionId !== 'string' ||
    typeof item.detail !== 'string' ||
    typeof item.detailType !== 'string'
  ) {
    return null;
  }
  return {
    eventId: item.eventId,
    executionId: item.executionId,
    detailType: item.detailType as DetailType,
    resources: stringList(item.resources),
    detail: item.detail,
    observedAt: stringOr(item.observedAt, ''),
    stepExecutionId: stringOr(item.stepExecutionId, null),
    sequence: numberOr(item.sequence, 0),
  };
}

function stringOr<T extends string | null>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
