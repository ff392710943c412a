// Tests of which notifications events make: plain runs one message per failure, runs with children a digest, duplicates nothing.
import { describe, expect, it } from 'vitest';
import {
  foldNotification,
  type NotificationState,
  type NotifyOptions,
  simulateNotifications,
} from '../../../lambda/core/notifications/digest';
import { notifiedEventOf } from '../../../lambda/core/notifications/notified-event';
import { FAILURE_STATUSES } from '../../../lambda/core/status';
import { DETAIL_TYPES } from '../../../lambda/core/types';
import { executionDetail, NOTIFY_T0, observed, rateControlEvents, stepDetail } from './fixtures';

const MINUTE = 60_000;
const OPTIONS: NotifyOptions = {
  statuses: FAILURE_STATUSES,
  digestIntervalMs: 15 * MINUTE,
  perChildMessages: false,
};
const PARENT = 'aaaaaaaa-0000-4000-8000-000000000001';

function event(kind: keyof typeof DETAIL_TYPES, detail: Record<string, unknown>) {
  const notified = notifiedEventOf(DETAIL_TYPES[kind], detail);
  if (!notified) throw new Error('unreadable test event');
  return notified;
}

describe('Function: foldNotification', () => {
  it('makes one message for a failed step of a plain run, and nothing for the same event again', () => {
    // Prepare
    const failed = event('step', stepDetail('e1', 'exec-1', { failureMessage: 'boom' }));

    // Act
    const first = foldNotification(null, failed, NOTIFY_T0, OPTIONS);
    const again = foldNotification(first.state, failed, NOTIFY_T0 + 1000, OPTIONS);

    // Assess
    expect(first.messages.map((m) => [m.kind, m.id, m.threadId])).toEqual([['step', 'e1', 'exec-1']]);
    expect(first.changed).toBe(true);
    expect(again).toEqual({ state: first.state, changed: false, duplicate: true, messages: [] });
  });

  it('keeps no state and says nothing for a plain run that succeeds', () => {
    const done = event('execution', executionDetail('e2', 'exec-1', 'Success'));
    expect(foldNotification(null, done, NOTIFY_T0, OPTIONS)).toEqual({
      state: null,
      changed: false,
      duplicate: false,
      messages: [],
    });
  });

  it('sends the first failure of a run with children once, whichever of its events comes twice', () => {
    // Prepare
    const childFailed = event(
      'step',
      stepDetail('c1', 'child-1', { failureMessage: 'x' }, { parentExecutionId: PARENT }),
    );

    // Act
    const first = foldNotification(null, childFailed, NOTIFY_T0, OPTIONS);
    const replay = foldNotification(first.state, childFailed, NOTIFY_T0, OPTIONS);
    const second = foldNotification(
      first.state,
      event('execution', executionDetail('c1-end', 'child-1', 'Failed', { parentExecutionId: PARENT })),
      NOTIFY_T0 + MINUTE,
      OPTIONS,
    );

    // Assess
    expect(first.messages.map((m) => [m.kind, m.threadId])).toEqual([['digest-first', PARENT]]);
    expect(replay.messages).toEqual([]);
    expect(second.messages).toEqual([]);
    expect(second.state?.digest?.children).toEqual({ Failed: 1 });
    expect(second.state?.digest?.latest).toHaveLength(1);
  });

  it("treats a parent's aws:executeAutomation step as the run's, naming the target", () => {
    const parentStep = event(
      'step',
      stepDetail('p1', PARENT, {
        stepName: 'i-0abc',
        action: 'aws:executeAutomation',
        outputs: { ExecutionId: ['child-1'] },
      }),
    );
    const step = foldNotification(null, parentStep, NOTIFY_T0, OPTIONS);
    expect(step.messages.map((m) => m.kind)).toEqual(['digest-first']);
    expect(step.state?.digest?.latest).toEqual([
      expect.objectContaining({ key: 'child-1', executionId: 'child-1', target: 'i-0abc', stepName: null }),
    ]);
  });

  it('bounds the event ids it remembers', () => {
    let state: NotificationState | null = null;
    for (let i = 0; i < 1200; i += 1) {
      const done = event(
        'execution',
        executionDetail(`id-${String(i).padStart(13, '0')}`, `child-${i}`, 'Success', {
          parentExecutionId: PARENT,
        }),
      );
      state = foldNotification(state, done, NOTIFY_T0 + i, OPTIONS).state;
    }
    expect(state?.seen).toHaveLength(1000);
    expect(state?.digest?.children).toEqual({ Success: 1200 });
  });
});

describe('Function: simulateNotifications', () => {
  it('sends at most five messages for a 40-minute run over 1,000 targets with 100 failures', () => {
    // Prepare
    const events = rateControlEvents({ targets: 1000, failEvery: 10, minutes: 40 });
    const firstFailureAt = events.find((e) => (e.detail as { step?: unknown }).step !== undefined)?.at;

    // Act
    const sent = simulateNotifications(events, OPTIONS);

    // Assess
    expect(sent.map((s) => s.message.kind)).toEqual([
      'digest-first',
      'digest-update',
      'digest-update',
      'digest-final',
    ]);
    expect(sent[0]?.at).toBe(firstFailureAt);
    const gaps = sent.slice(1, -1).map((s, i) => s.at - (sent[i]?.at ?? 0));
    expect(gaps.every((gap) => gap >= 15 * MINUTE)).toBe(true);
    expect(sent.at(-1)?.at).toBe(NOTIFY_T0 + 40 * MINUTE);
    expect(sent.at(-1)?.rendered.subject).toBe(
      'SSM Automation AWS-RestartEC2Instance Failed: 100 child executions failed',
    );
    expect(sent.at(-1)?.rendered.slackText).toContain('*Child executions ended:* Success 900 · Failed 100');
  });

  it('sends one message per failure-like event with per-child messages', () => {
    const events = rateControlEvents({ targets: 100, failEvery: 10, minutes: 10 });
    const sent = simulateNotifications(events, { ...OPTIONS, perChildMessages: true });
    // Ten failed targets, three events each, and the parent's end.
    expect(sent).toHaveLength(31);
    expect(new Set(sent.map((s) => s.message.kind))).toEqual(new Set(['step', 'execution']));
  });

  it('sends updates more often with a shorter interval', () => {
    const events = rateControlEvents({ targets: 1000, failEvery: 10, minutes: 40 });
    const sent = simulateNotifications(events, { ...OPTIONS, digestIntervalMs: 5 * MINUTE });
    expect(sent.filter((s) => s.message.kind === 'digest-update')).toHaveLength(7);
  });

  it('holds an update that is due until the next event, and gives it to the final summary', () => {
    // Prepare: two failures a minute apart, then nothing until the parent ends 30 minutes later.
    const child = { parentExecutionId: PARENT };
    const events = [
      observed(NOTIFY_T0, 'execution', executionDetail('a', 'child-1', 'Failed', child)),
      observed(NOTIFY_T0 + MINUTE, 'execution', executionDetail('b', 'child-2', 'Failed', child)),
      observed(NOTIFY_T0 + 31 * MINUTE, 'execution', executionDetail('end', PARENT, 'Failed')),
    ];

    // Act
    const sent = simulateNotifications(events, OPTIONS);

    // Assess
    expect(sent.map((s) => [s.message.kind, (s.at - NOTIFY_T0) / MINUTE])).toEqual([
      ['digest-first', 0],
      ['digest-final', 31],
    ]);
    expect(sent[1]?.rendered.slackText).toContain('*Child executions ended:* Failed 2');
  });

  it('says nothing for a run whose children all succeed', () => {
    const child = { parentExecutionId: PARENT };
    const events = [
      observed(NOTIFY_T0, 'execution', executionDetail('a', 'child-1', 'Success', child)),
      observed(NOTIFY_T0 + MINUTE, 'execution', executionDetail('end', PARENT, 'Success')),
    ];
    expect(simulateNotifications(events, OPTIONS)).toEqual([]);
  });

  it('reports failures that come after the final summary as a late update, once the interval passed', () => {
    const child = { parentExecutionId: PARENT };
    const events = [
      observed(NOTIFY_T0, 'execution', executionDetail('a', 'child-1', 'Failed', child)),
      observed(NOTIFY_T0 + MINUTE, 'execution', executionDetail('end', PARENT, 'Failed')),
      observed(NOTIFY_T0 + 2 * MINUTE, 'execution', executionDetail('b', 'child-2', 'Failed', child)),
      observed(NOTIFY_T0 + 17 * MINUTE, 'execution', executionDetail('c', 'child-3', 'Failed', child)),
    ];
    const sent = simulateNotifications(events, OPTIONS);
    expect(sent.map((s) => s.message.kind)).toEqual(['digest-first', 'digest-final', 'digest-update']);
    expect(sent[2]?.rendered.subject).toMatch(/: 3 child executions failed \(after the run ended\)$/);
  });

  it('leaves out events the rules do not route, such as a step starting', () => {
    const events = [observed(NOTIFY_T0, 'step', stepDetail('a', 'exec-1', { status: 'InProgress' }))];
    expect(simulateNotifications(events, OPTIONS)).toEqual([]);
  });

  it("shows a loop iteration's number and item in a step message", () => {
    const events = [
      observed(
        NOTIFY_T0,
        'step',
        stepDetail('a', 'exec-1', {
          stepName: 'restart',
          parentStep: { stepName: 'eachInstance', iteration: 3, iteratorValue: 'i-0*x*' },
        }),
      ),
    ];
    const [sent] = simulateNotifications(events, OPTIONS);
    expect(sent?.rendered.slackText).toContain('*Loop:* eachInstance iteration 3, item i-0∗x∗');
    expect(sent?.rendered.email).toContain('Loop: eachInstance iteration 3, item i-0*x*');
  });
});
