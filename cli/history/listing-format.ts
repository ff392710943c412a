// Pure formatting of `step-watch executions`: durations, the aligned table's cells, CSV records (RFC 4180) and JSON items.
import type { ExecutionListing } from '../../lambda/core/history';
import { isTerminal } from '../../lambda/core/status';
import { mapAsync } from '../output';
import { csvSafe, terminalSafe } from '../sanitize';
import { csvRecord, streamJson, streamTable, tableCell } from './format';
import type { ListedExecution } from './listing-order';

/** Output formats of `step-watch executions`. */
export const EXECUTIONS_FORMATS = ['table', 'json', 'csv'] as const;

/** One of {@link EXECUTIONS_FORMATS}. */
export type ExecutionsFormat = (typeof EXECUTIONS_FORMATS)[number];

/** Epoch ms of an ISO 8601 time; null for anything else. */
function epochOf(time: string | null): number | null {
  if (time === null) return null;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Seconds from the execution's start to its end, to a tenth; null while it runs, and when either
 * time is missing or unreadable, or the end is before the start.
 */
export function durationSecondsOf(listing: Pick<ExecutionListing, 'startTime' | 'endTime'>): number | null {
  const start = epochOf(listing.startTime);
  const end = epochOf(listing.endTime);
  if (start === null || end === null || end < start) return null;
  return Math.round((end - start) / 100) / 10;
}

/**
 * A duration the way a person reads it, two units at most, the second one zero-padded: `42s`,
 * `4m 05s`, `1h 03m`, `2d 04h`. Parts of a second are dropped.
 *
 * @example
 * ```ts
 * humanDuration(252); // '4m 12s'
 * humanDuration(3_780); // '1h 03m'
 * ```
 */
export function humanDuration(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (whole < 60) return `${whole}s`;
  if (whole < 3_600) return `${Math.floor(whole / 60)}m ${pad(whole % 60)}s`;
  if (whole < 86_400) return `${Math.floor(whole / 3_600)}h ${pad(Math.floor((whole % 3_600) / 60))}m`;
  return `${Math.floor(whole / 86_400)}d ${pad(Math.floor((whole % 86_400) / 3_600))}h`;
}

/**
 * The DURATION cell: start to end once it has ended; `running 4m 12s` (start to `now`) while it is
 * in flight (no end time, a status that is not final); null when the times do not say.
 */
export function durationCell(listing: ExecutionListing, now: number): string | null {
  const seconds = durationSecondsOf(listing);
  if (seconds !== null) return humanDuration(seconds);
  const start = epochOf(listing.startTime);
  if (listing.endTime !== null || isTerminal(listing.status) || start === null || now < start) return null;
  return `running ${humanDuration((now - start) / 1000)}`;
}

/** An ISO time to the second for the table (`2026-11-25T14:02:11Z`); text that is not a time as it is. */
function tableTime(time: string | null): string | null {
  const ms = epochOf(time);
  return ms === null ? time : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A table cell of text the table holds: made safe for a terminal, `-` when empty, cut when long. */
function safeCell(value: string | number | null): string {
  return tableCell(typeof value === 'string' ? terminalSafe(value) : value);
}

/** Column headers of the executions table. */
export const EXECUTIONS_TABLE_HEADERS = [
  'EXECUTION',
  'DOCUMENT',
  'STATUS',
  'STARTED',
  'ENDED',
  'DURATION',
  'ACCOUNT',
  'REGION',
  'PARENT',
  'FAILED STEPS',
  'ALARMS',
] as const;

/**
 * The cells of one execution in the table: an execution listed under its parent is indented with
 * `↳`; times to the second (UTC); a count the snapshot does not have is `?`.
 */
export function executionTableCells({ listing, depth }: ListedExecution, now: number): string[] {
  const id = terminalSafe(listing.executionId);
  return [
    tableCell(depth === 0 ? id : `${'  '.repeat(depth - 1)}↳ ${id}`),
    safeCell(listing.documentName),
    safeCell(listing.status),
    safeCell(tableTime(listing.startTime)),
    safeCell(tableTime(listing.endTime)),
    safeCell(durationCell(listing, now)),
    safeCell(listing.account),
    safeCell(listing.region),
    safeCell(listing.parentExecutionId),
    safeCell(listing.failedSteps ?? '?'),
    safeCell(listing.alarms ?? '?'),
  ];
}

/** One execution as `--format json` prints it: the listing, and its duration in seconds (null while it runs). */
export interface ExecutionJson extends ExecutionListing {
  readonly durationSeconds: number | null;
}

/** The JSON item of one execution: text exactly as stored (JSON escapes what needs escaping), never sanitized. */
export function executionJson(listing: ExecutionListing): ExecutionJson {
  return {
    executionId: listing.executionId,
    documentName: listing.documentName,
    documentVersion: listing.documentVersion,
    status: listing.status,
    startTime: listing.startTime,
    endTime: listing.endTime,
    durationSeconds: durationSecondsOf(listing),
    account: listing.account,
    region: listing.region,
    parentExecutionId: listing.parentExecutionId,
    failedSteps: listing.failedSteps,
    alarms: listing.alarms,
  };
}

/** Columns of the executions CSV, in order; each is a field of {@link ExecutionJson}. */
export const EXECUTIONS_CSV_COLUMNS = [
  'executionId',
  'documentName',
  'documentVersion',
  'status',
  'startTime',
  'endTime',
  'durationSeconds',
  'account',
  'region',
  'parentExecutionId',
  'failedSteps',
  'alarms',
] as const satisfies readonly (keyof ExecutionJson)[];

/**
 * The CSV record of one execution: every text cell through `csvSafe` (no control characters, no
 * formula a spreadsheet would run), then quoted as RFC 4180 asks; null is the empty field, so a
 * running execution has an empty `durationSeconds` and `endTime`.
 */
export function executionCsvRecord(listing: ExecutionListing): string {
  const item = executionJson(listing);
  return csvRecord(
    EXECUTIONS_CSV_COLUMNS.map((column) => {
      const value = item[column];
      return typeof value === 'string' ? csvSafe(value) : value;
    }),
  );
}

/**
 * The output of `executions` in a format, streamed: the table's column widths come from its first
 * rows (see `streamTable`); CSV has a header record; JSON is an array, one execution per line.
 * `now` is what a running execution's duration is counted to.
 */
export async function* executionsOutput(
  format: ExecutionsFormat,
  listed: AsyncIterable<ListedExecution>,
  now: number,
): AsyncGenerator<string> {
  switch (format) {
    case 'table':
      yield* streamTable(
        EXECUTIONS_TABLE_HEADERS,
        mapAsync(listed, (row) => executionTableCells(row, now)),
      );
      return;
    case 'csv':
      yield csvRecord(EXECUTIONS_CSV_COLUMNS);
      yield* mapAsync(listed, (row) => executionCsvRecord(row.listing));
      return;
    case 'json':
      yield* streamJson(mapAsync(listed, (row) => executionJson(row.listing)));
      return;
  }
}
