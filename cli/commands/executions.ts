// `step-watch executions`: the executions the table knows, newest first with children under their parent, as a table, JSON or CSV.
import type { ExecutionListing } from '../../lambda/core/history';
import { parseChoice, parseFlags, parseSinceFlag } from '../args';
import { UsageError } from '../errors';
import { parseStatuses } from '../history/filters';
import { EXECUTIONS_FORMATS, executionsOutput } from '../history/listing-format';
import { inTreeOrder, takeFirst } from '../history/listing-order';
import { Progress, SkippedItems, writeChunks } from '../output';
import { openTable, TABLE_FLAGS } from '../table-access';

const HELP = `Usage: step-watch executions [options]

Lists the executions the table knows: newest first by start time (ties by id), each execution
followed by its children (newest first, indented with ↳ in the table), so a rate-control parent
heads its targets' runs. A child whose parent is not listed (it started before --since, or the
table does not know it) comes after every tree. Columns: execution, document, status, start, end,
duration (\`running 4m 05s\` while it runs), account, region, parent, failed steps, alarms.

Options:
  --since <when>      only executions started since: 7d, 24h, 30m, 90s, 2w or an ISO 8601 time
  --status <s,…>      only executions in one of these statuses, any case (e.g. failed,TimedOut);
                      the flag may be repeated. The children of a parent left out still show.
  --document <p>      only executions of documents whose name starts with <p>
  --roots             only executions without a parent
  --limit <n>         at most n executions
  --format <f>        table (default) | json | csv
  --table <name>      DynamoDB table (default: $TABLE_NAME)
  --local             read the table kept by the last local run (\`npm start\`)
  --region <r>        the table's AWS region (default: AWS_REGION, or the profile's)
  --profile <name>    named profile of ~/.aws/config (default: AWS_PROFILE); --local takes neither,
                      nor --table
  -h, --help          this help`;

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

/** Reads `--limit`: a whole number of at least 1, or a UsageError. */
export function parseLimit(raw: string): number {
  const text = raw.trim();
  const limit = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new UsageError(`executions: --limit must be a whole number of at least 1; got "${raw}".`);
  }
  return limit;
}

/** Whether a listing passes `--status` (any of `statuses`; none given: any) and `--document`. */
export function listingMatcher(
  statuses: readonly string[],
  documentPrefix: string | undefined,
): (listing: ExecutionListing) => boolean {
  const wanted = new Set(statuses);
  return (listing) =>
    (wanted.size === 0 || wanted.has(listing.status)) &&
    (documentPrefix === undefined || listing.documentName.startsWith(documentPrefix));
}

/** Runs `step-watch executions`. */
export async function executionsCommand(args: string[]): Promise<void> {
  const { values } = parseFlags('executions', args, {
    since: { type: 'string' },
    status: { type: 'string', multiple: true },
    document: { type: 'string' },
    roots: { type: 'boolean' },
    limit: { type: 'string' },
    format: { type: 'string' },
    ...TABLE_FLAGS,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const now = Date.now();
  const format = parseChoice('executions', 'format', values.format, EXECUTIONS_FORMATS, 'table');
  const since = values.since === undefined ? undefined : parseSince(values.since, now);
  const statuses = parseStatuses('executions', 'status', values.status ?? []) ?? [];
  const limit = values.limit === undefined ? undefined : parseLimit(values.limit);
  const documentPrefix = values.document === '' ? undefined : values.document;
  const roots = values.roots === true;

  const access = await openTable('executions', {
    table: values.table,
    local: values.local === true,
    region: values.region,
    profile: values.profile,
  });
  // Cleared on the way out too, so an error line never lands on the progress line.
  const progress = new Progress('executions');
  try {
    const skipped = new SkippedItems();
    const reader = access.historyReader({ onCorruptItem: skipped.add, onProgress: progress.update });
    // Roots only: the server filters everything. Otherwise status and document are matched here, as a
    // parent that does not match still places its children.
    const listings = roots
      ? reader.executions({ since, statuses, documentPrefix, rootsOnly: true })
      : reader.executions({ since });
    const listed = takeFirst(inTreeOrder(listings, listingMatcher(statuses, documentPrefix)), limit);
    await writeChunks(executionsOutput(format, listed, now), undefined, progress);
    progress.done();
    skipped.report('executions');
  } finally {
    progress.clear();
    await access.close();
  }
}
