// Creates the table the CDK stack deploys, through the SDK: for `step-watch table create`, the sandbox and tests.
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { ServiceError } from '../../core/errors';
import { INDEXES, type KeyAttribute, keyAttributes, PARTITION_KEY, SORT_KEY } from './schema';

/**
 * The CreateTable request for the table of {@link ./schema}: on demand, the table's keys, every index
 * projecting all attributes. TTL is not part of CreateTable (and dynalite has none).
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const keySchema = (partitionKey: KeyAttribute, sortKey: KeyAttribute) => [
    { AttributeName: partitionKey.name, KeyType: 'HASH' as const },
    { AttributeName: sortKey.name, KeyType: 'RANGE' as const },
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttributes().map((key) => ({
      AttributeName: key.name,
      AttributeType: key.type,
    })),
    KeySchema: keySchema(PARTITION_KEY, SORT_KEY),
    GlobalSecondaryIndexes: INDEXES.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

/**
 * Creates the table (see {@link createTableInput}) and waits until it and its indexes are active.
 * Returns false when it already existed.
 */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  let created = true;
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    created = false;
  }
  for (let i = 0; i < 120; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return created;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new ServiceError(`table create: ${tableName} did not become ACTIVE within 30 s.`);
}
