// Tests of what every history format prints: the summary, filters, failed-first order, and the three text formats.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/errors';
import { parseStatuses } from '../../../cli/history/filters';
import {
  CSV_SECTIONS,
  HISTORY_CSV_COLUMNS,
  HISTORY_JSON_FORMAT,
  streamHistoryReportCsv,
  streamHistoryReportJson,
  streamHistoryReportTable,
} from '../../../cli/history/format';
import { buildReport } from '../../../cli/history/report';
import { FAILURE_STATUSES, KNOWN_STATUSES } from '../../../lambda/core/status';
import {
  CHILD_ID,
  demoRows,
  PARENT_ID,
  parseCsv,
  RATE_PARENT_ID,
  rateChildId,
  rateControlRows,
  rateFailureMessage,
} from './fixtures';

const FAILED = new Set([1, 4]);
const rateRows = rateControlRows({ targets: 6, failed: FAILED, concurrency: 2 });
const rateReport = (filter = {}) =>
  buildReport({ rows: rateRows, executionId: RATE_PARENT_ID, execution: null, filter });

describe('Function: summarise (through buildReport)', () => {
  it('counts steps, children and targets by outcome, and lists each failed target with its whole message', () => {
    const { summary } = rateReport();

    expect(summary).toMatchObject({
      executionId: RATE_PARENT_ID,
      status: 'Failed',
      account: '111122223333',
      region: 'eu-west-1',
      startTime: '2026-01-01T00:00:00.000Z',
      consoleUrl: `https://eu-west-1.console.aws.amazon.com/systems-manager/automation/execution/${RATE_PARENT_ID}?region=eu-west-1`,
    });
    expect(summary.durationSeconds).toBe(61);
    expect(summary.targets).toEqual({ total: 6, byStatus: { Success: 4, Failed: 2 } });
    expect(summary.children).toEqual({ total: 6, byStatus: { Success: 4, Failed: 2 } });
    // 6 parent steps (one per target, ending as its child) and 2 steps a child; a failed child's second step never ran.
    expect(summary.steps).toEqual({ total: 18, byStatus: { Success: 12, Failed: 4, 'not run': 2 } });
    expect(summary.failures.map((f) => [f.target, f.executionId, f.stepName, f.failureMessage])).toEqual(
      [...FAILED].map((i) => [
        `i-${String(i).padStart(17, '0')}`,
        rateChildId(i),
        'stopInstances',
        rateFailureMessage(i),
      ]),
    );
    expect(summary.alarms).toEqual([
      {
        name: 'StatusCheckFailed',
        state: 'ALARM',
        executionId: rateChildId(1),
        target: 'i-00000000000000001',
        stepName: 'stopInstances',
        observedAt: '2026-01-01T00:00:11.500Z',
      },
    ]);
  });
});

describe('Function: parseStatuses', () => {
  it('reads statuses in any case, comma-separated or repeated, once each, and --failed as the failure statuses', () => {
    expect(parseStatuses('history', 'status', ['failed,TIMEDOUT', ' cancelled ', 'Failed'])).toEqual([
      'Failed',
      'TimedOut',
      'Cancelled',
    ]);
    expect(parseStatuses('history', 'status', [], true)).toEqual([...FAILURE_STATUSES]);
    expect(parseStatuses('history', 'status', [])).toBeUndefined();
  });

  it('refuses a status SSM does not use, naming the command, the flag and the known statuses', () => {
    expect(() => parseStatuses('history', 'status', ['Failed,Broken'])).toThrow(UsageError);
    expect(() => parseStatuses('executions', 'status', ['Broken'])).toThrow(
      `executions: --status "Broken" is not a status SSM uses; known: ${KNOWN_STATUSES.join(', ')}.`,
    );
  });

  it('refuses a flag given without any status', () => {
    expect(() => parseStatuses('notify preview', 'statuses', [' , '])).toThrow(
      'notify preview: --statuses needs a status, e.g. Failed.',
    );
  });
});

describe('Function: buildReport', () => {
  it("puts the failed children's rows first after the parent's, each child's rows in history order", () => {
    const { rows } = rateReport();
    const order = [...new Set(rows.map((r) => r.executionId))];
    expect(order).toEqual([
      RATE_PARENT_ID,
      rateChildId(1),
      rateChildId(4),
      rateChildId(0),
      rateChildId(2),
      rateChildId(3),
      rateChildId(5),
    ]);
    expect(
      rows.every(
        (r) =>
          r.depth === 0 || r.target === `i-${r.executionId.slice(-2).replace(/^0/, '').padStart(17, '0')}`,
      ),
    ).toBe(true);
  });

  it('keeps with a status every row of the steps and executions that ended in it', () => {
    const { rows, totalRows, targets } = rateReport({ statuses: ['Failed'] });
    expect(rows.length).toBeLessThan(totalRows);
    expect(new Set(rows.map((r) => r.executionId))).toEqual(
      new Set([RATE_PARENT_ID, rateChildId(1), rateChildId(4)]),
    );
    // A failed step's whole story: InProgress, then Failed, then the alarm it raised.
    const stop = rows.filter((r) => r.executionId === rateChildId(1) && r.stepName === 'stopInstances');
    expect(stop.map((r) => `${r.kind}:${r.status ?? r.alarmName}`)).toEqual([
      'step:InProgress',
      'step:Failed',
      'alarm:StatusCheckFailed',
    ]);
    expect(rows.some((r) => r.stepName === 'startInstances')).toBe(false);
    expect(targets.map((t) => t.outcome)).toEqual(['Failed', 'Failed']);
  });

  it('keeps one target with --target, with the parent step for it, and refuses a target the run does not have', () => {
    const { rows, targets } = rateReport({ target: 'i-00000000000000003' });
    expect(new Set(rows.map((r) => r.executionId))).toEqual(new Set([RATE_PARENT_ID, rateChildId(3)]));
    expect(
      rows.filter((r) => r.executionId === RATE_PARENT_ID).every((r) => r.stepName === 'i-00000000000000003'),
    ).toBe(true);
    expect(targets.map((t) => t.target)).toEqual(['i-00000000000000003']);
    expect(() => rateReport({ target: 'i-nope' })).toThrow(
      /no target "i-nope" in this run; targets include i-0/,
    );
  });

  it('keeps the rows of one step name with --step', () => {
    const { rows } = rateReport({ step: 'startInstances' });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.stepName === 'startInstances')).toBe(true);
  });
});

describe('Function: streamHistoryReportTable', () => {
  it('prints the summary, then the failures, then the targets failed first, then the transitions', () => {
    const text = [...streamHistoryReportTable(rateReport())].join('');
    const at = (marker: string) => text.indexOf(marker);
    expect(at('Execution ')).toBe(0);
    expect(at('Failures (2):')).toBeGreaterThan(0);
    expect(at('Targets (6), failed first:')).toBeGreaterThan(at('Failures (2):'));
    expect(at('Transitions:')).toBeGreaterThan(at('Targets (6)'));
    expect(text).toMatch(/^Targets +6: 4 Success, 2 Failed$/m);
    // The message is whole: the part that explains, at its end, is there.
    expect(text).toContain('is not in a state from which it can be stopped.');
    const targetLines = text.split('Targets (6), failed first:\n')[1]?.split('\n') ?? [];
    expect(targetLines[1]).toMatch(/^i-00000000000000001 +Failed +10s /);
  });
});

describe('Function: streamHistoryReportJson', () => {
  it('is one object: format, summary, filter, targets and rows, each target and row on a line', () => {
    const report = rateReport({ statuses: ['Failed'] });
    const text = [...streamHistoryReportJson(report)].join('');
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed)).toEqual([
      'format',
      'summary',
      'filter',
      'rowsBeforeFilter',
      'targets',
      'rows',
    ]);
    expect(parsed.format).toBe(HISTORY_JSON_FORMAT);
    expect(parsed.summary).toEqual(JSON.parse(JSON.stringify(report.summary)));
    expect(parsed.filter).toEqual({ statuses: ['Failed'] });
    expect(parsed.rows).toEqual(JSON.parse(JSON.stringify(report.rows)));
    expect(text.split('\n').length).toBe(report.rows.length + report.targets.length + 9);
  });

  it('writes empty lists as []', () => {
    const report = buildReport({ rows: [], executionId: PARENT_ID, execution: null });
    expect(JSON.parse([...streamHistoryReportJson(report)].join(''))).toMatchObject({
      targets: [],
      rows: [],
    });
  });
});

describe('Function: streamHistoryReportCsv', () => {
  it('writes sections a spreadsheet reads top to bottom, the transitions last with the usual header', () => {
    const records = parseCsv([...streamHistoryReportCsv(rateReport())].join(''));
    const titles = records.filter((r) => r.length === 1 && r[0] !== '').map((r) => r[0]);
    expect(titles).toEqual([
      CSV_SECTIONS.summary,
      CSV_SECTIONS.failures,
      CSV_SECTIONS.alarms,
      CSV_SECTIONS.targets,
      CSV_SECTIONS.transitions,
    ]);
    expect(records[1]).toEqual(['field', 'value']);
    expect(records).toContainEqual(['targets Failed', '2']);
    const transitions = records.findIndex((r) => r[0] === CSV_SECTIONS.transitions);
    expect(records[transitions + 1]).toEqual([...HISTORY_CSV_COLUMNS]);
    expect(records.length - transitions - 2).toBe(rateRows.length);
  });

  it('leaves out the targets section for a run without targets', () => {
    const report = buildReport({
      rows: demoRows().filter((r) => r.executionId !== CHILD_ID),
      executionId: PARENT_ID,
      execution: null,
    });
    const text = [...streamHistoryReportCsv(report)].join('');
    expect(text).not.toContain('\r\nTargets\r\n');
  });
});
