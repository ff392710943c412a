// HintInbox over the table: one item per shard beside the poller state, execution ids a holder of the lease takes.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HintInbox } from '../../core/ports';
import type { CallCounter } from '../call-counter';
import { KEYS } from './schema';
import { DynamoTable } from './table';

/**
 * Most ids the inbox holds (a hint batch may add up to 100 more): about 80 KB, far below DynamoDB's
 * 400 KB item limit whatever a burst of hints brings. A full inbox refuses hand-offs; losing ids
 * here costs latency only, as the schedule reads every execution anyway.
 */
export const INBOX_LIMIT = 2000;

/** The condition that the inbox has room left. */
const ROOM_LEFT = '(attribute_not_exists(ids) OR size(ids) < :cap)';

/** Options of {@link DynamoHintInbox}. */
export interface DynamoHintInboxOptions {
  readonly tableName: string;
  /** @default a new DynamoDBClient */
  readonly client?: DynamoDBClient;
  /** @default a new counter */
  readonly calls?: CallCounter;
}

/**
 * The hint inbox as one item (`POLLER#<shard>`, `HINTS#POLLER`): `openUntil` (N, epoch ms) while a
 * holder of the lease reads, `ids` (SS) the execution ids handed to it. Every write is one
 * UpdateItem, so hand-offs never touch the poller state's version and never overwrite each other.
 * Closing is conditional on `ids` being absent (DynamoDB drops an emptied set), so an id handed
 * over just before the close makes the close fail and the holder take it. It holds at most
 * {@link INBOX_LIMIT} ids.
 */
export class DynamoHintInbox implements HintInbox {
  readonly calls: CallCounter;
  readonly #table: DynamoTable;

  constructor(options: DynamoHintInboxOptions) {
    this.#table = new DynamoTable(options);
    this.calls = this.#table.calls;
  }

  async open(shard: string, until: number): Promise<void> {
    await this.#update(shard, {
      UpdateExpression: 'SET openUntil = :until',
      ExpressionAttributeValues: { ':until': until },
    });
  }

  async handOff(shard: string, executionIds: readonly string[], now: number): Promise<boolean> {
    if (executionIds.length === 0) return true;
    return this.#table.conditional('UpdateItem', (doc) =>
      doc.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: key(shard),
          UpdateExpression: 'ADD ids :ids',
          ConditionExpression: `openUntil > :now AND ${ROOM_LEFT}`,
          ExpressionAttributeValues: { ':ids': new Set(executionIds), ':now': now, ':cap': INBOX_LIMIT },
        }),
      ),
    );
  }

  async park(shard: string, executionIds: readonly string[]): Promise<void> {
    if (executionIds.length === 0) return;
    // A full inbox takes no more: the scheduled cycle reads every execution anyway.
    await this.#table.conditional('UpdateItem', (doc) =>
      doc.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: key(shard),
          UpdateExpression: 'ADD ids :ids',
          ConditionExpression: ROOM_LEFT,
          ExpressionAttributeValues: { ':ids': new Set(executionIds), ':cap': INBOX_LIMIT },
        }),
      ),
    );
  }

  async take(shard: string): Promise<string[]> {
    const output = await this.#table.call('GetItem', (doc) =>
      doc.send(
        new GetCommand({
          TableName: this.#table.name,
          Key: key(shard),
          ProjectionExpression: 'ids',
          ConsistentRead: true,
        }),
      ),
    );
    const raw = output.Item?.ids;
    const ids = raw instanceof Set ? [...raw].filter((id): id is string => typeof id === 'string') : [];
    if (ids.length === 0) return [];
    // Exactly the ids read leave the set: one handed over meanwhile stays for the next take.
    await this.#update(shard, {
      UpdateExpression: 'DELETE ids :ids',
      ExpressionAttributeValues: { ':ids': new Set(ids) },
    });
    return ids.sort();
  }

  async close(shard: string): Promise<boolean> {
    return this.#table.conditional('UpdateItem', (doc) =>
      doc.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: key(shard),
          UpdateExpression: 'REMOVE openUntil',
          ConditionExpression: 'attribute_not_exists(ids)',
        }),
      ),
    );
  }

  async forceClose(shard: string): Promise<void> {
    await this.#update(shard, { UpdateExpression: 'REMOVE openUntil' });
  }

  async #update(
    shard: string,
    input: { UpdateExpression: string; ExpressionAttributeValues?: Record<string, unknown> },
  ): Promise<void> {
    await this.#table.call('UpdateItem', (doc) =>
      doc.send(new UpdateCommand({ TableName: this.#table.name, Key: key(shard), ...input })),
    );
  }
}

function key(shard: string): Record<string, string> {
  return { pk: KEYS.poller(shard), sk: KEYS.hintInbox };
}
