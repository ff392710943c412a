// `step-watch table create`: creates the table with the schema the CDK stack deploys, for local use.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../lambda/adapters/dynamodb/create-table';
import { parseFlags, requireFlag } from '../args';
import {
  AWS_FLAGS,
  AWS_FLAGS_HELP,
  awsTargetOf,
  clientConfigOf,
  resolveRegion,
  watched,
} from '../aws-clients';
import { UsageError } from '../errors';

const HELP = `Usage: step-watch table create --table <name> [options]

Creates the table with the keys and indexes the CDK stack deploys, for local endpoints
(AWS_ENDPOINT_URL_DYNAMODB); a deployed stack has made its own (its output TableName).

Options:
  --table <name>         the table to create
${AWS_FLAGS_HELP}`;

/** Runs `step-watch table <subcommand>`. */
export async function tableCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    'table',
    args,
    { table: { type: 'string' }, ...AWS_FLAGS, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (positionals[0] !== 'create' || positionals.length !== 1) {
    throw new UsageError(
      'table: usage: step-watch table create --table <name> [--region <r>] [--profile <name>]',
    );
  }
  const tableName = requireFlag('table create', 'table', values.table);
  const aws = awsTargetOf('table create', values);
  const region = aws.region ?? (await resolveRegion('table create', aws));
  const client = watched(new DynamoDBClient(clientConfigOf({ ...aws, region })), 'DynamoDB');
  const created = await createTable(client, tableName);
  process.stdout.write(`${created ? 'created' : 'exists'}: ${tableName}\n`);
}
