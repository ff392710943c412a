// Tests of history ordering, rows and formats: aligned tables, RFC 4180 CSV and JSON.
import { describe, expect, it } from 'vitest';
import {
  csvField,
  csvRecord,
  formatTable,
  HISTORY_CSV_COLUMNS,
  type HistoryRow,
  historyColumnsOf,
  historyCsv,
  historyRows,
  historyTable,
  historyTableCells,
  historyTableHeaders,
  notStartedRow,
  streamJson,
  streamTable,
  tableCell,
  wrappedCell,
} from '../../../cli/history/format';
import { csvSafe } from '../../../cli/sanitize';
import type { NotStartedStep, TransitionRecord } from '../../../lambda/core/history';
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
      account: '111122223333',
      region: 'eu-west-1',
      durationSeconds: null,
      target: null,
      parentStepName: null,
      iteration: null,
      iteratorValue: null,
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

  it('keeps a cell on one line and strips escape sequences, bidi and zero-width characters', () => {
    expect(tableCell('a\r\nb\tc')).toBe('a b c');
    expect(tableCell('red\u001b[31m!\u0007')).toBe('red!');
    expect(tableCell('invoice\u202Efdp.exe\u200B')).toBe('invoicefdp.exe');
  });

  it('cuts long text in the middle, keeping its start and its tail', () => {
    expect(tableCell('abcdefghij', 5)).toBe('ab…ij');
    const cut = tableCell(`i-${'x'.repeat(200)}-tail`);
    expect([...cut]).toHaveLength(80);
    expect(cut.startsWith('i-x')).toBe(true);
    expect(cut.endsWith('-tail')).toBe(true);
  });
});

describe('Function: wrappedCell', () => {
  it('keeps the whole message, its own line breaks, and wraps long lines at a space', () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const lines = wrappedCell(`first line\n${words}\x1b[2J`, 30).split('\n');
    expect(lines[0]).toBe('first line');
    expect(lines.slice(1).every((line) => [...line].length <= 30)).toBe(true);
    expect(lines.slice(1).join(' ')).toBe(words);
  });

  it('shows null and empty as a dash', () => {
    expect(wrappedCell(null)).toBe('-');
    expect(wrappedCell('')).toBe('-');
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

  it('aligns the history table on every row, a wrapped message going on under its column', () => {
    const rows = demoRows();
    const all = [...historyTable(rows)].join('').trimEnd().split('\n');
    // The failure message has two lines: its second is a continuation line under MESSAGE.
    expect(all).toHaveLength(rows.length + 2);
    const messageColumn = all[0]?.indexOf('MESSAGE') ?? -1;
    const continuation = all.find((line) => line.trim() === 'Instance i-0abc is stopped.') ?? '';
    expect(continuation.indexOf('Instance')).toBe(messageColumn);
    const lines = all.filter((line) => line !== continuation);
    const header = lines[0] ?? '';
    for (const name of ['EXECUTION', 'KIND', 'STEP', 'FROM', 'TO', 'DURATION', 'ALARM', 'MESSAGE']) {
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
      '-',
      'not started',
    ]);
  });

  it('shows how long a step took and the alarm a step lists as triggered', () => {
    const rows = demoRows();
    const failed = rows.find((r) => r.kind === 'step' && r.status === 'Failed') as HistoryRow;
    const cells = historyTableCells(failed);
    expect(cells[6]).toBe('7s');
    expect(cells[8]).toBe(FAILURE_MESSAGE);
    const alarmed = rows.find((r) => r.kind === 'alarm' && r.stepName === 'createImage') as HistoryRow;
    expect(historyTableCells(alarmed)[7]).toBe('StatusCheckFailed-i-0abc (ALARM)');
  });

  it('names a step inside a loop by its loop and iteration', () => {
    const row = {
      ...(demoRows()[1] as HistoryRow),
      parentStepName: 'eachInstance',
      iteration: 3,
      iteratorValue: 'i-0c',
    };
    expect(historyTableCells(row)[3]).toBe('eachInstance[3 i-0c] › stopInstances');
  });

  it('adds TARGET and ACCOUNT/REGION columns when the rows need them', () => {
    const elsewhere = { target: '222233334444/us-east-1', account: '222233334444', region: 'us-east-1' };
    const rows = demoRows().map((r) => (r.executionId === CHILD_ID ? { ...r, ...elsewhere } : r));
    const columns = historyColumnsOf(rows);
    expect(columns).toEqual({ target: true, place: true });
    expect(historyTableHeaders(columns).slice(0, 5)).toEqual([
      'OBSERVED',
      'EXECUTION',
      'TARGET',
      'ACCOUNT/REGION',
      'KIND',
    ]);
    const child = rows.find((r) => r.executionId === CHILD_ID) as HistoryRow;
    expect(historyTableCells(child, columns).slice(2, 4)).toEqual([
      '222233334444/us-east-1',
      '222233334444/us-east-1',
    ]);
  });
});

describe('Function: streamTable', () => {
  it('produces the same text as formatTable when all rows fit the sample', async () => {
    const rows = demoRows().map((row) => historyTableCells(row));
    const headers = historyTableHeaders();
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

describe('Function: csvField', () => {
  it('leaves plain text alone and writes null as an empty field', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField(42)).toBe('42');
    expect(csvField(null)).toBe('');
  });

  it('quotes commas and quotes, doubling inner quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
  });

  it('makes every text cell spreadsheet-safe: no control character, no formula', () => {
    expect(csvField('line\nbreak')).toBe('line break');
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('\u200B@SUM(1)')).toBe("'@SUM(1)");
    expect(csvField(-1)).toBe('-1');
  });

  it('ends each record with CRLF', () => {
    expect(csvRecord(['a', null, 'b,c'])).toBe('a,,"b,c"\r\n');
  });
});

describe('Function: historyCsv', () => {
  it('reads back to the same values, failure message included', () => {
    // Prepare
    const rows = demoRows();

    // Act
    const records = parseCsv([...historyCsv(rows)].join(''));

    // Assess
    expect(records[0]).toEqual([...HISTORY_CSV_COLUMNS]);
    expect(records).toHaveLength(rows.length + 1);
    records.slice(1).forEach((record, i) => {
      const row = rows[i] as HistoryRow;
      expect(record).toHaveLength(HISTORY_CSV_COLUMNS.length);
      HISTORY_CSV_COLUMNS.forEach((column, c) => {
        const value = row[column];
        const text = Array.isArray(value) ? value.join(';') : value === null ? '' : String(value);
        expect(record[c]).toBe(typeof value === 'string' ? csvSafe(text) : text);
      });
    });
    // Line breaks become spaces: a spreadsheet cell keeps one line.
    expect(records.some((r) => r.includes(FAILURE_MESSAGE.replace('\n', ' ')))).toBe(true);
    const notRun = records.find((r) => r[HISTORY_CSV_COLUMNS.indexOf('kind')] === 'not-run');
    expect(notRun?.[HISTORY_CSV_COLUMNS.indexOf('stepName')]).toBe('verifyRunning');
    expect(notRun?.[HISTORY_CSV_COLUMNS.indexOf('eventId')]).toBe('');
  });
});

describe('Function: streamJson', () => {
  it('writes a JSON array, one row per line, with the full detail', async () => {
    const rows = demoRows();
    const text = await collect(streamJson(asAsync(rows)));
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

  it('writes [] for nothing', async () => {
    expect(await collect(streamJson(asAsync([])))).toBe('[]\n');
  });
});
