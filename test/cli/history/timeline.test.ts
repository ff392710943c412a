// Tests of the HTML timeline as text: one bar per step, colours, alarms, escaping, and no network.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HistoryRow } from '../../../cli/history/format';
import { toHistoryRow } from '../../../cli/history/format';
import {
  buildTimeline,
  escapeHtml,
  renderTimeline,
  STATUS_COLOURS,
  statusCategory,
} from '../../../cli/history/timeline';
import { isoAt } from '../../helpers/builders';
import { CHILD_ID, demoRows, FAILURE_MESSAGE, HOSTILE_STEP_NAME, PARENT_ID, recordsOf } from './fixtures';

function render(rows: readonly HistoryRow[] = demoRows()): string {
  return renderTimeline({ rows, execution: null, executionId: PARENT_ID, source: 'test-table' });
}

describe('Function: buildTimeline', () => {
  it('makes one lane per execution, parent first, steps by start time', () => {
    const model = buildTimeline(demoRows());
    expect(model.lanes.map((l) => [l.executionId, l.depth, l.status])).toEqual([
      [PARENT_ID, 0, 'Failed'],
      [CHILD_ID, 1, 'Cancelling'],
    ]);
    expect(model.lanes[0]?.steps.map((s) => [s.stepName, s.status])).toEqual([
      ['stopInstances', 'Success'],
      [HOSTILE_STEP_NAME, 'Success'],
      ['startInstances', 'Failed'],
    ]);
  });

  it('spans each bar from the step start to its end, and a running step to the last observation', () => {
    const model = buildTimeline(demoRows());
    const failed = model.lanes[0]?.steps[2];
    expect(failed).toMatchObject({ start: Date.parse(isoAt(4)), end: Date.parse(isoAt(11)), open: false });
    expect(failed?.failureMessage).toBe(FAILURE_MESSAGE);
    expect(failed?.alarms).toEqual([]);
    expect(model.lanes[1]?.steps[0]).toMatchObject({ open: true, end: Date.parse(isoAt(12)) });
    expect(model.lanes[1]?.steps[0]?.alarms).toEqual([
      { name: 'StatusCheckFailed-i-0abc', state: 'ALARM', at: Date.parse(isoAt(8)) },
    ]);
    expect(model.lanes[1]?.alarms.map((a) => a.name)).toEqual(['StatusCheckFailed-i-0abc']);
    expect(model.from).toBe(Date.parse(isoAt(1)));
    expect(model.to).toBe(Date.parse(isoAt(12)));
  });

  it('keeps one bar for a retried step: open across its attempts, closed when it fails for good', () => {
    // SSM keeps a retried step InProgress across its attempts, then shows it Failed once.
    const retried = { stepName: 'launchInstance', startTime: isoAt(1), maxAttempts: 3 };
    const message = 'Step launchInstance failed maximum allowed times.';
    const moments = [
      { at: 2, steps: [retried] },
      { at: 6, steps: [retried] },
      { at: 10, steps: [{ ...retried, status: 'Failed', endTime: isoAt(9), failureMessage: message }] },
    ];
    const whileRunning = recordsOf('exec-retry', moments.slice(0, 2)).map(toHistoryRow);
    const ended = recordsOf('exec-retry', moments).map(toHistoryRow);

    expect(whileRunning).toHaveLength(2);
    expect(buildTimeline(whileRunning).lanes[0]?.steps).toMatchObject([{ status: 'InProgress', open: true }]);
    expect(buildTimeline(ended).lanes[0]?.steps).toMatchObject([
      {
        status: 'Failed',
        open: false,
        start: Date.parse(isoAt(1)),
        end: Date.parse(isoAt(9)),
        failureMessage: message,
      },
    ]);
  });

  it('keeps the steps that never started on their lane, after its bars, labelled by whether the run ended', () => {
    const model = buildTimeline(demoRows());

    expect(model.lanes.map((lane) => lane.notStarted)).toEqual([
      [
        {
          executionId: PARENT_ID,
          stepExecutionId: 'step-verify',
          stepName: 'verifyRunning',
          label: 'not run',
        },
      ],
      [{ executionId: CHILD_ID, stepExecutionId: 'step-tag', stepName: 'tagImage', label: 'not started' }],
    ]);
    expect(model.lanes.flatMap((lane) => lane.steps.map((s) => s.stepName))).not.toContain('verifyRunning');
  });

  it('keeps an execution-level alarm on the lane', () => {
    const rows = recordsOf('exec-alarm', [
      { at: 1, execution: { triggeredAlarms: [{ name: 'Budget', state: 'ALARM' }] }, steps: [] },
    ]).map(toHistoryRow);
    expect(buildTimeline(rows).lanes[0]?.alarms.map((a) => a.name)).toEqual(['Budget']);
  });
});

describe('Function: statusCategory', () => {
  it('groups statuses into colours and passes unknown ones as other', () => {
    expect(statusCategory('Success')).toBe('success');
    expect(statusCategory('CompletedWithFailure')).toBe('failure');
    expect(statusCategory('TimedOut')).toBe('timedout');
    expect(statusCategory('Waiting')).toBe('waiting');
    expect(statusCategory('SomethingNew')).toBe('other');
  });
});

describe('Function: renderTimeline', () => {
  it('draws one bar per step, coloured by its final status', () => {
    const html = render();
    const bars = [
      ...html.matchAll(
        /<g class="step"[^>]*data-status="([^"]*)"[^>]*>[\s\S]*?<rect class="bar[^"]*"[^>]*fill="([^"]*)"/g,
      ),
    ];
    expect(html.match(/<rect class="bar/g)).toHaveLength(4);
    expect(bars.map(([, status, fill]) => [status, fill])).toEqual([
      ['Success', STATUS_COLOURS.success],
      ['Success', STATUS_COLOURS.success],
      ['Failed', STATUS_COLOURS.failure],
      ['InProgress', STATUS_COLOURS.running],
    ]);
    expect(html).toContain('<rect class="bar open"');
  });

  it('marks the alarm, on the step and on its execution, and puts the failure message in the hover text', () => {
    const html = render();
    expect(html.match(/<g class="alarm-marker"/g)).toHaveLength(2);
    expect(html).toContain('during createImage');
    expect(html).toContain('on the execution');
    expect(html).toContain(`<title>startInstances — Failed\n`);
    expect(html).toContain(escapeHtml(FAILURE_MESSAGE));
    expect(html).toContain('data-tip="startInstances — Failed\n');
  });

  it('draws a step that never started as a labelled row without a bar, and counts it', () => {
    const html = render();
    const rows = [
      ...html.matchAll(
        /<g class="not-started"[^>]*data-step-name="([^"]*)" data-label="([^"]*)"[^>]*>([\s\S]*?)<\/g>/g,
      ),
    ];

    expect(rows.map(([, name, label]) => [name, label])).toEqual([
      ['verifyRunning', 'not run'],
      ['tagImage', 'not started'],
    ]);
    expect(rows.every(([, , , body]) => !body?.includes('<rect'))).toBe(true);
    expect(rows[0]?.[3]).toContain('<text class="not-started-note"');
    expect(html).toContain('<dt>Steps not run</dt><dd>1</dd>');
    expect(html).toContain('<dt>Steps not started</dt><dd>1</dd>');
    expect(html).toContain('<span class="badge not-started">not run</span>');
    expect(html).toContain('verifyRunning — not run\n');
  });

  it('escapes every text, so a step named <script> stays text', () => {
    const html = render();
    expect(html).not.toContain(HOSTILE_STEP_NAME);
    expect(html).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;');
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('shows the execution header from the snapshot when there is one', () => {
    const html = renderTimeline({
      rows: demoRows(),
      executionId: PARENT_ID,
      execution: {
        executionId: PARENT_ID,
        documentName: 'AWS-RestartEC2Instance',
        documentVersion: '3',
        status: 'Failed',
        parentExecutionId: null,
        startTime: isoAt(1),
        endTime: isoAt(11.5),
        failedSteps: 1,
        alarms: 2,
        account: null,
        region: null,
      },
    });
    expect(html).toContain('<h1>AWS-RestartEC2Instance <small>v3</small></h1>');
    expect(html).toContain('<dt>Duration</dt><dd>10.5s</dd>');
    expect(html).toContain('<dt>Steps</dt><dd>4</dd>');
    expect(html).toContain('<dt>Alarms</dt><dd>2</dd>');
    expect(html).toContain('<dt>Child executions</dt><dd>1</dd>');
  });

  it('needs no network: no URL but the SVG namespace, and a CSP that allows only its own style and script', () => {
    const html = render();
    expect(html.match(/https?:\/\/[^"\s]*/g)).toEqual(['http://www.w3.org/2000/svg']);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const hash = (text: string) => `sha256-${createHash('sha256').update(text).digest('base64')}`;
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src '${hash(style)}'`);
    expect(csp).toContain(`script-src '${hash(script)}'`);
  });

  it('says so when nothing was recorded', () => {
    expect(render([])).toContain('<p>No transitions recorded.</p>');
  });
});
