// Tests of history ordering, rows and formats: aligned tables, RFC 4180 CSV and JSON.
import { describe, expect, it } from 'vitest';
import {
  csvField,
  csvRecord,
  EXECUTIONS_TABLE_HEADERS,
  formatExecutionsTable,
  formatHistoryCsv,
  formatHistoryTable,
  formatJson,
  formatTable,
  HISTORY_CSV_COLUMNS,
  type HistoryRow,
  historyRows,
  historyTableCells,
  notStartedRow,
  streamHistoryCsv,
  streamJson,
  streamTable,
  tableCell,
} from '../../../cli/history/format';
import type { ExecutionListing, NotStartedStep, TransitionRecord } from '../../../lambda/core/history';
import { isoAt } from '../../helpers/builders';
import { CHILD_ID, demoRows, FAILURE_MESSAGE, PARENT_ID, parseCsv, recordsOf } from './fixtures';

async function* asAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

describe('Function: toHistoryRow', () => {
  it('flattens step, alarm and execution transitions in history order', () => {
    const rows = demoRows();
    const parentRows = rows.filter((r) => r.executionId === PARENT_ID);
    expect(
      parentRows.map((r) => `${r.kind}:${r.stepName ?? r.alarmName ?? '-'}:${r.previousStatus}>${r.status}`),
    ).toEqual([
      'execution:-:null>InProgress',
      'step:stopInstances:null>InProgress',
      'step:stopInstances:InProgress>Success',
      'step:<script>window.__pwned = 1</script>:Pending>Success',
      'step:startInstances:Pending>InProgress',
      'step:startInstances:InProgress>Failed',
      'execution:-:InProgress>Failed',
      'not-run:verifyRunning:null>Pending',
    ]);
    const childRows = rows.filter((r) => r.executionId === CHILD_ID);
    expect(childRows.map((r) => `${r.kind}:${r.stepName ?? '-'}:${r.alarmName ?? r.status}`)).toEqual([
      'execution:-:InProgress',
      'step:createImage:InProgress',
      'execution:-:Cancelling',
      'alarm:createImage:StatusCheckFailed-i-0abc',
      'alarm:-:StatusCheckFailed-i-0abc',
      'not-started:tagImage:Pending',
    ]);
    expect(childRows.find((r) => r.kind === 'alarm')).toMatchObject({ alarmState: 'ALARM', status: null });
    expect(childRows.every((r) => r.depth === 1)).toBe(true);
    expect(parentRows.find((r) => r.status === 'Failed')?.failureMessage).toBe(FAILURE_MESSAGE);
  });
});

describe('Function: notStartedRow', () => {
  const step: NotStartedStep = {
    executionId: PARENT_ID,
    stepExecutionId: null,
    stepName: 'verifyRunning',
    status: 'Pending',
  };

  it("is a not-run row after an execution that ended, with no event and the last row's context", () => {
    const last = demoRows().find((r) => r.kind === 'execution' && r.status === 'Failed') as HistoryRow;

    expect(notStartedRow(step, last)).toEqual({
      observedAt: null,
      sequence: null,
      executionId: PARENT_ID,
      parentExecutionId: null,
      depth: 0,
      documentName: 'AWS-RestartEC2Instance',
      kind: 'not-run',
      stepExecutionId: null,
      stepName: 'verifyRunning',
      action: null,
      previousStatus: null,
      status: 'Pending',
      alarmName: null,
      alarmState: null,
      startTime: null,
      endTime: null,
      failureMessage: null,
      executionStatus: 'Failed',
      eventId: null,
      detailType: null,
      sentAt: null,
      truncated: [],
      detail: null,
    });
  });

  it('is a not-started row while the execution is in flight', () => {
    const last = demoRows().find((r) => r.executionId === CHILD_ID) as HistoryRow;

    expect(notStartedRow({ ...step, executionId: CHILD_ID }, last)).toMatchObject({
      kind: 'not-started',
      depth: 1,
      parentExecutionId: PARENT_ID,
      executionStatus: 'InProgress',
    });
  });
});

describe('Function: historyRows', () => {
  async function* recordsAsync(records: readonly TransitionRecord[]): AsyncGenerator<TransitionRecord> {
    yield* records;
  }
  const ended = (id: string, depth: number) =>
    recordsOf(
      id,
      [
        { at: 1, steps: [{ stepName: 'first', startTime: isoAt(1) }] },
        {
          at: 2,
          execution: { status: 'Failed' },
          steps: [{ stepName: 'first', startTime: isoAt(1), status: 'Failed' }],
        },
      ],
      depth,
    );

  it("puts each execution's steps that never started after its transitions, before the next execution's", async () => {
    // Prepare
    const asked: string[] = [];
    const notStartedSteps = async (executionId: string): Promise<NotStartedStep[]> => {
      asked.push(executionId);
      return executionId === 'exec-a'
        ? [{ executionId, stepExecutionId: 's-later', stepName: 'later', status: 'Pending' }]
        : [];
    };

    // Act
    const rows: string[] = [];
    for await (const row of historyRows(
      recordsAsync([...ended('exec-a', 0), ...ended('exec-b', 1)]),
      notStartedSteps,
    )) {
      rows.push(`${row.executionId}:${row.kind}:${row.stepName ?? '-'}:${row.status}`);
    }

    // Assess
    expect(rows).toEqual([
      'exec-a:execution:-:InProgress',
      'exec-a:step:first:InProgress',
      'exec-a:step:first:Failed',
      'exec-a:execution:-:Failed',
      'exec-a:not-run:later:Pending',
      'exec-b:execution:-:InProgress',
      'exec-b:step:first:InProgress',
      'exec-b:step:first:Failed',
      'exec-b:execution:-:Failed',
    ]);
    expect(asked).toEqual(['exec-a', 'exec-b']);
  });

  it('yields nothing and asks nothing for an empty trail', async () => {
    const notStartedSteps = async (): Promise<NotStartedStep[]> => {
      throw new Error('not asked');
    };

    const rows: HistoryRow[] = [];
    for await (const row of historyRows(recordsAsync([]), notStartedSteps)) rows.push(row);

    expect(rows).toEqual([]);
  });
});

describe('Function: tableCell', () => {
  it('shows null and empty as a dash', () => {
    expect(tableCell(null)).toBe('-');
    expect(tableCell('')).toBe('-');
  });

  it('keeps a cell on one line and strips terminal control characters', () => {
    expect(tableCell('a\r\nb\tc')).toBe('a b c');
    expect(tableCell('red\u001b[31m!\u0007')).toBe('red\uFFFD[31m!\uFFFD');
  });

  it('cuts long text with an ellipsis', () => {
    expect(tableCell('abcdefghij', 5)).toBe('abcd…');
    expect([...tableCell('x'.repeat(200))]).toHaveLength(80);
  });
});

describe('Function: formatTable', () => {
  it('aligns every column under its header, with no trailing spaces', () => {
    // Act
    const text = formatTable(
      ['A', 'LONG HEADER', 'C'],
      [
        ['wide value', 'x', 'last'],
        ['y', 'z', 'a much longer last cell'],
      ],
    );

    // Assess
    expect(text).toBe(
      [
        'A           LONG HEADER  C',
        'wide value  x            last',
        'y           z            a much longer last cell',
        '',
      ].join('\n'),
    );
  });

  it('aligns the history table on every row', () => {
    const rows = demoRows();
    const lines = formatHistoryTable(rows).trimEnd().split('\n');
    expect(lines).toHaveLength(rows.length + 1);
    const header = lines[0] ?? '';
    for (const name of ['EXECUTION', 'KIND', 'STEP', 'FROM', 'TO', 'ALARM', 'MESSAGE']) {
      const column = header.indexOf(name);
      for (const line of lines.slice(1)) {
        expect(line[column - 1], `column ${name} of "${line}"`).toBe(' ');
        expect(line[column], `column ${name} of "${line}"`).not.toBe(' ');
      }
    }
    for (const line of lines) expect(line).toBe(line.trimEnd());
  });

  it('indents child executions under their parent and shows a new step as (new)', () => {
    const rows = demoRows();
    const child = rows.find((r) => r.executionId === CHILD_ID) as HistoryRow;
    expect(historyTableCells(child)[1]).toBe(`↳ ${CHILD_ID}`);
    expect(historyTableCells(rows[1] as HistoryRow).slice(2, 6)).toEqual([
      'step',
      'stopInstances',
      '(new)',
      'InProgress',
    ]);
  });

  it('shows a step that never ran with its kind and name, Pending as TO and no time, FROM or event', () => {
    const rows = demoRows();
    const cells = (kind: string) => historyTableCells(rows.find((r) => r.kind === kind) as HistoryRow);

    expect(cells('not-run')).toEqual([
      '-',
      PARENT_ID,
      'not-run',
      'verifyRunning',
      '-',
      'Pending',
      '-',
      'not run',
    ]);
    expect(cells('not-started')).toEqual([
      '-',
      `↳ ${CHILD_ID}`,
      'not-started',
      'tagImage',
      '-',
      'Pending',
      '-',
      'not started',
    ]);
  });

  it('keeps a multi-line failure message on its row, cut to the cell width', () => {
    const text = formatHistoryTable(demoRows());
    expect(text).toContain('changeInstanceState output, "running" expec…\n');
    expect(text.split('\n')).toHaveLength(demoRows().length + 2);
  });
});

describe('Function: streamTable', () => {
  it('produces the same text as formatTable when all rows fit the sample', async () => {
    const rows = demoRows().map(historyTableCells);
    const headers = ['OBSERVED', 'EXECUTION', 'KIND', 'STEP', 'FROM', 'TO', 'ALARM', 'MESSAGE'];
    expect(await collect(streamTable(headers, asAsync(rows)))).toBe(formatTable(headers, rows));
  });

  it('takes the widths from the sample and streams the rest', async () => {
    const text = await collect(
      streamTable(
        ['A', 'B'],
        asAsync([
          ['1', 'x'],
          ['2', 'y'],
          ['333333', 'z'],
        ]),
        2,
      ),
    );
    expect(text).toBe('A  B\n1  x\n2  y\n333333  z\n');
  });

  it('prints just the header for no rows', async () => {
    expect(await collect(streamTable(['A', 'B'], asAsync([])))).toBe('A  B\n');
  });
});

describe('Function: formatExecutionsTable', () => {
  it('lists executions with their counts, unknown counts as ?', () => {
    const listing: ExecutionListing = {
      executionId: PARENT_ID,
      documentName: 'AWS-RestartEC2Instance',
      documentVersion: '1',
      status: 'Failed',
      parentExecutionId: null,
      startTime: '2026-01-01T00:00:01.000Z',
      endTime: '2026-01-01T00:00:12.000Z',
      failedSteps: null,
      alarms: 2,
      account: null,
      region: null,
    };
    const lines = formatExecutionsTable([listing]).trimEnd().split('\n');
    expect(lines[0]?.split(/\s{2,}/)).toEqual([...EXECUTIONS_TABLE_HEADERS]);
    expect(lines[1]?.split(/\s{2,}/)).toEqual([
      '2026-01-01T00:00:01.000Z',
      PARENT_ID,
      'AWS-RestartEC2Instance',
      'Failed',
      '?',
      '2',
      '-',
    ]);
  });
});

describe('Function: csvField', () => {
  it('leaves plain text alone and writes null as an empty field', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField(42)).toBe('42');
    expect(csvField(null)).toBe('');
  });

  it('quotes commas, quotes, CR and LF, doubling inner quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });

  it('ends each record with CRLF', () => {
    expect(csvRecord(['a', null, 'b,c'])).toBe('a,,"b,c"\r\n');
  });
});

describe('Function: formatHistoryCsv', () => {
  it('reads back to the same values, failure message included', () => {
    // Prepare
    const rows = demoRows();

    // Act
    const records = parseCsv(formatHistoryCsv(rows));

    // Assess
    expect(records[0]).toEqual([...HISTORY_CSV_COLUMNS]);
    expect(records).toHaveLength(rows.length + 1);
    records.slice(1).forEach((record, i) => {
      const row = rows[i] as HistoryRow;
      expect(record).toHaveLength(HISTORY_CSV_COLUMNS.length);
      HISTORY_CSV_COLUMNS.forEach((column, c) => {
        const value = row[column];
        expect(record[c]).toBe(Array.isArray(value) ? value.join(';') : value === null ? '' : String(value));
      });
    });
    expect(records.some((r) => r.includes(FAILURE_MESSAGE))).toBe(true);
    const notRun = records.find((r) => r[HISTORY_CSV_COLUMNS.indexOf('kind')] === 'not-run');
    expect(notRun?.[HISTORY_CSV_COLUMNS.indexOf('stepName')]).toBe('verifyRunning');
    expect(notRun?.[HISTORY_CSV_COLUMNS.indexOf('eventId')]).toBe('');
  });

  it('streams the same text', async () => {
    const rows = demoRows();
    expect(await collect(streamHistoryCsv(asAsync(rows)))).toBe(formatHistoryCsv(rows));
  });
});

describe('Function: formatJson', () => {
  it('writes a JSON array, one row per line, with the full detail', () => {
    const rows = demoRows();
    const text = formatJson(rows);
    expect(text.split('\n')).toHaveLength(rows.length + 3);
    const parsed = JSON.parse(text) as HistoryRow[];
    expect(parsed).toEqual(JSON.parse(JSON.stringify(rows)));
    expect(parsed[0]?.detail?.eventId).toBe(parsed[0]?.eventId);
    expect(parsed.find((r) => r.kind === 'not-run')).toMatchObject({
      eventId: null,
      detail: null,
      status: 'Pending',
    });
  });

  it('streams the same text, and [] for nothing', async () => {
    const rows = demoRows();
    expect(await collect(streamJson(asAsync(rows)))).toBe(formatJson(rows));
    expect(await collect(streamJson(asAsync([])))).toBe('[]\n');
    expect(formatJson([])).toBe('[]\n');
  });
});
