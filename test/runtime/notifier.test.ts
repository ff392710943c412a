// The notifier with a store and a topic in memory: each message under its own claim, a failed publish released for whoever comes next, a message SNS keeps refusing dropped, lost saves tried again.
import { describe, expect, it } from 'vitest';
import { eventMessage } from '../../lambda/core/notifications/content';
import type { NotifyOptions } from '../../lambda/core/notifications/digest';
import { type NotifiedEvent, notifiedEventOf } from '../../lambda/core/notifications/notified-event';
import type {
  NotificationRecord,
  NotificationStore,
  NotificationTopic,
  UnsentMessage,
} from '../../lambda/core/notifications/ports';
import type { RenderedNotification } from '../../lambda/core/notifications/render';
import { MAX_UNSENT } from '../../lambda/core/notifications/unsent';
import { FAILURE_STATUSES } from '../../lambda/core/status';
import { DETAIL_TYPES } from '../../lambda/core/types';
import {
  deliverNotification,
  MAX_PUBLISH_ATTEMPTS,
  NOTIFY_CLAIM_MS,
  type NotifierDeps,
  NotifyContentionError,
  NotifyPublishError,
} from '../../lambda/runtime/notifier';
import { executionDetail, NOTIFY_T0, stepDetail } from '../core/notifications/fixtures';

const OPTIONS: NotifyOptions = {
  statuses: FAILURE_STATUSES,
  digestIntervalMs: 900_000,
  perChildMessages: false,
};
const EXEC = 'exec-1';

/** A store in memory with the version check, and a hook run before each save (a rival's save). */
class MemoryStore implements NotificationStore {
  readonly records = new Map<string, NotificationRecord>();
  beforeSave: (() => void) | undefined;
  saves = 0;

  async load(threadId: string): Promise<NotificationRecord | null> {
    return this.records.get(threadId) ?? null;
  }

  async save(threadId: string, record: NotificationRecord, expectedVersion: number | null): Promise<boolean> {
    this.beforeSave?.();
    this.saves += 1;
    if ((this.records.get(threadId)?.version ?? null) !== expectedVersion) return false;
    this.records.set(threadId, structuredClone(record));
    return true;
  }
}

/** A topic in memory that refuses the messages `refuses` picks. */
class MemoryTopic implements NotificationTopic {
  readonly published: string[] = [];
  refuses: (notification: RenderedNotification) => boolean = () => false;

  async publish(notification: RenderedNotification): Promise<void> {
    if (this.refuses(notification)) throw new Error(`refused: ${notification.chatbot.id}`);
    this.published.push(notification.chatbot.id);
  }
}

interface Logged {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
}

function setup() {
  const store = new MemoryStore();
  const topic = new MemoryTopic();
  const logged: Logged[] = [];
  const sleeps: number[] = [];
  const deps: NotifierDeps = {
    store,
    topic,
    options: OPTIONS,
    logger: {
      info: (message) => logged.push({ level: 'info', message }),
      warn: (message) => logged.push({ level: 'warn', message }),
      error: (message) => logged.push({ level: 'error', message }),
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  };
  return { store, topic, logged, sleeps, deps };
}

function stepFailed(id: string): NotifiedEvent {
  const event = notifiedEventOf(DETAIL_TYPES.step, stepDetail(id, EXEC, { stepName: `step-${id}` }));
  if (!event) throw new Error('unreadable test event');
  return event;
}

function executionFailed(id: string): NotifiedEvent {
  const event = notifiedEventOf(DETAIL_TYPES.execution, executionDetail(id, EXEC, 'Failed'));
  if (!event) throw new Error('unreadable test event');
  return event;
}

const ids = (unsent: readonly UnsentMessage[] | undefined) => unsent?.map((entry) => entry.message.id);

describe('Function: deliverNotification', () => {
  it('publishes the messages an event decides and leaves nothing unsent', async () => {
    const { store, topic, deps } = setup();
    const outcome = await deliverNotification(stepFailed('m1'), NOTIFY_T0, deps);
    expect(outcome).toEqual({ threadId: EXEC, duplicate: false, published: 1 });
    expect(topic.published).toEqual(['m1']);
    expect(store.records.get(EXEC)?.unsent).toEqual([]);
  });

  it("releases a failed publish, so another event's invocation publishes it at once and the retry finds nothing to do", async () => {
    // Prepare: A's publish fails.
    const { store, topic, deps } = setup();
    topic.refuses = (n) => n.chatbot.id === 'm1';
    const first = deliverNotification(stepFailed('m1'), NOTIFY_T0, deps);
    await expect(first).rejects.toThrow(NotifyPublishError);
    expect(store.records.get(EXEC)?.unsent).toEqual([
      expect.objectContaining({ message: expect.objectContaining({ id: 'm1' }), claimUntil: 0, attempts: 1 }),
    ]);
    topic.refuses = () => false;

    // Act: B handles another event of the thread a second later; A's retry comes a minute later.
    const other = await deliverNotification(executionFailed('m2'), NOTIFY_T0 + 1000, deps);
    const retry = await deliverNotification(stepFailed('m1'), NOTIFY_T0 + 61_000, deps);

    // Assess
    expect(other.published).toBe(2);
    expect(retry).toEqual({ threadId: EXEC, duplicate: true, published: 0 });
    expect(topic.published).toEqual(['m1', 'm2']);
    expect(store.records.get(EXEC)?.unsent).toEqual([]);
  });

  it("never extends another invocation's claim: a message claimed by an invocation that died goes out with its event's retry", async () => {
    // Prepare: A saved m1 under its claim and died before publishing.
    const { store, topic, deps } = setup();
    topic.refuses = () => true;
    await expect(deliverNotification(stepFailed('m1'), NOTIFY_T0, deps)).rejects.toThrow();
    const died = store.records.get(EXEC) as NotificationRecord;
    const claimUntil = NOTIFY_T0 + NOTIFY_CLAIM_MS;
    store.records.set(EXEC, {
      ...died,
      unsent: died.unsent.map((entry) => ({ ...entry, claimUntil, attempts: 0 })),
    });
    topic.refuses = () => false;

    // Act: B claims its own message while A's claim runs; A's retry comes after it.
    await deliverNotification(executionFailed('m2'), NOTIFY_T0 + 1000, deps);
    const whileClaimed = store.records.get(EXEC)?.unsent;
    const retry = await deliverNotification(stepFailed('m1'), claimUntil, deps);

    // Assess
    expect(ids(whileClaimed)).toEqual(['m1']);
    expect(whileClaimed?.[0]?.claimUntil).toBe(claimUntil);
    expect(retry).toEqual({ threadId: EXEC, duplicate: true, published: 1 });
    expect(topic.published).toEqual(['m2', 'm1']);
  });

  it('publishes the others when SNS keeps refusing one, and drops that one with a warning after its last attempt', async () => {
    // Prepare: the refused message's publish fails once.
    const { store, topic, logged, deps } = setup();
    topic.refuses = (n) => n.chatbot.id === 'bad';
    await expect(deliverNotification(stepFailed('bad'), NOTIFY_T0, deps)).rejects.toThrow(NotifyPublishError);

    // Act: each later event of the thread tries it again beside its own message.
    const outcomes: string[] = [];
    for (let attempt = 1; attempt < MAX_PUBLISH_ATTEMPTS; attempt += 1) {
      await deliverNotification(stepFailed(`good-${attempt}`), NOTIFY_T0 + attempt, deps).then(
        () => outcomes.push('ok'),
        (error: Error) => outcomes.push(error.constructor.name),
      );
    }

    // Assess
    expect(topic.published).toEqual(
      Array.from({ length: MAX_PUBLISH_ATTEMPTS - 1 }, (_, i) => `good-${i + 1}`),
    );
    expect(outcomes).toEqual([...Array(MAX_PUBLISH_ATTEMPTS - 2).fill('NotifyPublishError'), 'ok']);
    expect(store.records.get(EXEC)?.unsent).toEqual([]);
    expect(logged.filter((l) => l.level === 'warn').map((l) => l.message)).toContain(
      `notification dropped: publish failed ${MAX_PUBLISH_ATTEMPTS} times`,
    );
  });

  it('drops the oldest unsent message with a warning beyond the cap', async () => {
    // Prepare: as many messages as the cap wait under other invocations' claims.
    const { store, topic, logged, deps } = setup();
    await deliverNotification(stepFailed('seed'), NOTIFY_T0, deps);
    const seeded = store.records.get(EXEC) as NotificationRecord;
    const message = eventMessage(stepFailed('x'), 'x');
    store.records.set(EXEC, {
      ...seeded,
      unsent: Array.from({ length: MAX_UNSENT }, (_, i) => ({
        message: { ...message, id: `waiting-${i}` },
        claimUntil: NOTIFY_T0 + NOTIFY_CLAIM_MS,
        attempts: 0,
      })),
    });

    // Act
    const outcome = await deliverNotification(stepFailed('new'), NOTIFY_T0 + 1000, deps);

    // Assess
    const unsent = ids(store.records.get(EXEC)?.unsent);
    expect(outcome.published).toBe(1);
    expect(topic.published).toEqual(['seed', 'new']);
    expect(unsent).toHaveLength(MAX_UNSENT - 1);
    expect(unsent?.[0]).toBe('waiting-1');
    expect(logged.map((l) => l.message)).toContain(
      'notification dropped: too many unsent notifications: the oldest dropped',
    );
  });

  it('starts over after a rival saved first, with a random pause, and decides the message once', async () => {
    // Prepare: a rival saves before each of the first two saves.
    const { store, topic, sleeps, deps } = setup();
    let rivals = 2;
    store.beforeSave = () => {
      if (rivals === 0) return;
      rivals -= 1;
      const record = store.records.get(EXEC);
      store.records.set(EXEC, {
        state: record?.state ?? { threadId: EXEC, seen: [], sequence: 0, digest: null },
        unsent: record?.unsent ?? [],
        version: (record?.version ?? 0) + 1,
      });
    };

    // Act
    const outcome = await deliverNotification(stepFailed('m1'), NOTIFY_T0, deps);

    // Assess
    expect(outcome.published).toBe(1);
    expect(topic.published).toEqual(['m1']);
    expect(sleeps).toEqual([2, 5]);
  });

  it('gives up with a NotifyContentionError when rivals always save first', async () => {
    const { store, deps } = setup();
    store.beforeSave = () => {
      const record = store.records.get(EXEC);
      store.records.set(EXEC, {
        state: record?.state ?? { threadId: EXEC, seen: [], sequence: 0, digest: null },
        unsent: [],
        version: (record?.version ?? 0) + 1,
      });
    };
    await expect(deliverNotification(stepFailed('m1'), NOTIFY_T0, deps)).rejects.toThrow(
      NotifyContentionError,
    );
  });
});
