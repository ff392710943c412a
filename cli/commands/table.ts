// `step-watch table create`: creates the table with the schema the CDK stack deploys, for local use.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../lambda/adapters/dynamodb/create-table';
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
