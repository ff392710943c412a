// `step-watch history`: an execution's audit trail (and its children's) as a table, JSON, CSV or an HTML timeline.
import type { ExecutionListing } from '../../lambda/core/history';
import { FAILURE_STATUSES } from '../../lambda/core/status';
import { parseChoice, parseFlags } from '../args';
import { ExecutionNotFoundError, UsageError } from '../errors';
import { parseStatuses } from '../history/filters';
import {
  HISTORY_FORMATS,
  type HistoryFormat,
  type HistoryRow,
  historyRows,
  streamHistoryReportCsv,
  streamHistoryReportJson,
  streamHistoryReportTable,
} from '../history/format';
import { buildReport, type HistoryReport } from '../history/report';
import { renderTimeline } from '../history/timeline';
import { Progress, SkippedItems, writeChunks } from '../output';
import { openTable, TABLE_FLAGS } from '../table-access';

const HELP = `Usage: step-watch history <executionId> [options]

Prints a summary of an execution and of its child executions (status counts, duration, every
failure with its whole message, alarms, account and Region), the targets of a rate-control or
multi-account run (one per target, failed first), then every recorded transition: the execution's
own in the order they were observed, then its steps that never started (kind not-run, or
not-started while it runs: they sent no event), then each child's, failed children first.

Options:
  --format <f>     table (default) | json | csv | html (a self-contained timeline page of the
                   whole run: it takes no filter, it has its own "Failed only" box and search)
  --failed         only steps, executions and targets that ended in a failure-like status
                   (${FAILURE_STATUSES.join(', ')}); added to those of --status
  --status <s>     only those whose last status is s (any case; repeat it or separate by commas)
  --step <name>    only the rows of steps with this name
  --target <value> only the child run for this target (and the parent's step for it)
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
      failed: { type: 'boolean' },
      status: { type: 'string', multiple: true },
      step: { type: 'string' },
      target: { type: 'string' },
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
  const statuses = parseStatuses('history', 'status', values.status ?? [], values.failed === true);
  for (const flag of ['step', 'target'] as const) {
    if (values[flag] !== undefined && values[flag].trim() === '') {
      throw new UsageError(`history: --${flag} needs a value.`);
    }
  }
  if (
    format === 'html' &&
    (statuses !== undefined || values.step !== undefined || values.target !== undefined)
  ) {
    throw new UsageError(
      'history: --format html holds the whole run (narrow it with its "Failed only" box and search); drop --failed, --status, --step and --target.',
    );
  }
  const filter = {
    ...(statuses !== undefined && { statuses }),
    ...(values.step !== undefined && { step: values.step }),
    ...(values.target !== undefined && { target: values.target }),
  };

  const access = await openTable('history', {
    table: values.table,
    local: values.local === true,
    region: values.region,
    profile: values.profile,
  });
  // Cleared on the way out too, so an error line never lands on the progress line.
  const progress = new Progress('history');
  try {
    const skipped = new SkippedItems();
    const reader = access.historyReader({ onCorruptItem: skipped.add, onProgress: progress.update });
    const execution = await reader.execution(executionId);
    if (!execution && !(await reader.exists(executionId))) {
      throw new ExecutionNotFoundError(`history: no execution ${executionId} in table ${access.label}.`);
    }
    // The summary comes first and speaks of the whole run, so every row is read before printing.
    const rows: HistoryRow[] = [];
    for await (const row of historyRows(reader.transitions(executionId), (id) =>
      reader.notStartedSteps(id),
    )) {
      rows.push(row);
    }
    const report = buildReport({ rows, executionId, execution, filter });
    await writeChunks(
      chunksOf(format, report, execution, executionId, access.label),
      values.output,
      progress,
    );
    progress.done();
    skipped.report('history');
  } finally {
    progress.clear();
    await access.close();
  }
}

async function* chunksOf(
  format: HistoryFormat,
  report: HistoryReport,
  execution: ExecutionListing | null,
  executionId: string,
  source: string,
): AsyncGenerator<string> {
  switch (format) {
    case 'table':
      yield* streamHistoryReportTable(report);
      return;
    case 'csv':
      yield* streamHistoryReportCsv(report);
      return;
    case 'json':
      yield* streamHistoryReportJson(report);
      return;
    case 'html':
      yield renderTimeline({ report, execution, executionId, source });
      return;
  }
}
