// Tests of what notifications say: SSM's text cut to the channels' budgets as a message is built, and the digest's promised interval.
import { describe, expect, it } from 'vitest';
import { eventMessage, intervalText } from '../../../lambda/core/notifications/content';
import { foldNotification } from '../../../lambda/core/notifications/digest';
import { notifiedEventOf } from '../../../lambda/core/notifications/notified-event';
import { renderNotification } from '../../../lambda/core/notifications/render';
import { jsonBytes } from '../../../lambda/core/notifications/unsent';
import { FAILURE_STATUSES } from '../../../lambda/core/status';
import { DETAIL_TYPES } from '../../../lambda/core/types';
import { NOTIFY_T0, stepDetail } from './fixtures';

/** SSM's largest failure message: 256 KB, its cause at the end. */
const HUGE_FAILURE = `${'Step failed. '.repeat(20_000)}Cause: disk full`;

function stepEvent(step: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const event = notifiedEventOf(DETAIL_TYPES.step, stepDetail('e1', 'exec-1', step, extra));
  if (!event) throw new Error('unreadable test event');
  return event;
}

describe('Function: eventMessage', () => {
  it("keeps SSM's failure message to the larger channel budget, so a waiting message stays small", () => {
    // Act
    const message = eventMessage(stepEvent({ failureMessage: HUGE_FAILURE }), 'e1');

    // Assess
    expect(HUGE_FAILURE.length).toBeGreaterThan(250_000);
    expect(jsonBytes(message)).toBeLessThan(10_000);
  });

  it('renders a cut failure message as a cut of the whole one: its end kept, the count of the original', () => {
    // Act
    const { email, chatbot } = renderNotification(
      eventMessage(stepEvent({ failureMessage: HUGE_FAILURE }), 'e1'),
    );

    // Assess: e-mail keeps 8,000 characters of it, Slack 1,500, each saying how much of the whole went.
    const emailCut = Number(/\[(\d+) characters cut\]/.exec(email)?.[1]);
    const slackCut = Number(/\[(\d+) characters cut\]/.exec(chatbot.content.description)?.[1]);
    expect(email).toContain('Cause: disk full');
    expect(chatbot.content.description).toContain('Cause: disk full');
    expect(HUGE_FAILURE.length - emailCut).toBeLessThanOrEqual(8000);
    expect(HUGE_FAILURE.length - emailCut).toBeGreaterThan(7900);
    expect(HUGE_FAILURE.length - slackCut).toBeLessThanOrEqual(1500);
    expect(HUGE_FAILURE.length - slackCut).toBeGreaterThan(1400);
    expect(email.match(/characters cut/g)).toHaveLength(1);
    expect(chatbot.content.description.match(/characters cut/g)).toHaveLength(1);
  });

  it('renders short SSM text exactly as before it was cut at build time', () => {
    const message = eventMessage(stepEvent({ failureMessage: 'line one\nline two' }), 'e1');
    expect(renderNotification(message).email).toContain('Failure: line one\n  line two');
  });

  it("cuts SSM's names and keywords too", () => {
    const long = 'n'.repeat(100_000);
    const message = eventMessage(stepEvent({ stepName: long }, { documentName: long }), 'e1');
    expect(jsonBytes(message)).toBeLessThan(10_000);
  });
});

describe('Function: intervalText', () => {
  it('says whole minutes in minutes and anything else in seconds', () => {
    expect([900, 60, 20, 1, 90, 0].map(intervalText)).toEqual([
      '15 minutes',
      '1 minute',
      '20 seconds',
      '1 second',
      '90 seconds',
      '1 second',
    ]);
  });

  it('promises updates every 20 seconds, not every 0 minutes, in a first digest message', () => {
    // Prepare
    const childFailed = stepEvent({ failureMessage: 'x' }, { parentExecutionId: 'parent-1' });

    // Act
    const step = foldNotification(null, childFailed, NOTIFY_T0, {
      statuses: FAILURE_STATUSES,
      digestIntervalMs: 20_000,
      perChildMessages: false,
    });

    // Assess
    const [message] = step.messages;
    expect(message ? renderNotification(message).email : '').toContain(
      'Next: at most one update every 20 seconds, and a summary when the run ends',
    );
  });
});
