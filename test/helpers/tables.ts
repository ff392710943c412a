// An in-memory dynalite with a client, and new tables of the project's schema: for over-the-wire adapter tests.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../lambda/adapters/dynamodb/create-table';
import { startDynamo } from '../../sandbox/dynamo';

/** A running dynalite and a client of it. */
export interface LocalTables {
  readonly client: DynamoDBClient;
  /** Creates a table of the project's schema under a name not used before, and returns the name. */
  newTable(): Promise<string>;
  /** Destroys the client and stops dynalite. */
  stop(): Promise<void>;
}

/** Starts dynalite in memory. */
export async function startLocalTables(): Promise<LocalTables> {
  const dynamo = await startDynamo();
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let created = 0;
  return {
    client,
    async newTable() {
      const tableName = `table-${++created}`;
      await createTable(client, tableName);
      return tableName;
    },
    async stop() {
      client.destroy();
      await dynamo.stop();
    },
  };
}
