// Tests of the bounds of a thread's unsent messages: the oldest dropped beyond a count or a size, and a 1,000-target run's item well under DynamoDB's 400 KB.
import { describe, expect, it } from 'vitest';
import { eventMessage } from '../../../lambda/core/notifications/content';
import { foldNotification, type NotificationState } from '../../../lambda/core/notifications/digest';
import { notifiedEventOf } from '../../../lambda/core/notifications/notified-event';
import type { UnsentMessage } from '../../../lambda/core/notifications/ports';
import {
  capUnsent,
  jsonBytes,
  MAX_UNSENT,
  MAX_UNSENT_BYTES,
} from '../../../lambda/core/notifications/unsent';
import { FAILURE_STATUSES } from '../../../lambda/core/status';
import { DETAIL_TYPES } from '../../../lambda/core/types';
import { rateControlEvents, stepDetail } from './fixtures';

/** DynamoDB's item size limit. */
const ITEM_LIMIT_BYTES = 400 * 1024;
/** 256 KB of four-byte characters: the most a failure message costs per character. */
const HUGE_FAILURE = '𝔣'.repeat(65_536);
/** Longer than a digest lists, in four-byte characters. */
const LONG_FAILURE = '𝔣'.repeat(2000);

function unsent(id: string, failureMessage = 'boom'): UnsentMessage {
  const event = notifiedEventOf(DETAIL_TYPES.step, stepDetail(id, 'exec-1', { failureMessage }));
  if (!event) throw new Error('unreadable test event');
  return { message: eventMessage(event, id), claimUntil: 0, attempts: 0 };
}

describe('Function: capUnsent', () => {
  it('keeps all within the bounds', () => {
    const all = [unsent('a'), unsent('b')];
    expect(capUnsent(all)).toEqual({ kept: all, dropped: [] });
  });

  it('drops the oldest beyond the count', () => {
    const all = ['a', 'b', 'c', 'd'].map((id) => unsent(id));
    const { kept, dropped } = capUnsent(all, { maxCount: 2, maxBytes: MAX_UNSENT_BYTES });
    expect(kept.map((u) => u.message.id)).toEqual(['c', 'd']);
    expect(dropped.map((u) => u.message.id)).toEqual(['a', 'b']);
  });

  it('drops the oldest beyond the size, and always keeps the newest', () => {
    const all = ['a', 'b', 'c'].map((id) => unsent(id));
    const { kept } = capUnsent(all, { maxCount: MAX_UNSENT, maxBytes: jsonBytes(all[2]) * 2 });
    expect(kept.map((u) => u.message.id)).toEqual(['b', 'c']);
    expect(capUnsent(all, { maxCount: MAX_UNSENT, maxBytes: 1 }).kept.map((u) => u.message.id)).toEqual([
      'c',
    ]);
  });

  it("keeps a 1,000-target run's item well under 400 KB with the largest failure messages waiting", () => {
    // Prepare: the run's whole digest, failure messages of four-byte characters, and a backlog of the largest messages.
    const options = { statuses: FAILURE_STATUSES, digestIntervalMs: 60_000, perChildMessages: false };
    let state: NotificationState | null = null;
    const decided: UnsentMessage[] = [];
    for (const observed of rateControlEvents({ targets: 1000, failEvery: 3, minutes: 120 })) {
      const detail = observed.detail as { step?: Record<string, unknown> };
      if (detail.step?.failureMessage) detail.step.failureMessage = LONG_FAILURE;
      const event = notifiedEventOf(observed.detailType, observed.detail);
      if (!event) throw new Error('unreadable test event');
      const step = foldNotification(state, event, observed.at, options);
      state = step.state ?? state;
      for (const message of step.messages) decided.push({ message, claimUntil: 0, attempts: 0 });
    }
    const backlog = Array.from({ length: 20 }, (_, i) => unsent(`big-${i}`, HUGE_FAILURE));
    const all = [...backlog, ...decided];

    // Act
    const { kept, dropped } = capUnsent(all);

    // Assess
    const bytes = jsonBytes({ state, unsent: kept, version: 1_000_000, claimUntil: 0 });
    expect(state?.digest?.children.Failed).toBe(333);
    expect(dropped.length).toBeGreaterThan(0);
    expect([...dropped, ...kept]).toEqual(all);
    expect(kept.length).toBeLessThanOrEqual(MAX_UNSENT);
    expect(bytes).toBeLessThan(ITEM_LIMIT_BYTES * 0.75);
  });
});
