// `step-watch executions`: the executions the table knows, newest first, with failed-step and alarm counts.
import { parseChoice, parseFlags, parseSinceFlag } from '../args';
import { UsageError } from '../errors';
import { EXECUTIONS_TABLE_HEADERS, executionTableCells, streamJson, streamTable } from '../history/format';
import { mapAsync, Progress, SkippedItems, writeChunks } from '../output';
import { openTable } from '../table-access';

const HELP = `Usage: step-watch executions [options]

Lists the executions the table knows, newest first, with the number of failed steps and alarms.

Options:
  --since <when>      only executions started since: 7d, 24h, 30m, 90s, 2w or an ISO 8601 time
  --status <s>        only executions in this status (e.g. Failed)
  --document <p>      only executions of documents whose name starts with <p>
  --format <f>        table (default) | json
  --table <name>      DynamoDB table (default: $TABLE_NAME)
  --local             read the table kept by the last local run (\`npm start\`)
  -h, --help          this help`;

const FORMATS = ['table', 'json'] as const;

/**
 * Reads `--since`: a duration back from `now` (`30m`, `24h`, `7d`, `90s`, `2w`) or an ISO 8601 date
 * or date-time. Anything else is a UsageError.
 *
 * @example
 * parseSince('7d', Date.parse('2026-11-25T00:00:00Z')); // 2026-11-18T00:00:00.000Z
 */
export function parseSince(raw: string, now: number): Date {
  return parseSinceFlag('executions', raw, now);
}

/** Runs `step-watch executions`. */
export async function executionsCommand(args: string[]): Promise<void> {
  const { values } = parseFlags('executions', args, {
    since: { type: 'string' },
    status: { type: 'string' },
    document: { type: 'string' },
    format: { type: 'string' },
    table: { type: 'string' },
    local: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const format = parseChoice('executions', 'format', values.format, FORMATS, 'table');
  const since = values.since === undefined ? undefined : parseSince(values.since, Date.now());
  const status = values.status?.trim();
  if (status === '') throw new UsageError('executions: --status needs a status, e.g. Failed.');

  const access = await openTable('executions', { table: values.table, local: values.local === true });
  try {
    const progress = new Progress('executions');
    const skipped = new SkippedItems();
    const reader = access.historyReader({ onCorruptItem: skipped.add, onProgress: progress.update });
    const listings = reader.executions({ since, status, documentPrefix: values.document });
    const chunks =
      format === 'json'
        ? streamJson(listings)
        : streamTable(EXECUTIONS_TABLE_HEADERS, mapAsync(listings, executionTableCells));
    await writeChunks(chunks, undefined, progress);
    progress.done();
    skipped.report('executions');
  } finally {
    await access.close();
  }
}
