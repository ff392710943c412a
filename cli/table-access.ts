// Opening the table a read command (`history`, `executions`) works on: a deployed one, or the local run's.
import { existsSync } from 'node:fs';
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import {
  DynamoHistoryReader,
  type DynamoHistoryReaderOptions,
} from '../lambda/adapters/dynamodb/history-reader';
import { StepWatchError } from '../lambda/core/errors';
import type { HistoryReader } from '../lambda/core/history';
import { SandboxError } from '../sandbox/errors';
import { AWS_FLAGS, awsTargetOf, clientConfigOf, resolveRegion, watched } from './aws-clients';
import { LocalRunNotFoundError, UsageError } from './errors';

/** The flags that say which table a read command opens, in `parseFlags`' shape. */
export const TABLE_FLAGS = {
  table: { type: 'string' },
  local: { type: 'boolean' },
  ...AWS_FLAGS,
} as const;

/** Which table a read command opens: {@link TABLE_FLAGS} as `parseFlags` returns them. */
export interface TableChoice {
  readonly table?: string;
  readonly local?: boolean;
  readonly region?: string;
  readonly profile?: string;
}

/** How a read command's history reader reports what it meets. */
export type HistoryReporting = Pick<DynamoHistoryReaderOptions, 'onCorruptItem' | 'onProgress'>;

/** The table a read command works on, and how to let go of it. */
export interface TableAccess {
  /** A reader of the table's audit trail, reporting unreadable items and progress as asked. */
  historyReader(reporting: HistoryReporting): HistoryReader;
  /** The table name, with `(local)` for the local run's table, for messages. */
  readonly label: string;
  /** Stops the in-process DynamoDB of `--local`; nothing otherwise. */
  close(): Promise<void>;
}

/**
 * The data directory of the local run's DynamoDB: `STEP_WATCH_LOCAL_DIR` when set, else the one
 * `step-watch local` writes (`<project root>/.local/dynamodb`).
 */
export function localDataDirectory(
  defaultDirectory: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return env.STEP_WATCH_LOCAL_DIR?.trim() || defaultDirectory;
}

/**
 * Opens the table of `--table` / `TABLE_NAME` on the SDK's usual resolution (credentials, region,
 * `AWS_ENDPOINT_URL_DYNAMODB`) with `--region` and `--profile` over it, or with `local` the local
 * run's persisted dynalite, started in-process on a free port. `--local` with any of the others is a
 * UsageError: they name a deployed table, it names the one on this machine.
 */
export async function openTable(command: string, options: TableChoice): Promise<TableAccess> {
  const named = options.table?.trim() || undefined;
  if (!options.local) {
    const tableName = named ?? process.env.TABLE_NAME?.trim();
    if (!tableName)
      throw new UsageError(`${command}: --table <name> (or TABLE_NAME) is required, or --local.`);
    const aws = awsTargetOf(command, options);
    const region = aws.region ?? (await resolveRegion(command, aws));
    const client = watched(new DynamoDBClient(clientConfigOf({ ...aws, region })), 'DynamoDB');
    return {
      historyReader: (reporting) => new DynamoHistoryReader({ ...reporting, tableName, client }),
      label: tableName,
      close: async () => client.destroy(),
    };
  }
  const conflicting = [
    named !== undefined && '--table',
    options.region !== undefined && '--region',
    options.profile !== undefined && '--profile',
  ].filter((flag) => flag !== false);
  if (conflicting.length > 0) {
    throw new UsageError(
      `${command}: --local reads the local run's table on this machine; ${conflicting.join(' and ')} name${conflicting.length === 1 ? 's' : ''} a deployed one: give one or the other.`,
    );
  }

  // The sandbox is loaded only for --local: reading a deployed table needs none of it.
  const { LOCAL_DATA_DIR, LOCAL_TABLE } = await import('../sandbox/local-stack');
  const { startDynamo } = await import('../sandbox/dynamo');
  const directory = localDataDirectory(LOCAL_DATA_DIR);
  const missing = new LocalRunNotFoundError('no local run found: run `npm start` first');
  if (!existsSync(directory)) throw missing;
  let dynamo: Awaited<ReturnType<typeof startDynamo>>;
  try {
    dynamo = await startDynamo({ path: directory });
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    throw new StepWatchError(
      `${command}: the local run's data in ${directory} cannot be opened; if \`npm start\` is still running, stop it first.`,
      { cause: error },
    );
  }
  const tableName = LOCAL_TABLE;
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const close = async (): Promise<void> => {
    client.destroy();
    await dynamo.stop();
  };
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    await close();
    if (error instanceof ResourceNotFoundException) throw missing;
    throw error;
  }
  return {
    historyReader: (reporting) => new DynamoHistoryReader({ ...reporting, tableName, client }),
    label: `${tableName} (local)`,
    close,
  };
}
