// Delivers one event's notifications: its thread's state folded and saved with a version check, then the decided messages published, at least once.

import { StepWatchError } from '../core/errors';
import { foldNotification, type NotifyOptions, threadOf } from '../core/notifications/digest';
import type { NotifiedEvent } from '../core/notifications/notified-event';
import type { NotificationStore, NotificationTopic } from '../core/notifications/ports';
import { type NotificationMessage, renderNotification } from '../core/notifications/render';
import type { CycleLogger } from '../core/ports';

/** How long the invocation that decided messages may take to publish them before another does. */
export const NOTIFY_CLAIM_MS = 60_000;
/**
 * Saves tried against rival invocations before giving up (the event then comes again): a cycle's
 * burst of a run's events reaches the thread's one item at once, and each round only one save wins.
 */
const MAX_SAVES = 100;
/** The longest pause before trying again after a lost save, ms; random below it, so rivals spread. */
const MAX_BACKOFF_MS = 50;

/** What the notifier works with. */
export interface NotifierDeps {
  readonly store: NotificationStore;
  readonly topic: NotificationTopic;
  readonly options: NotifyOptions;
  readonly logger?: CycleLogger;
  /** Waits before trying again after a lost save. @default a real timeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Random numbers from 0 to 1 for the backoff. @default Math.random */
  readonly random?: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function backoff(attempt: number, deps: NotifierDeps): Promise<void> | undefined {
  if (attempt === 0) return undefined;
  const ms = Math.floor((deps.random ?? Math.random)() * Math.min(MAX_BACKOFF_MS, 5 * attempt));
  return (deps.sleep ?? realSleep)(ms);
}

/** What one event came to. */
export interface NotifyOutcome {
  readonly threadId: string;
  /** The event was handled before. */
  readonly duplicate: boolean;
  /** Messages published by this invocation (its own, and others' left unsent). */
  readonly published: number;
}

/** Rival invocations kept saving first; the event must come again. */
export class NotifyContentionError extends StepWatchError {}

/**
 * Handles one event: loads its thread's record, folds the event in, and saves the result with the
 * messages it decided as `unsent`, conditional on the version read (a rival's save makes it start
 * over, so no message is decided twice). Then it publishes them and removes them from `unsent`. A
 * failed publish leaves them there: they are published by the next invocation of the thread that
 * finds them after the claim ran out (the Lambda retry of this very event, at the latest), so no
 * message is lost, and one is sent twice only if an invocation dies between publishing and saving.
 *
 * @example
 * await deliverNotification(event, Date.now(), { store, topic, options });
 */
export async function deliverNotification(
  event: NotifiedEvent,
  now: number,
  deps: NotifierDeps,
): Promise<NotifyOutcome> {
  const threadId = threadOf(event, deps.options);
  for (let attempt = 0; attempt < MAX_SAVES; attempt += 1) {
    await backoff(attempt, deps);
    const record = await deps.store.load(threadId);
    const step = foldNotification(record?.state ?? null, event, now, deps.options);
    const overdue = record && record.claimUntil <= now ? record.unsent : [];
    if (!step.changed && overdue.length === 0) return { threadId, duplicate: step.duplicate, published: 0 };
    const state = step.state ?? record?.state;
    if (!state) return { threadId, duplicate: step.duplicate, published: 0 };
    const claimed = [...overdue, ...step.messages];
    const others = record && overdue.length === 0 ? record.unsent : [];
    const version = (record?.version ?? 0) + 1;
    const saved = await deps.store.save(
      threadId,
      {
        state,
        unsent: [...others, ...claimed],
        claimUntil: claimed.length > 0 ? now + NOTIFY_CLAIM_MS : (record?.claimUntil ?? 0),
        version,
      },
      record?.version ?? null,
    );
    if (!saved) continue;
    if (claimed.length > 0) {
      await publishAll(claimed, deps);
      await confirmSent(threadId, claimed, deps);
    }
    return { threadId, duplicate: step.duplicate, published: claimed.length };
  }
  throw new NotifyContentionError(
    `Notification thread ${threadId}: ${MAX_SAVES} saves lost to rival invocations.`,
  );
}

async function publishAll(messages: readonly NotificationMessage[], deps: NotifierDeps): Promise<void> {
  for (const message of messages) {
    await deps.topic.publish(renderNotification(message));
    deps.logger?.info('notification published', {
      id: message.id,
      kind: message.kind,
      thread: message.threadId,
    });
  }
}

/** Removes published messages from the thread's `unsent`, against whatever rivals saved meanwhile. */
async function confirmSent(
  threadId: string,
  sent: readonly NotificationMessage[],
  deps: NotifierDeps,
): Promise<void> {
  const ids = new Set(sent.map((message) => message.id));
  for (let attempt = 0; attempt < MAX_SAVES; attempt += 1) {
    await backoff(attempt, deps);
    const record = await deps.store.load(threadId);
    if (!record?.unsent.some((message) => ids.has(message.id))) return;
    const unsent = record.unsent.filter((message) => !ids.has(message.id));
    const saved = await deps.store.save(
      threadId,
      { ...record, unsent, version: record.version + 1 },
      record.version,
    );
    if (saved) return;
  }
  // Left unsent, they are published once more after the claim: a duplicate rather than a loss.
  deps.logger?.warn('published notifications could not be marked sent', { thread: threadId });
}
