// The fan-out's items of the table: the Organization's cached account list, and the shards' last complete cycles.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ServiceError } from '../../core/errors';
import type { OrganizationScope } from '../../core/organization';
import type { CallCounter } from '../call-counter';
import {
  type AccountList,
  accountListItem,
  type CorruptItemHandler,
  type Item,
  readAccountList,
} from './items';
import { KEYS } from './schema';
import { DynamoTable } from './table';

/** Options of {@link DynamoFanOutStore}. */
export interface DynamoFanOutStoreOptions {
  readonly tableName: string;
  /** @default a new DynamoDBClient */
  readonly client?: DynamoDBClient;
  /** @default a new counter */
  readonly calls?: CallCounter;
  /** Called for a stored item that cannot be read, which is then ignored. @default ignore */
  readonly onCorruptItem?: CorruptItemHandler;
}

/** Most keys one BatchGetItem takes. */
const BATCH_GET_KEYS = 100;
/** BatchGetItem calls for one batch before unprocessed keys count as a failure. */
const BATCH_GET_ATTEMPTS = 5;

/**
 * Which listing of the Organization a scope needs (its OUs, sorted, or the whole Organization): the
 * cache key of its account list, so a redeploy with other OUs does not read the old list.
 */
export function listingOf(scope: Pick<OrganizationScope, 'organizationalUnits'>): string {
  return scope.organizationalUnits === undefined ? 'ALL' : [...scope.organizationalUnits].sort().join(',');
}

/** The dispatcher's (and the hint reader's) items: one cached account list per listing, the poller states. */
export class DynamoFanOutStore {
  readonly calls: CallCounter;
  readonly #table: DynamoTable;
  readonly #onCorrupt: CorruptItemHandler;

  constructor(options: DynamoFanOutStoreOptions) {
    this.#table = new DynamoTable(options);
    this.calls = this.#table.calls;
    this.#onCorrupt = options.onCorruptItem ?? (() => {});
  }

  /** The cached account list of a listing, or null when none (or an unreadable one) is stored. */
  async loadAccounts(listing: string): Promise<AccountList | null> {
    const output = await this.#table.call('GetItem', (doc) =>
      doc.send(
        new GetCommand({
          TableName: this.#table.name,
          Key: { pk: KEYS.organization, sk: KEYS.accountList(listing) },
        }),
      ),
    );
    return readAccountList(output.Item, this.#onCorrupt);
  }

  /** Stores a listing's account list; the item expires (TTL) at `expiresAt` (epoch seconds). */
  async saveAccounts(listing: string, list: AccountList, expiresAt: number): Promise<void> {
    await this.#table.call('PutItem', (doc) =>
      doc.send(
        new PutCommand({ TableName: this.#table.name, Item: accountListItem(listing, list, expiresAt) }),
      ),
    );
  }

  /**
   * The start (ISO) of each shard's last complete cycle, null for a shard without one; BatchGetItem,
   * 100 keys a call, unprocessed keys asked again.
   * @throws {@link ServiceError} when keys stay unprocessed after a few attempts
   */
  async lastCompleteTimes(shards: readonly string[]): Promise<Map<string, string | null>> {
    const times = new Map<string, string | null>(shards.map((shard) => [shard, null]));
    for (let i = 0; i < shards.length; i += BATCH_GET_KEYS) {
      let keys: Item[] = shards
        .slice(i, i + BATCH_GET_KEYS)
        .map((shard) => ({ pk: KEYS.poller(shard), sk: KEYS.pollerState }));
      for (let attempt = 0; keys.length > 0; attempt += 1) {
        if (attempt === BATCH_GET_ATTEMPTS) {
          throw new ServiceError(`DynamoDB BatchGetItem left ${keys.length} poller states unread.`);
        }
        const batch = keys;
        const output = await this.#table.call('BatchGetItem', (doc) =>
          doc.send(
            new BatchGetCommand({
              RequestItems: {
                [this.#table.name]: { Keys: batch, ProjectionExpression: 'pk, lastCompleteAt' },
              },
            }),
          ),
        );
        for (const item of output.Responses?.[this.#table.name] ?? []) {
          const shard = typeof item.pk === 'string' ? item.pk.slice(KEYS.poller('').length) : '';
          if (times.has(shard) && typeof item.lastCompleteAt === 'string')
            times.set(shard, item.lastCompleteAt);
        }
        keys = output.UnprocessedKeys?.[this.#table.name]?.Keys ?? [];
      }
    }
    return times;
  }
}
