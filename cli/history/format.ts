// Pure formatting of the audit trail and execution listings: rows, aligned tables, CSV (RFC 4180) and JSON.

import type { EventDetail } from '../../lambda/core/events';
import type {
  ExecutionListing,
  NotStartedStep,
  TransitionKind,
  TransitionRecord,
} from '../../lambda/core/history';
import { isTerminal } from '../../lambda/core/status';

/**
 * What a history row is: a recorded transition (`step`, `alarm`, `execution`, `unknown`), or a step
 * that sent no event because it never started — `not-run` once its execution has ended (a branch
 * not taken, a step after a failure or a cancel), `not-started` while its execution is in flight.
 */
export type HistoryRowKind = TransitionKind | 'not-run' | 'not-started';

/**
 * One row of the audit trail, flattened for people and spreadsheets: a recorded transition (with
 * `detail`, the full event for tools) or a step that never started (`not-run` / `not-started`: no
 * event, so `observedAt`, `sequence`, `eventId`, `detailType` and `detail` are null).
 */
export interface HistoryRow {
  /** When the poller observed the transition (ISO 8601 UTC); null for a step that never started. */
  readonly observedAt: string | null;
  /** Order within the poll cycle that observed it; null for a step that never started. */
  readonly sequence: number | null;
  readonly executionId: string;
  readonly parentExecutionId: string | null;
  /** 0 for the execution asked for, 1 for its children, and so on. */
  readonly depth: number;
  readonly documentName: string;
  readonly kind: HistoryRowKind;
  /** Null for an execution row, and for a not-started step SSM listed without an id. */
  readonly stepExecutionId: string | null;
  readonly stepName: string | null;
  readonly action: string | null;
  /** Status before the transition (step and execution rows); null on first sight. */
  readonly previousStatus: string | null;
  /** Status reached (step and execution rows), `Pending` for a step that never started; null for alarm rows. */
  readonly status: string | null;
  readonly alarmName: string | null;
  readonly alarmState: string | null;
  /** Start and end of the step (step and alarm rows) or of the execution (execution rows). */
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly failureMessage: string | null;
  /** The execution's status when the transition was observed (for a step that never started: last known). */
  readonly executionStatus: string;
  /** Null for a step that never started. */
  readonly eventId: string | null;
  /** Null for a step that never started. */
  readonly detailType: string | null;
  /** When the event was sent to EventBridge; null while it waits in the outbox, or without an event. */
  readonly sentAt: string | null;
  /** Fields of the detail shortened to fit the entry size limit. */
  readonly truncated: readonly string[];
  /** The full event detail, as published; null for a step that never started. */
  readonly detail: EventDetail | null;
}

/** Output formats of `step-watch history`. */
export const HISTORY_FORMATS = ['table', 'json', 'csv', 'html'] as const;

/** One of {@link HISTORY_FORMATS}. */
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

/** Flattens a transition record into a row. */
export function toHistoryRow(record: TransitionRecord): HistoryRow {
  const { detail } = record;
  const step = detail.step ?? null;
  const isExecution = record.kind === 'execution';
  return {
    observedAt: record.observedAt,
    sequence: record.sequence,
    executionId: record.executionId,
    parentExecutionId: detail.parentExecutionId,
    depth: record.depth,
    documentName: detail.documentName,
    kind: record.kind,
    stepExecutionId: step?.stepExecutionId ?? record.stepExecutionId,
    stepName: step?.stepName ?? null,
    action: textOrNull(step?.action),
    previousStatus: isExecution ? textOrNull(detail.previousStatus) : textOrNull(step?.previousStatus),
    status: record.kind === 'alarm' ? null : isExecution ? detail.executionStatus : textOrNull(step?.status),
    alarmName: detail.alarm?.name ?? null,
    alarmState: detail.alarm?.state ?? null,
    startTime: isExecution ? textOrNull(detail.startTime) : textOrNull(step?.startTime),
    endTime: isExecution ? textOrNull(detail.endTime) : textOrNull(step?.endTime),
    failureMessage: isExecution ? textOrNull(detail.failureMessage) : textOrNull(step?.failureMessage),
    executionStatus: detail.executionStatus,
    eventId: record.eventId,
    detailType: record.detailType,
    sentAt: record.sentAt,
    truncated: detail.truncated,
    detail,
  };
}

/**
 * The row of a step that never started, placed after the rows of its execution (`last`, the last
 * of them): `not-run` if that execution has ended, `not-started` while it is in flight.
 */
export function notStartedRow(step: NotStartedStep, last: HistoryRow): HistoryRow {
  return {
    observedAt: null,
    sequence: null,
    executionId: step.executionId,
    parentExecutionId: last.parentExecutionId,
    depth: last.depth,
    documentName: last.documentName,
    kind: isTerminal(last.executionStatus) ? 'not-run' : 'not-started',
    stepExecutionId: step.stepExecutionId,
    stepName: step.stepName,
    action: null,
    previousStatus: null,
    status: step.status,
    alarmName: null,
    alarmState: null,
    startTime: null,
    endTime: null,
    failureMessage: null,
    executionStatus: last.executionStatus,
    eventId: null,
    detailType: null,
    sentAt: null,
    truncated: [],
    detail: null,
  };
}

/**
 * The history rows of an execution tree: each execution's transitions (as the reader yields them,
 * one execution after another), each execution followed by its steps that never started, asked for
 * with `notStartedSteps` once its last transition has gone by.
 */
export async function* historyRows(
  records: AsyncIterable<TransitionRecord>,
  notStartedSteps: (executionId: string) => Promise<readonly NotStartedStep[]>,
): AsyncGenerator<HistoryRow> {
  let last: HistoryRow | null = null;
  const notStartedAfter = async function* (row: HistoryRow): AsyncGenerator<HistoryRow> {
    for (const step of await notStartedSteps(row.executionId)) yield notStartedRow(step, row);
  };
  for await (const record of records) {
    const row = toHistoryRow(record);
    if (last !== null && last.executionId !== row.executionId) yield* notStartedAfter(last);
    yield row;
    last = row;
  }
  if (last !== null) yield* notStartedAfter(last);
}

/** Whether a row is a step that never started (`not-run` or `not-started`). */
export function isNotStartedRow(row: Pick<HistoryRow, 'kind'>): boolean {
  return row.kind === 'not-run' || row.kind === 'not-started';
}

// ---------------------------------------------------------------------------------------------
// Aligned tables
// ---------------------------------------------------------------------------------------------

/** Widest a table cell gets before it is cut with `…`. */
export const MAX_CELL_WIDTH = 80;

/**
 * Makes a value safe and single-line for a terminal: null becomes `-`, line breaks and tabs become
 * spaces, other control characters (which could drive the terminal) become `�`, and long text is cut.
 */
export function tableCell(value: string | number | null | undefined, maxWidth = MAX_CELL_WIDTH): string {
  if (value === null || value === undefined || value === '') return '-';
  const text = String(value)
    .replace(/[\r\n\t]+/g, ' ')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
  const chars = [...text];
  return chars.length > maxWidth ? `${chars.slice(0, maxWidth - 1).join('')}…` : text;
}

/** Width of a cell in terminal columns, counting code points. */
function widthOf(text: string): number {
  return [...text].length;
}

function widthsOf(headers: readonly string[], rows: readonly (readonly string[])[]): number[] {
  return headers.map((header, i) => Math.max(widthOf(header), ...rows.map((row) => widthOf(row[i] ?? ''))));
}

/** One table line: every cell but the last padded to its column's width, two spaces between columns. */
function alignedLine(cells: readonly string[], widths: readonly number[]): string {
  const padded = cells.map((cell, i) =>
    i === cells.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - widthOf(cell))),
  );
  return `${padded.join('  ').trimEnd()}\n`;
}

/** An aligned table of already-safe cells (see {@link tableCell}), with a header line. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = widthsOf(headers, rows);
  return [headers, ...rows].map((row) => alignedLine(row, widths)).join('');
}

/**
 * Streams an aligned table: column widths come from the header and the first `sample` rows, so
 * output starts before the last page is read; a later, wider cell pushes its line out of line.
 */
export async function* streamTable(
  headers: readonly string[],
  rows: AsyncIterable<readonly string[]>,
  sample = 500,
): AsyncGenerator<string> {
  const buffered: (readonly string[])[] = [];
  let widths: number[] | null = null;
  for await (const row of rows) {
    if (widths) {
      yield alignedLine(row, widths);
      continue;
    }
    buffered.push(row);
    if (buffered.length >= sample) {
      widths = widthsOf(headers, buffered);
      yield formatTable(headers, buffered);
    }
  }
  if (!widths) yield formatTable(headers, buffered);
}

/** Column headers of the history table. */
export const HISTORY_TABLE_HEADERS = [
  'OBSERVED',
  'EXECUTION',
  'KIND',
  'STEP',
  'FROM',
  'TO',
  'ALARM',
  'MESSAGE',
] as const;

/**
 * The cells of one history row in the table; children are indented under their parent. A step that
 * never started has no time or FROM, `Pending` as TO and `not run` (or `not started`) as message.
 */
export function historyTableCells(row: HistoryRow): string[] {
  const execution = row.depth === 0 ? row.executionId : `${'  '.repeat(row.depth - 1)}↳ ${row.executionId}`;
  const notStarted = isNotStartedRow(row);
  const isStepLike = row.kind === 'step' || row.kind === 'alarm' || notStarted;
  return [
    tableCell(row.observedAt),
    tableCell(execution),
    tableCell(row.kind),
    tableCell(isStepLike ? row.stepName : null),
    tableCell(row.kind === 'alarm' || notStarted ? null : (row.previousStatus ?? '(new)')),
    tableCell(row.status),
    tableCell(row.alarmName === null ? null : `${row.alarmName} (${row.alarmState ?? '?'})`),
    tableCell(notStarted ? row.kind.replace('-', ' ') : row.failureMessage),
  ];
}

/** The history as an aligned table. */
export function formatHistoryTable(rows: readonly HistoryRow[]): string {
  return formatTable(HISTORY_TABLE_HEADERS, rows.map(historyTableCells));
}

/** Column headers of the executions table. */
export const EXECUTIONS_TABLE_HEADERS = [
  'STARTED',
  'EXECUTION',
  'DOCUMENT',
  'STATUS',
  'FAILED STEPS',
  'ALARMS',
  'PARENT',
] as const;

/** The cells of one execution in the executions table. */
export function executionTableCells(listing: ExecutionListing): string[] {
  return [
    tableCell(listing.startTime),
    tableCell(listing.executionId),
    tableCell(listing.documentName),
    tableCell(listing.status),
    tableCell(listing.failedSteps ?? '?'),
    tableCell(listing.alarms ?? '?'),
    tableCell(listing.parentExecutionId),
  ];
}

/** The executions as an aligned table. */
export function formatExecutionsTable(listings: readonly ExecutionListing[]): string {
  return formatTable(EXECUTIONS_TABLE_HEADERS, listings.map(executionTableCells));
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/** Columns of the history CSV, in order; each is a {@link HistoryRow} field. */
export const HISTORY_CSV_COLUMNS = [
  'observedAt',
  'sequence',
  'executionId',
  'parentExecutionId',
  'documentName',
  'kind',
  'stepExecutionId',
  'stepName',
  'action',
  'previousStatus',
  'status',
  'alarmName',
  'alarmState',
  'startTime',
  'endTime',
  'failureMessage',
  'executionStatus',
  'eventId',
  'detailType',
  'sentAt',
  'truncated',
] as const satisfies readonly (keyof HistoryRow)[];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a double quote, CR or LF, with inner
 * quotes doubled; null is the empty field.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record, ended by CRLF as RFC 4180 asks. */
export function csvRecord(values: readonly (string | number | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The CSV record of one history row; `truncated` is `;`-separated. */
export function historyCsvRecord(row: HistoryRow): string {
  return csvRecord(
    HISTORY_CSV_COLUMNS.map((column) => {
      const value = row[column];
      return Array.isArray(value) ? value.join(';') : (value as string | number | null);
    }),
  );
}

/** The history as CSV with a header record. */
export function formatHistoryCsv(rows: readonly HistoryRow[]): string {
  return csvRecord(HISTORY_CSV_COLUMNS) + rows.map(historyCsvRecord).join('');
}

/** Streams the history as CSV, header first. */
export async function* streamHistoryCsv(rows: AsyncIterable<HistoryRow>): AsyncGenerator<string> {
  yield csvRecord(HISTORY_CSV_COLUMNS);
  for await (const row of rows) yield historyCsvRecord(row);
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/** A JSON array with one item per line, so it stays greppable and parses as a whole. */
export function formatJson(items: readonly unknown[]): string {
  return items.length === 0 ? '[]\n' : `[\n${items.map((item) => JSON.stringify(item)).join(',\n')}\n]\n`;
}

/** Streams the same text as {@link formatJson}, item by item. */
export async function* streamJson(items: AsyncIterable<unknown>): AsyncGenerator<string> {
  let first = true;
  for await (const item of items) {
    yield `${first ? '[\n' : ',\n'}${JSON.stringify(item)}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
