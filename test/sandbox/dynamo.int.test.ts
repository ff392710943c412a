// Over-the-wire tests of the local DynamoDB launcher: in memory, on disk across restarts, fresh starts, the lock.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startDynamo } from '../../sandbox/dynamo';
import { SandboxError } from '../../sandbox/errors';

describe('Function: startDynamo', () => {
  let dir: string;
  const running: LocalDynamo[] = [];
  const clients: DynamoDBClient[] = [];

  const start = async (options: Parameters<typeof startDynamo>[0] = {}): Promise<DynamoDBClient> => {
    const dynamo = await startDynamo(options);
    running.push(dynamo);
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  const stopAll = async (): Promise<void> => {
    for (const client of clients.splice(0)) client.destroy();
    for (const dynamo of running.splice(0)) await dynamo.stop();
  };
  const createTable = (client: DynamoDBClient) =>
    client.send(
      new CreateTableCommand({
        TableName: 'Table',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dynamo-test-'));
  });

  afterEach(stopAll);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts in memory on 127.0.0.1 with tables active at once', async () => {
    // Prepare
    const client = await start();

    // Act
    await createTable(client);
    const table = await client.send(new DescribeTableCommand({ TableName: 'Table' }));

    // Assess
    expect(running[0]?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(table.Table?.TableStatus).toBe('ACTIVE');
  });

  it('keeps data across a stop and a restart on the same path', async () => {
    // Prepare
    const path = join(dir, 'keep');
    const first = await start({ path });
    await createTable(first);
    await first.send(new PutItemCommand({ TableName: 'Table', Item: { pk: { S: 'a' }, n: { N: '1' } } }));
    await stopAll();

    // Act
    const second = await start({ path });
    const item = await second.send(new GetItemCommand({ TableName: 'Table', Key: { pk: { S: 'a' } } }));

    // Assess
    expect(item.Item).toEqual({ pk: { S: 'a' }, n: { N: '1' } });
  });

  it('wipes the data directory when fresh', async () => {
    // Prepare
    const path = join(dir, 'fresh');
    await createTable(await start({ path }));
    await stopAll();

    // Act
    const client = await start({ path, fresh: true });
    const tables = await client.send(new ListTablesCommand({}));

    // Assess
    expect(tables.TableNames).toEqual([]);
  });

  it('throws a SandboxError instead of crashing when the path is already in use', async () => {
    // Prepare
    const path = join(dir, 'busy');
    await start({ path });

    // Act
    const second = startDynamo({ path });

    // Assess
    await expect(second).rejects.toThrow(SandboxError);
    await expect(startDynamo({ path })).rejects.toThrow(/already in use/);
  });

  it('throws a SandboxError when another holder has the LevelDB lock', async () => {
    // Prepare: hold the lock the way another process would, with dynalite's own LevelDB binding.
    const path = join(dir, 'locked');
    await mkdir(path, { recursive: true });
    const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
    const { Level } = fromDynalite('level') as {
      Level: new (location: string) => { open(): Promise<void>; close(): Promise<void> };
    };
    const holder = new Level(path);
    await holder.open();

    // Act
    const starting = startDynamo({ path });

    // Assess
    await expect(starting).rejects.toThrow(/cannot be opened/);
    await holder.close();
    await expect(start({ path })).resolves.toBeDefined();
  });

  it('stops once however often stop is called', async () => {
    // Prepare
    const dynamo = await startDynamo();

    // Act
    const stops = await Promise.all([dynamo.stop(), dynamo.stop()]);
    await dynamo.stop();

    // Assess
    expect(stops).toEqual([undefined, undefined]);
  });
});
