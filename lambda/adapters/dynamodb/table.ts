// One table through the document client, for the snapshot store and the history reader: calls counted and their failures wrapped, queries paged, conditional writes.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ServiceError } from '../../core/errors';
import { CallCounter } from '../call-counter';
import type { Item } from './items';

/** Options of {@link DynamoTable}. */
export interface DynamoTableOptions {
  readonly tableName: string;
  /** @default a new DynamoDBClient */
  readonly client?: DynamoDBClient;
  /** @default a new counter */
  readonly calls?: CallCounter;
}

/** A query of the table, without the table name and paging key the table fills in. */
export type TableQuery = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

/**
 * The table: every call counted by operation and, when it fails, wrapped in a ServiceError naming
 * the operation and the table. Undefined attributes are left out of written items, so a sparse index
 * key is absent rather than null.
 */
export class DynamoTable {
  /** The table's name. */
  readonly name: string;
  /** Calls made, by operation. */
  readonly calls: CallCounter;
  readonly #doc: DynamoDBDocumentClient;

  constructor(options: DynamoTableOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client ?? new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.name = options.tableName;
    this.calls = options.calls ?? new CallCounter();
  }

  /** Makes one call: counted as `operation`, a failure wrapped in a ServiceError with the SDK's as cause. */
  async call<T>(operation: string, send: (doc: DynamoDBDocumentClient) => Promise<T>): Promise<T> {
    this.calls.count(operation);
    try {
      return await send(this.#doc);
    } catch (error) {
      throw ServiceError.of(`DynamoDB ${operation} on table ${this.name}`, error);
    }
  }

  /** Makes one conditional write; false when its condition failed. */
  async conditional(
    operation: string,
    send: (doc: DynamoDBDocumentClient) => Promise<unknown>,
  ): Promise<boolean> {
    try {
      await this.call(operation, send);
      return true;
    } catch (error) {
      if (error instanceof ServiceError && error.cause instanceof ConditionalCheckFailedException)
        return false;
      throw error;
    }
  }

  /** Streams the items of a query page by page, so large histories never sit in memory at once. */
  async *query(input: TableQuery): AsyncGenerator<Item> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.call('Query', (doc) =>
        doc.send(new QueryCommand({ ...input, TableName: this.name, ExclusiveStartKey: startKey })),
      );
      for (const item of output.Items ?? []) yield item;
      startKey = output.LastEvaluatedKey;
    } while (startKey);
  }
}
