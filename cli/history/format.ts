// Pure formatting of the audit trail and execution listings: rows, aligned tables, CSV (RFC 4180) and JSON.

import type { EventDetail } from '../../lambda/core/events';
import type { NotStartedStep, TransitionKind, TransitionRecord } from '../../lambda/core/history';
import { isTerminal } from '../../lambda/core/status';
import { jsonLine } from '../output';
import { csvSafe, terminalSafe } from '../sanitize';
import type { HistoryFilter } from './filters';
import type { HistoryReport } from './report';
import type { StatusCounts, SummaryAlarm, SummaryFailure, SummaryTarget } from './summary';
import { durationWords, secondsBetween } from './times';

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
  /** The account and Region the execution ran in (from the event detail); null when unknown. */
  readonly account: string | null;
  readonly region: string | null;
  /** Seconds from start to end (step, alarm and execution rows), to a tenth; null until both are known. */
  readonly durationSeconds: number | null;
  /**
   * The target value of the execution, when it is a child a rate-control or multi-account parent
   * started for a target (see `targetOf` in run-tree.ts); null otherwise. Set by {@link withTargets}.
   */
  readonly target: string | null;
  /** The loop step (`aws:loop`) the step ran inside; null outside loops and in old events. */
  readonly parentStepName: string | null;
  /** The loop iteration the step ran in; null outside loops. */
  readonly iteration: number | null;
  /** The value the loop iterated over in that iteration; null without one. */
  readonly iteratorValue: string | null;
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
  const startTime = isExecution ? textOrNull(detail.startTime) : textOrNull(step?.startTime);
  const endTime = isExecution ? textOrNull(detail.endTime) : textOrNull(step?.endTime);
  const loop = step?.parentStep ?? null;
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
    startTime,
    endTime,
    failureMessage: isExecution ? textOrNull(detail.failureMessage) : textOrNull(step?.failureMessage),
    executionStatus: detail.executionStatus,
    eventId: record.eventId,
    detailType: record.detailType,
    sentAt: record.sentAt,
    truncated: detail.truncated,
    account: textOrNull(detail.account),
    region: textOrNull(detail.region),
    durationSeconds: secondsBetween(startTime, endTime),
    target: null,
    parentStepName: loop?.stepName ?? null,
    iteration: loop?.iteration ?? null,
    iteratorValue: loop?.iteratorValue ?? null,
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
    account: last.account,
    region: last.region,
    durationSeconds: null,
    target: last.target,
    parentStepName: null,
    iteration: null,
    iteratorValue: null,
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

/** Widest a table cell gets before the middle of it is cut with `…` (its tail kept). */
export const MAX_CELL_WIDTH = 80;

/** Width a failure message is wrapped to in a table, the rest going on continuation lines. */
export const MESSAGE_WIDTH = 100;

/**
 * Makes a value safe and single-line for a terminal ({@link terminalSafe}: no control character,
 * escape sequence, bidi or zero-width character); null and empty become `-`, and text wider than
 * `maxWidth` is cut in the middle, keeping its start and its tail (ids and names differ at the end).
 */
export function tableCell(value: string | number | null | undefined, maxWidth = MAX_CELL_WIDTH): string {
  if (value === null || value === undefined || value === '') return '-';
  const text = terminalSafe(String(value));
  if (text === '') return '-';
  const chars = [...text];
  if (chars.length <= maxWidth) return text;
  const tail = Math.floor((maxWidth - 1) / 2);
  return `${chars.slice(0, maxWidth - 1 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

/**
 * Makes a message safe for a terminal like {@link tableCell}, keeping all of it: its own line breaks
 * are kept as breaks, and lines wider than `width` wrap at a space where there is one. Lines are
 * joined with `\n`; {@link formatTable} puts them under the last column.
 */
export function wrappedCell(value: string | null | undefined, width = MESSAGE_WIDTH): string {
  if (value === null || value === undefined || value === '') return '-';
  const lines: string[] = [];
  for (const raw of value.split(/\r\n|[\n\r\u2028\u2029\u0085]/)) {
    let rest = [...terminalSafe(raw).trimEnd()];
    while (rest.length > width) {
      const space = rest.lastIndexOf(' ', width);
      const cut = space > width / 2 ? space : width;
      lines.push(rest.slice(0, cut).join('').trimEnd());
      rest = rest.slice(cut).join('').trimStart().split('');
      rest = [...rest.join('')];
    }
    lines.push(rest.join(''));
  }
  const text = lines.join('\n').replace(/^\n+|\n+$/g, '');
  return text === '' ? '-' : text;
}

/** Width of a cell in terminal columns, counting code points (the widest line of a wrapped cell). */
function widthOf(text: string): number {
  let widest = 0;
  for (const line of text.split('\n')) widest = Math.max(widest, [...line].length);
  return widest;
}

function widthsOf(headers: readonly string[], rows: readonly (readonly string[])[]): number[] {
  // A loop, not Math.max(...rows): a 20,000-step history has more rows than a call takes arguments.
  const widths = headers.map(widthOf);
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, widthOf(cell));
    });
  }
  return widths;
}

/**
 * One table line: every cell but the last padded to its column's width, two spaces between columns;
 * a last cell of several lines continues on lines indented to its column.
 */
function alignedLine(cells: readonly string[], widths: readonly number[]): string {
  const padded = cells.map((cell, i) =>
    i === cells.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - widthOf(cell))),
  );
  const line = padded.join('  ');
  if (!line.includes('\n')) return `${line.trimEnd()}\n`;
  const indent = ' '.repeat(widths.slice(0, cells.length - 1).reduce((n, w) => n + w + 2, 0));
  const [first = '', ...more] = line.split('\n');
  return `${[first.trimEnd(), ...more.map((l) => `${indent}${l}`.trimEnd())].join('\n')}\n`;
}

/** An aligned table of already-safe cells (see {@link tableCell} and {@link wrappedCell}), with a header line. */
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
  rows: AsyncIterable<readonly string[]> | Iterable<readonly string[]>,
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

/** Which optional columns a history table shows: a target column for runs with targets, account and Region for runs across several. */
export interface HistoryColumns {
  readonly target: boolean;
  readonly place: boolean;
}

/** The optional columns the rows need: TARGET when any row ran for a target, ACCOUNT/REGION when they span more than one. */
export function historyColumnsOf(rows: readonly HistoryRow[]): HistoryColumns {
  const places = new Set(rows.map((r) => `${r.account}/${r.region}`));
  return { target: rows.some((r) => r.target !== null), place: places.size > 1 };
}

/** Column headers of the history table. */
export function historyTableHeaders(columns: HistoryColumns = { target: false, place: false }): string[] {
  return [
    'OBSERVED',
    'EXECUTION',
    ...(columns.target ? ['TARGET'] : []),
    ...(columns.place ? ['ACCOUNT/REGION'] : []),
    'KIND',
    'STEP',
    'FROM',
    'TO',
    'DURATION',
    'ALARM',
    'MESSAGE',
  ];
}

/** The step as a table names it: inside a loop, `loop[iteration value] › step`. */
export function stepLabel(
  step: Pick<HistoryRow, 'stepName' | 'iteration' | 'iteratorValue'> & { readonly loop: string | null },
): string | null {
  if (step.stepName === null) return null;
  if (step.loop === null) return step.stepName;
  const where = [step.iteration, step.iteratorValue].filter((part) => part !== null).join(' ');
  return `${step.loop}[${where}] › ${step.stepName}`;
}

/** Alarms a row shows: the alarm of an alarm row, else the alarms its step lists as triggered. */
function alarmText(row: HistoryRow): string | null {
  if (row.alarmName !== null) return `${row.alarmName} (${row.alarmState ?? '?'})`;
  const triggered = row.detail?.step?.triggeredAlarms ?? [];
  return triggered.length === 0 ? null : triggered.map((a) => `${a.name} (${a.state})`).join(', ');
}

/**
 * The cells of one history row in the table; children are indented under their parent. A step that
 * never started has no time or FROM, `Pending` as TO and `not run` (or `not started`) as message.
 * The message is whole, wrapped onto continuation lines.
 */
export function historyTableCells(
  row: HistoryRow,
  columns: HistoryColumns = { target: false, place: false },
): string[] {
  const execution = row.depth === 0 ? row.executionId : `${'  '.repeat(row.depth - 1)}↳ ${row.executionId}`;
  const notStarted = isNotStartedRow(row);
  const isStepLike = row.kind === 'step' || row.kind === 'alarm' || notStarted;
  return [
    tableCell(row.observedAt),
    tableCell(execution),
    ...(columns.target ? [tableCell(row.target)] : []),
    ...(columns.place
      ? [tableCell(row.account === null ? null : `${row.account}/${row.region ?? '?'}`)]
      : []),
    tableCell(row.kind),
    tableCell(isStepLike ? stepLabel({ ...row, loop: row.parentStepName }) : null),
    tableCell(row.kind === 'alarm' || notStarted ? null : (row.previousStatus ?? '(new)')),
    tableCell(row.status),
    tableCell(row.durationSeconds === null ? null : durationWords(row.durationSeconds)),
    tableCell(alarmText(row)),
    notStarted ? row.kind.replace('-', ' ') : wrappedCell(row.failureMessage),
  ];
}

/**
 * The rows as an aligned table with its header line, in chunks: the columns' widths come from every
 * row (all are in memory, since the summary comes first), so no later row runs out of line.
 */
export function* historyTable(rows: readonly HistoryRow[]): Generator<string> {
  const columns = historyColumnsOf(rows);
  const headers = historyTableHeaders(columns);
  const cells = rows.map((row) => historyTableCells(row, columns));
  const widths = widthsOf(headers, cells);
  let chunk = alignedLine(headers, widths);
  for (const line of cells) {
    chunk += alignedLine(line, widths);
    if (chunk.length > 64_000) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/** Column headers of the targets table. */
export const TARGET_TABLE_HEADERS = [
  'TARGET',
  'OUTCOME',
  'DURATION',
  'EXECUTION',
  'ACCOUNT/REGION',
  'FAILED STEP',
  'ALARMS',
  'MESSAGE',
] as const;

/** The cells of one target in the targets table. */
export function targetTableCells(target: SummaryTarget): string[] {
  return [
    tableCell(target.target ?? '(unnamed)'),
    tableCell(target.outcome),
    tableCell(durationWords(target.durationSeconds)),
    tableCell(target.executionId),
    tableCell(target.account === null ? null : `${target.account}/${target.region ?? '?'}`),
    tableCell(target.failedStep),
    tableCell(target.alarms.join(', ')),
    wrappedCell(target.failureMessage),
  ];
}

/** `12 Success, 3 Failed` from counts by status. */
function countsText(counts: StatusCounts): string {
  const parts = Object.entries(counts.byStatus).map(([status, n]) => `${n} ${terminalSafe(status)}`);
  return `${counts.total}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

/** A filter as the flags that asked for it. */
export function filterText(filter: HistoryFilter): string {
  const parts: string[] = [];
  if (filter.statuses) parts.push(`--status ${filter.statuses.join(',')}`);
  if (filter.step !== undefined) parts.push(`--step ${filter.step}`);
  if (filter.target !== undefined) parts.push(`--target ${filter.target}`);
  return parts.join(' ');
}

/** The summary as aligned `Label  value` lines, then the failures and alarms, every message whole. */
export function formatSummaryText(report: HistoryReport): string {
  const s = report.summary;
  const lines: [string, string][] = [
    [
      'Execution',
      `${tableCell(s.executionId)}  ${tableCell(s.documentName)}${s.documentVersion ? ` v${tableCell(s.documentVersion)}` : ''}`,
    ],
    ['Status', tableCell(s.status)],
    ['Account', tableCell(s.account)],
    ['Region', tableCell(s.region)],
    ['Started', tableCell(s.startTime)],
    ['Ended', tableCell(s.endTime)],
    ['Duration', durationWords(s.durationSeconds)],
    ['Steps', countsText(s.steps)],
  ];
  if (s.parentExecutionId) lines.splice(1, 0, ['Parent', tableCell(s.parentExecutionId)]);
  if (s.children.total > 0) lines.push(['Children', countsText(s.children)]);
  if (s.targets) lines.push(['Targets', countsText(s.targets)]);
  if (s.consoleUrl) lines.push(['Console', s.consoleUrl]);
  // Every field of a filter narrows; none given, nothing is filtered.
  const filtered = Object.values(report.filter).some((part) => part !== undefined);
  lines.push([
    'Rows',
    filtered
      ? `${report.rows.length} of ${report.totalRows} (${terminalSafe(filterText(report.filter))})`
      : `${report.totalRows}${report.totalRows > 50 ? ' (--failed, --status, --step and --target narrow them)' : ''}`,
  ]);
  const width = Math.max(...lines.map(([label]) => label.length)) + 2;
  let text = lines.map(([label, value]) => `${label.padEnd(width)}${value}\n`).join('');
  if (s.failures.length > 0) {
    text += `\nFailures (${s.failures.length}):\n`;
    const rows = s.failures.map((f) => [
      tableCell(f.target ?? f.executionId),
      tableCell(f.status),
      tableCell(stepLabel({ ...f, loop: f.loopStepName }) ?? '(execution)'),
      wrappedCell(f.failureMessage),
    ]);
    text += indentLines(formatTable([s.targets ? 'TARGET' : 'EXECUTION', 'STATUS', 'STEP', 'MESSAGE'], rows));
  }
  if (s.alarms.length > 0) {
    text += `\nAlarms (${s.alarms.length}):\n`;
    const rows = s.alarms.map((a) => [
      tableCell(a.name),
      tableCell(a.state),
      tableCell(a.target ?? a.executionId),
      tableCell(a.stepName ?? '(execution)'),
      tableCell(a.observedAt),
    ]);
    text += indentLines(
      formatTable(['ALARM', 'STATE', s.targets ? 'TARGET' : 'EXECUTION', 'STEP', 'OBSERVED'], rows),
    );
  }
  return text;
}

function indentLines(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

/** The whole report as text: the summary, then the targets table (failed first), then the rows table. */
export function* streamHistoryReportTable(report: HistoryReport): Generator<string> {
  yield formatSummaryText(report);
  if (report.summary.targets) {
    yield `\nTargets (${report.targets.length}${report.targets.length === report.summary.targets.total ? '' : ` of ${report.summary.targets.total}`}), failed first:\n`;
    yield formatTable(TARGET_TABLE_HEADERS, report.targets.map(targetTableCells));
  }
  yield '\nTransitions:\n';
  yield* historyTable(report.rows);
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/** Columns of the history CSV's transitions section, in order; each is a {@link HistoryRow} field. */
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
  'account',
  'region',
  'durationSeconds',
  'target',
  'parentStepName',
  'iteration',
  'iteratorValue',
] as const satisfies readonly (keyof HistoryRow)[];

/** Columns of the CSV's targets section. */
export const TARGET_CSV_COLUMNS = [
  'target',
  'outcome',
  'executionId',
  'account',
  'region',
  'startTime',
  'endTime',
  'durationSeconds',
  'failedStep',
  'failureMessage',
  'alarms',
  'consoleUrl',
] as const satisfies readonly (keyof SummaryTarget)[];

/** Columns of the CSV's failures section. */
export const FAILURE_CSV_COLUMNS = [
  'target',
  'executionId',
  'documentName',
  'stepName',
  'loopStepName',
  'iteration',
  'iteratorValue',
  'status',
  'failureMessage',
  'account',
  'region',
  'consoleUrl',
] as const satisfies readonly (keyof SummaryFailure)[];

/** Columns of the CSV's alarms section. */
export const ALARM_CSV_COLUMNS = [
  'name',
  'state',
  'target',
  'executionId',
  'stepName',
  'observedAt',
] as const satisfies readonly (keyof SummaryAlarm)[];

/** The one-field record that opens each section of the history CSV. */
export const CSV_SECTIONS = {
  summary: 'Summary',
  failures: 'Failures',
  alarms: 'Alarms',
  targets: 'Targets',
  transitions: 'Transitions',
} as const;

/**
 * One CSV field (RFC 4180): text made spreadsheet-safe with {@link csvSafe} (no control character,
 * a formula start neutralised with `'`), then quoted when it holds a comma, a double quote, CR or
 * LF, with inner quotes doubled; a number as it is; null is the empty field.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = csvSafe(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record, ended by CRLF as RFC 4180 asks. */
export function csvRecord(values: readonly (string | number | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function csvValue(value: unknown): string | number | null {
  if (Array.isArray(value)) return value.join(';');
  if (typeof value === 'string' || typeof value === 'number') return value;
  return null;
}

/** The CSV record of one history row; `truncated` is `;`-separated. */
export function historyCsvRecord(row: HistoryRow): string {
  return csvRecord(HISTORY_CSV_COLUMNS.map((column) => csvValue(row[column])));
}

/** The rows as CSV records after a header record, in chunks: the report's `Transitions` section. */
export function* historyCsv(rows: readonly HistoryRow[]): Generator<string> {
  let chunk = csvRecord(HISTORY_CSV_COLUMNS);
  for (const row of rows) {
    chunk += historyCsvRecord(row);
    if (chunk.length > 64_000) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

function csvSection<T>(title: string, columns: readonly (keyof T & string)[], items: readonly T[]): string {
  return (
    csvRecord([title]) +
    csvRecord(columns) +
    items.map((item) => csvRecord(columns.map((column) => csvValue(item[column])))).join('') +
    '\r\n'
  );
}

/**
 * The report as CSV a spreadsheet reads top to bottom: sections, each opened by a record with its
 * name alone ({@link CSV_SECTIONS}) and ended by an empty line. `Summary` holds `field,value`
 * records (counts as `steps Failed,3`); `Failures`, `Alarms`, `Targets` (only for a run with
 * targets) and `Transitions` each start with a header record. A program reads the rows as before
 * from the record after the one that says `Transitions`.
 */
export function* streamHistoryReportCsv(report: HistoryReport): Generator<string> {
  const s = report.summary;
  const fields: [string, string | number | null][] = [
    ['executionId', s.executionId],
    ['documentName', s.documentName],
    ['documentVersion', s.documentVersion],
    ['status', s.status],
    ['parentExecutionId', s.parentExecutionId],
    ['account', s.account],
    ['region', s.region],
    ['startTime', s.startTime],
    ['endTime', s.endTime],
    ['durationSeconds', s.durationSeconds],
    ['consoleUrl', s.consoleUrl],
    ['steps', s.steps.total],
    ...Object.entries(s.steps.byStatus).map(([status, n]): [string, number] => [`steps ${status}`, n]),
    ['children', s.children.total],
    ...Object.entries(s.children.byStatus).map(([status, n]): [string, number] => [`children ${status}`, n]),
    ...(s.targets
      ? [
          ['targets', s.targets.total] as [string, number],
          ...Object.entries(s.targets.byStatus).map(([status, n]): [string, number] => [
            `targets ${status}`,
            n,
          ]),
        ]
      : []),
    ['failures', s.failures.length],
    ['alarms', s.alarms.length],
    ['rows', report.rows.length],
    ['rowsBeforeFilter', report.totalRows],
    ['filter', filterText(report.filter) || null],
  ];
  yield csvRecord([CSV_SECTIONS.summary]) +
    csvRecord(['field', 'value']) +
    fields.map((f) => csvRecord(f)).join('') +
    '\r\n';
  yield csvSection(CSV_SECTIONS.failures, FAILURE_CSV_COLUMNS, s.failures);
  yield csvSection(CSV_SECTIONS.alarms, ALARM_CSV_COLUMNS, s.alarms);
  if (s.targets) yield csvSection(CSV_SECTIONS.targets, TARGET_CSV_COLUMNS, report.targets);
  yield csvRecord([CSV_SECTIONS.transitions]);
  yield* historyCsv(report.rows);
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/** A JSON array with one item per line, so it stays greppable and parses as a whole; item by item. */
export async function* streamJson(items: AsyncIterable<unknown>): AsyncGenerator<string> {
  let first = true;
  for await (const item of items) {
    yield `${first ? '[\n' : ',\n'}${jsonLine(item)}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

/** The version of the history JSON's shape, its `format` field. */
export const HISTORY_JSON_FORMAT = 'step-watch.history/2';

/**
 * The report as one JSON object, exact (no text is changed): `format`, `summary` (the whole run),
 * `filter`, `rowsBeforeFilter`, `targets` (failed first) and `rows` (what version 1 printed as the
 * top-level array, now under `rows`); each target and row on its own line.
 */
export function* streamHistoryReportJson(report: HistoryReport): Generator<string> {
  yield `{"format":${jsonLine(HISTORY_JSON_FORMAT)},\n"summary":${jsonLine(report.summary)},\n`;
  yield `"filter":${jsonLine(report.filter)},\n"rowsBeforeFilter":${report.totalRows},\n`;
  const list = function* (items: readonly unknown[]): Generator<string> {
    let chunk = '[';
    for (const [i, item] of items.entries()) {
      chunk += `${i === 0 ? '\n' : ',\n'}${jsonLine(item)}`;
      if (chunk.length > 64_000) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}${items.length === 0 ? ']' : '\n]'}`;
  };
  yield '"targets":';
  yield* list(report.targets);
  yield ',\n"rows":';
  yield* list(report.rows);
  yield '}\n';
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
