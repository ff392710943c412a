// Unit tests of the executions formats: durations, the table's cells, CSV records and JSON items.
import { describe, expect, it } from 'vitest';
import {
  durationCell,
  durationSecondsOf,
  EXECUTIONS_CSV_COLUMNS,
  EXECUTIONS_TABLE_HEADERS,
  executionCsvRecord,
  executionJson,
  executionsOutput,
  executionTableCells,
  humanDuration,
} from '../../../cli/history/listing-format';
import type { ListedExecution } from '../../../cli/history/listing-order';
import type { ExecutionListing } from '../../../lambda/core/history';
import { parseCsv } from './fixtures';

const PARENT = 'aaaaaaaa-0000-4000-8000-000000000001';
const CHILD = 'aaaaaaaa-0000-4000-8000-000000000002';
const NOW = Date.parse('2026-11-25T12:10:00.000Z');

function listing(overrides: Partial<ExecutionListing> = {}): ExecutionListing {
  return {
    executionId: PARENT,
    documentName: 'AWS-RestartEC2Instance',
    documentVersion: '1',
    status: 'Failed',
    parentExecutionId: null,
    startTime: '2026-11-25T12:00:00.250Z',
    endTime: '2026-11-25T12:04:12.250Z',
    failedSteps: 2,
    alarms: 1,
    account: '123456789012',
    region: 'eu-west-1',
    ...overrides,
  };
}

async function* asAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

describe('Function: humanDuration', () => {
  it('reads as two units at most, the second zero-padded', () => {
    expect(
      [0, 0.9, 42, 60, 252, 245, 3_599, 3_600, 3_780, 86_399, 86_400, 190_800].map(humanDuration),
    ).toEqual([
      '0s',
      '0s',
      '42s',
      '1m 00s',
      '4m 12s',
      '4m 05s',
      '59m 59s',
      '1h 00m',
      '1h 03m',
      '23h 59m',
      '1d 00h',
      '2d 05h',
    ]);
  });
});

describe('Function: durationSecondsOf', () => {
  it('is the seconds from start to end, to a tenth', () => {
    expect(durationSecondsOf(listing({ endTime: '2026-11-25T12:04:12.420Z' }))).toBe(252.2);
  });

  it('is null while running, for unreadable times and for an end before the start', () => {
    expect(durationSecondsOf(listing({ endTime: null }))).toBeNull();
    expect(durationSecondsOf(listing({ startTime: 'yesterday' }))).toBeNull();
    expect(durationSecondsOf(listing({ endTime: '2026-11-25T11:00:00Z' }))).toBeNull();
  });
});

describe('Function: durationCell', () => {
  it('says how long an ended execution ran', () => {
    expect(durationCell(listing(), NOW)).toBe('4m 12s');
  });

  it('says how long a running execution has been running', () => {
    expect(durationCell(listing({ status: 'InProgress', endTime: null }), NOW)).toBe('running 9m 59s');
  });

  it('is null for an ended execution without an end time, or a start in the future', () => {
    expect(durationCell(listing({ status: 'Failed', endTime: null }), NOW)).toBeNull();
    expect(
      durationCell(listing({ status: 'InProgress', endTime: null, startTime: '2026-11-26T00:00:00Z' }), NOW),
    ).toBeNull();
  });
});

describe('Function: executionTableCells', () => {
  it('gives every column, times to the second, counts and the parent', () => {
    const row: ListedExecution = { listing: listing(), depth: 0 };

    expect(executionTableCells(row, NOW)).toEqual([
      PARENT,
      'AWS-RestartEC2Instance',
      'Failed',
      '2026-11-25T12:00:00Z',
      '2026-11-25T12:04:12Z',
      '4m 12s',
      '123456789012',
      'eu-west-1',
      '-',
      '2',
      '1',
    ]);
    expect(EXECUTIONS_TABLE_HEADERS).toHaveLength(11);
  });

  it('indents a child under its listed parent and shows unknowns as - and ?', () => {
    const child = listing({
      executionId: CHILD,
      parentExecutionId: PARENT,
      status: 'InProgress',
      endTime: null,
      failedSteps: null,
      alarms: null,
      account: null,
      region: null,
    });

    const cells = executionTableCells({ listing: child, depth: 2 }, NOW);

    expect(cells[0]).toBe(`  ↳ ${CHILD}`);
    expect(cells.slice(4)).toEqual(['-', 'running 9m 59s', '-', '-', PARENT, '?', '?']);
  });

  it('removes escape sequences and control characters from text the table holds', () => {
    const hostile = listing({ documentName: 'Doc\x1b]0;pwned\x07\nName', status: 'Fa\u202Eiled' });

    const cells = executionTableCells({ listing: hostile, depth: 0 }, NOW);

    expect(cells[1]).toBe('Doc Name');
    expect(cells[2]).toBe('Failed');
  });
});

describe('Function: executionCsvRecord', () => {
  it('writes the columns in order, a running execution with empty end and duration', () => {
    const running = listing({
      status: 'InProgress',
      endTime: null,
      parentExecutionId: PARENT,
      executionId: CHILD,
    });

    expect(parseCsv(executionCsvRecord(running))).toEqual([
      [
        CHILD,
        'AWS-RestartEC2Instance',
        '1',
        'InProgress',
        '2026-11-25T12:00:00.250Z',
        '',
        '',
        '123456789012',
        'eu-west-1',
        PARENT,
        '2',
        '1',
      ],
    ]);
  });

  it('neutralises a formula and quotes commas and quotes (RFC 4180)', () => {
    const record = executionCsvRecord(listing({ documentName: '=HYPERLINK("http://x","y")' }));

    expect(record).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(record.endsWith('\r\n')).toBe(true);
    expect(parseCsv(record)[0]?.[1]).toBe(`'=HYPERLINK("http://x","y")`);
  });
});

describe('Function: executionJson', () => {
  it('is the listing with its duration in seconds, text exactly as stored', () => {
    const stored = listing({ documentName: 'Doc\nName' });

    expect(executionJson(stored)).toEqual({ ...stored, durationSeconds: 252 });
  });
});

describe('Function: executionsOutput', () => {
  const rows: ListedExecution[] = [
    { listing: listing(), depth: 0 },
    { listing: listing({ executionId: CHILD, parentExecutionId: PARENT, status: 'Success' }), depth: 1 },
  ];

  it('writes CSV with a header record and one record per execution', async () => {
    const csv = parseCsv(await collect(executionsOutput('csv', asAsync(rows), NOW)));

    expect(csv[0]).toEqual([...EXECUTIONS_CSV_COLUMNS]);
    expect(csv.slice(1).map((r) => [r[0], r[3], r[9]])).toEqual([
      [PARENT, 'Failed', ''],
      [CHILD, 'Success', PARENT],
    ]);
  });

  it('writes JSON that parses as an array, one execution per line', async () => {
    const text = await collect(executionsOutput('json', asAsync(rows), NOW));

    expect(text.split('\n')).toHaveLength(5);
    expect((JSON.parse(text) as { executionId: string }[]).map((e) => e.executionId)).toEqual([
      PARENT,
      CHILD,
    ]);
  });

  it('writes an aligned table with a header line', async () => {
    const lines = (await collect(executionsOutput('table', asAsync(rows), NOW))).trimEnd().split('\n');

    expect(lines[0]?.split(/\s{2,}/)).toEqual([...EXECUTIONS_TABLE_HEADERS]);
    expect(lines[2]).toMatch(new RegExp(`^↳ ${CHILD}\\s+AWS-RestartEC2Instance\\s+Success\\s`));
  });

  it('writes only the header, or an empty array, for no executions', async () => {
    expect(await collect(executionsOutput('csv', asAsync([]), NOW))).toBe(
      `${EXECUTIONS_CSV_COLUMNS.join(',')}\r\n`,
    );
    expect(await collect(executionsOutput('json', asAsync([]), NOW))).toBe('[]\n');
  });
});
