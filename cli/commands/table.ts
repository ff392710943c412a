// `step-watch table create`: creates the table with the schema the CDK stack deploys, for local use.
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { INDEXES, PARTITION_KEY, SORT_KEY } from '../../lambda/adapters/table-schema';
import { ServiceError } from '../../lambda/core/errors';
import { parseFlags, requireFlag } from '../args';
import { UsageError } from '../errors';

/** Runs `step-watch table <subcommand>`. */
export async function tableCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    'table',
    args,
    { table: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (values.help || positionals[0] !== 'create' || positionals.length !== 1) {
    if (values.help) {
      process.stdout.write('Usage: step-watch table create --table <name>\n');
      return;
    }
    throw new UsageError('table: usage: step-watch table create --table <name>');
  }
  const tableName = requireFlag('table create', 'table', values.table);
  const created = await createTable(new DynamoDBClient({}), tableName);
  process.stdout.write(`${created ? 'created' : 'exists'}: ${tableName}\n`);
}

/**
 * Creates the table (on-demand, the keys and sparse indexes of docs/internals.md) and waits until it
 * is active. Returns false when it already existed.
 */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const attributes = new Map<string, 'S'>([
    [PARTITION_KEY.name, 'S'],
    [SORT_KEY.name, 'S'],
  ]);
  for (const index of INDEXES) {
    attributes.set(index.partitionKey.name, index.partitionKey.type);
    attributes.set(index.sortKey.name, index.sortKey.type);
  }
  let created = true;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        KeySchema: [
          { AttributeName: PARTITION_KEY.name, KeyType: 'HASH' },
          { AttributeName: SORT_KEY.name, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: INDEXES.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
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
