// NotificationStore over the table: one item per notification thread (an execution, or a run with children), saved with a version check.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { NotificationState } from '../../core/notifications/digest';
import type { NotificationRecord, NotificationStore, UnsentMessage } from '../../core/notifications/ports';
import type { NotificationMessage } from '../../core/notifications/render';
import type { CallCounter } from '../call-counter';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from './schema';
import { DynamoTable } from './table';

/**
 * The keys of a notification thread's item: its own partition (`NOTIFY#<threadId>`), apart from the
 * execution's snapshots and history, so the notify function's role can be limited to these items
 * (`dynamodb:LeadingKeys` on {@link NOTIFY_KEY_PREFIX}).
 */
export const NOTIFY_KEYS = {
  thread: (threadId: string) => `${NOTIFY_KEY_PREFIX}${threadId}`,
  state: 'STATE#NOTIFY',
} as const;
/** The partition key prefix of every notification item. */
export const NOTIFY_KEY_PREFIX = 'NOTIFY#';
/** Days a thread's item stays after its last write (the TTL): far beyond any run's length. */
export const NOTIFY_RETENTION_DAYS = 14;

/** Options of {@link DynamoNotificationStore}. */
export interface DynamoNotificationStoreOptions {
  readonly tableName: string;
  /** @default a new DynamoDBClient */
  readonly client?: DynamoDBClient;
  /** @default a new counter */
  readonly calls?: CallCounter;
  /** Clock of the TTL (epoch ms). @default Date.now */
  readonly now?: () => number;
}

/**
 * One item per thread: `state` (the digest and the event ids seen), `unsent` (each message with its
 * own claim and failed attempts) and `version`. A save is one PutItem conditional on the version it read (or on no item), so two
 * invocations never both decide the same message; no transaction is needed.
 */
export class DynamoNotificationStore implements NotificationStore {
  readonly calls: CallCounter;
  readonly #table: DynamoTable;
  readonly #now: () => number;

  constructor(options: DynamoNotificationStoreOptions) {
    this.#table = new DynamoTable(options);
    this.calls = this.#table.calls;
    this.#now = options.now ?? Date.now;
  }

  async load(threadId: string): Promise<NotificationRecord | null> {
    const output = await this.#table.call('GetItem', (doc) =>
      doc.send(
        new GetCommand({
          TableName: this.#table.name,
          Key: key(threadId),
          ConsistentRead: true,
        }),
      ),
    );
    const item = output.Item;
    if (!item || typeof item.version !== 'number' || typeof item.state !== 'object' || item.state === null)
      return null;
    const claimUntil = typeof item.claimUntil === 'number' ? item.claimUntil : 0;
    return {
      state: item.state as NotificationState,
      unsent: Array.isArray(item.unsent) ? item.unsent.map((entry) => unsentOf(entry, claimUntil)) : [],
      version: item.version,
    };
  }

  async save(threadId: string, record: NotificationRecord, expectedVersion: number | null): Promise<boolean> {
    return this.#table.conditional('PutItem', (doc) =>
      doc.send(
        new PutCommand({
          TableName: this.#table.name,
          Item: {
            ...key(threadId),
            state: record.state,
            unsent: record.unsent,
            version: record.version,
            [TTL_ATTRIBUTE]: Math.floor(this.#now() / 1000) + NOTIFY_RETENTION_DAYS * 86_400,
          },
          ...(expectedVersion === null
            ? {
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': PARTITION_KEY.name },
              }
            : {
                ConditionExpression: '#version = :version',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':version': expectedVersion },
              }),
        }),
      ),
    );
  }
}

function key(threadId: string): Record<string, string> {
  return { [PARTITION_KEY.name]: NOTIFY_KEYS.thread(threadId), [SORT_KEY.name]: NOTIFY_KEYS.state };
}

/**
 * An unsent entry as stored: `{ message, claimUntil, attempts }`, or a bare message with the item's
 * one `claimUntil` as items written before messages had claims of their own have it.
 */
function unsentOf(entry: unknown, itemClaimUntil: number): UnsentMessage {
  const stored = entry as Partial<UnsentMessage> & { readonly id?: unknown };
  if (typeof stored.message === 'object' && stored.message !== null && stored.id === undefined) {
    return {
      message: stored.message,
      claimUntil: typeof stored.claimUntil === 'number' ? stored.claimUntil : 0,
      attempts: typeof stored.attempts === 'number' ? stored.attempts : 0,
    };
  }
  return { message: entry as NotificationMessage, claimUntil: itemClaimUntil, attempts: 0 };
}
