// `step-watch history`: an execution's audit trail (and its children's) as a table, JSON, CSV or an HTML timeline.
import type { ExecutionListing } from '../../lambda/core/history';
import { parseChoice, parseFlags } from '../args';
import { ExecutionNotFoundError, UsageError } from '../errors';
import {
  HISTORY_FORMATS,
  HISTORY_TABLE_HEADERS,
  type HistoryFormat,
  type HistoryRow,
  historyRows,
  historyTableCells,
  streamHistoryCsv,
  streamJson,
  streamTable,
} from '../history/format';
import { renderTimeline } from '../history/timeline';
import { mapAsync, Progress, SkippedItems, writeChunks } from '../output';
import { openTable, TABLE_FLAGS } from '../table-access';

const HELP = `Usage: step-watch history <executionId> [options]

Prints every recorded transition of an execution and of its child executions (recursively):
the execution's own transitions in the order they were observed, then its steps that never
started (kind not-run, or not-started while it runs: they sent no event), then each child's.

Options:
  --format <f>     table (default) | json | csv | html (a self-contained timeline page)
  --table <name>   DynamoDB table (default: $TABLE_NAME)
  --local          read the table kept by the last local run (\`npm start\`) in .local/dynamodb
  --region <r>     the table's AWS region (default: AWS_REGION, or the profile's)
  --profile <name> named profile of ~/.aws/config (default: AWS_PROFILE); --local takes neither,
                   nor --table
  --output <file>  write to a file instead of stdout
  -h, --help       this help

Endpoint: AWS_ENDPOINT_URL_DYNAMODB. With --local, STEP_WATCH_LOCAL_DIR overrides the data directory.`;

/** Runs `step-watch history`. */
export async function historyCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    'history',
    args,
    {
      format: { type: 'string' },
      ...TABLE_FLAGS,
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const executionId = positionals[0]?.trim() ?? '';
  if (positionals.length !== 1 || executionId === '') {
    throw new UsageError(
      'history: give one execution id: step-watch history <executionId> [--format table|json|csv|html].',
    );
  }
  const format = parseChoice('history', 'format', values.format, HISTORY_FORMATS, 'table');
  if (values.output !== undefined && values.output.trim() === '') {
    throw new UsageError('history: --output needs a file name.');
  }

  const access = await openTable('history', {
    table: values.table,
    local: values.local === true,
    region: values.region,
    profile: values.profile,
  });
  try {
    const progress = new Progress('history');
    const skipped = new SkippedItems();
    const reader = access.historyReader({ onCorruptItem: skipped.add, onProgress: progress.update });
    const execution = await reader.execution(executionId);
    if (!execution && !(await reader.exists(executionId))) {
      throw new ExecutionNotFoundError(`history: no execution ${executionId} in table ${access.label}.`);
    }
    const rows = historyRows(reader.transitions(executionId), (id) => reader.notStartedSteps(id));
    await writeChunks(chunksOf(format, rows, execution, executionId, access.label), values.output, progress);
    progress.done();
    skipped.report('history');
  } finally {
    await access.close();
  }
}

async function* chunksOf(
  format: HistoryFormat,
  rows: AsyncIterable<HistoryRow>,
  execution: ExecutionListing | null,
  executionId: string,
  source: string,
): AsyncGenerator<string> {
  switch (format) {
    case 'table':
      yield* streamTable(HISTORY_TABLE_HEADERS, mapAsync(rows, historyTableCells));
      return;
    case 'csv':
      yield* streamHistoryCsv(rows);
      return;
    case 'json':
      yield* streamJson(rows);
      return;
    case 'html': {
      // One tree's rows are bounded; the timeline needs all of them to lay out its time axis.
      const all: HistoryRow[] = [];
      for await (const row of rows) all.push(row);
      yield renderTimeline({ rows: all, execution, executionId, source });
      return;
    }
  }
}
