// Tests of the HTML page as text: summary and failures first, the run's rows as data, escaping, and no network.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HistoryRow } from '../../../cli/history/format';
import { buildReport } from '../../../cli/history/report';
import {
  escapeHtml,
  renderTimeline,
  statusCategory,
  type TimelineData,
  type TimelineNode,
  timelineData,
} from '../../../cli/history/timeline';
import { isoAt } from '../../helpers/builders';
import {
  CHILD_ID,
  demoRows,
  FAILURE_MESSAGE,
  HOSTILE_STEP_NAME,
  PARENT_ID,
  RATE_PARENT_ID,
  rateControlRows,
  rateFailureMessage,
} from './fixtures';

function render(rows: readonly HistoryRow[] = demoRows(), executionId = PARENT_ID): string {
  const report = buildReport({ rows, executionId, execution: null });
  return renderTimeline({ report, execution: null, executionId, source: 'test-table' });
}

/** The data the page draws its rows from. */
function dataOf(html: string): TimelineData {
  const json = /<script type="application\/json" id="run-data">([^<]*)<\/script>/.exec(html)?.[1] ?? '';
  return JSON.parse(json) as TimelineData;
}

describe('Function: statusCategory', () => {
  it('groups statuses into colours and passes unknown ones as other', () => {
    expect(statusCategory('Success')).toBe('success');
    expect(statusCategory('CompletedWithFailure')).toBe('failure');
    expect(statusCategory('TimedOut')).toBe('timedout');
    expect(statusCategory('Waiting')).toBe('waiting');
    expect(statusCategory('SomethingNew')).toBe('other');
  });
});

describe('Function: timelineData', () => {
  it("lists the execution's steps, its steps that never started, then its children as targets", () => {
    const report = buildReport({ rows: demoRows(), executionId: PARENT_ID, execution: null });
    const data = timelineData(report.tree, PARENT_ID);
    expect(data.nodes.map((n) => [n.k, n.n, n.s])).toEqual([
      ['s', 'stopInstances', 'Success'],
      ['s', HOSTILE_STEP_NAME, 'Success'],
      ['s', 'startInstances', 'Failed'],
      ['r', 'verifyRunning', 'not run'],
      ['t', CHILD_ID, 'Cancelling'],
    ]);
    expect(data.nodes[2]).toMatchObject({ b: 4, e: 11, m: FAILURE_MESSAGE, f: 1 });
    expect(data.nodes[4]?.c?.map((n) => [n.k, n.n, n.s, n.o ?? 0, n.a ?? ''])).toEqual([
      ['s', 'createImage', 'InProgress', 1, 'StatusCheckFailed-i-0abc'],
      ['r', 'tagImage', 'not started', 0, ''],
    ]);
    expect(data.from).toBe(Date.parse(isoAt(0)));
  });

  it('puts the failed targets of a rate-control run first, each with the message of its failed step', () => {
    const rows = rateControlRows({ targets: 6, failed: new Set([4]) });
    const report = buildReport({ rows, executionId: RATE_PARENT_ID, execution: null });
    const nodes: readonly TimelineNode[] = timelineData(report.tree, RATE_PARENT_ID).nodes;
    expect(nodes.map((n) => [n.k, n.n, n.s])).toEqual([
      ['t', 'i-00000000000000004', 'Failed'],
      ...[0, 1, 2, 3, 5].map((i) => ['t', `i-${String(i).padStart(17, '0')}`, 'Success']),
    ]);
    expect(nodes[0]).toMatchObject({ m: rateFailureMessage(4), f: 1, g: 'eu-west-1' });
  });
});

describe('Function: renderTimeline', () => {
  it('opens on the summary, then the failures with their whole message, then the rows', () => {
    const html = render();
    const summary = html.indexOf('id="summary"');
    const failures = html.indexOf('id="failures"');
    const rows = html.indexOf('id="run"');
    expect(summary).toBeGreaterThan(0);
    expect(failures).toBeGreaterThan(summary);
    expect(rows).toBeGreaterThan(failures);
    expect(html).toContain('<h2>Failures (1)</h2>');
    expect(html).toContain(escapeHtml(FAILURE_MESSAGE));
    expect(html).toContain('<dt>Account</dt><dd><bdi>111122223333</bdi></dd>');
    expect(html).toContain('<dt>Region</dt><dd><bdi>eu-west-1</bdi></dd>');
    expect(html).toContain(
      `href="https://eu-west-1.console.aws.amazon.com/systems-manager/automation/execution/${PARENT_ID}?region=eu-west-1"`,
    );
  });

  it('shows alarm names in a table of their own', () => {
    const alarms = /<section id="alarms">.*?<\/section>/s.exec(render())?.[0] ?? '';
    expect(alarms.match(/<bdi>StatusCheckFailed-i-0abc<\/bdi>/g)).toHaveLength(2);
    expect(alarms).toContain('<bdi>createImage</bdi>');
  });

  it('escapes every text and keeps the data block closed, so hostile names stay text', () => {
    // Prepare: names that try to end the data block, the style, an attribute, or reorder text.
    const hostile = [
      '</script><script>window.__pwned=1</script>',
      '</style><b>x',
      '" onload="x',
      '\u202Eevil',
    ];
    const rows = demoRows().map((row) =>
      row.kind === 'step' && row.stepName === 'stopInstances' && row.detail?.step
        ? {
            ...row,
            detail: { ...row.detail, step: { ...row.detail.step, stepName: hostile[0] ?? '' } },
            failureMessage: hostile[1] ?? '',
          }
        : row,
    );
    const html = render(rows);

    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toContain(HOSTILE_STEP_NAME);
    expect(html).not.toContain('</style><b>');
    expect(dataOf(html).nodes.map((n) => n.n)).toContain(hostile[0]);
    expect(escapeHtml(hostile[2] ?? '')).toBe('&quot; onload=&quot;x');
  });

  it('needs no network: nothing fetched, and a CSP that allows only its own style and script', () => {
    const html = render();
    expect(html).not.toMatch(/\bsrc=|url\(/);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const hash = (text: string) => `sha256-${createHash('sha256').update(text).digest('base64')}`;
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src '${hash(style)}'`);
    expect(csp).toContain(`script-src '${hash(script)}'`);
  });

  it('stays small for a 1,000-target run: one collapsed row per target, a few hundred kB', () => {
    const failed = new Set(Array.from({ length: 100 }, (_, i) => i * 10));
    const html = render(rateControlRows({ targets: 1000, failed }), RATE_PARENT_ID);
    expect(dataOf(html).nodes).toHaveLength(1000);
    expect(html.length).toBeLessThan(600_000);
    expect(html).toContain('<h2>Failures (100)</h2>');
  });

  it('says so when nothing was recorded', () => {
    const html = render([]);
    expect(html).toContain('<h2>Failures</h2><p>None.</p>');
    expect(dataOf(html).nodes).toEqual([]);
  });
});
