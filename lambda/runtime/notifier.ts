// Delivers one event's notifications: its thread's state folded and saved with a version check, then each decided message published under its own claim, at least once.

import { StepWatchError } from '../core/errors';
import { foldNotification, type NotifyOptions, threadOf } from '../core/notifications/digest';
import type { NotifiedEvent } from '../core/notifications/notified-event';
import type { NotificationStore, NotificationTopic, UnsentMessage } from '../core/notifications/ports';
import { renderNotification } from '../core/notifications/render';
import { capUnsent } from '../core/notifications/unsent';
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
  /** Messages published by this invocation (its own, and others' whose claim had lapsed). */
  readonly published: number;
}

/** Rival invocations kept saving first; the event must come again. */
export class NotifyContentionError extends StepWatchError {}

/** Publishes that failed; the messages were released for the next invocation (the event's retry). */
export class NotifyPublishError extends StepWatchError {}

/** Failed publishes of one message after which it is dropped with a warning (SNS keeps refusing it). */
export const MAX_PUBLISH_ATTEMPTS = 5;

/**
 * Handles one event: loads its thread's record, folds the event in, and saves the result with the
 * messages it decided added to `unsent`, each claimed by this invocation for {@link NOTIFY_CLAIM_MS},
 * conditional on the version read (a rival's save makes it start over, so no message is decided
 * twice). Unsent messages whose claim lapsed (their invocation died, or released them after a failed
 * publish) are claimed with them; a claim that still runs is never touched, so no invocation
 * extends another's. Then it publishes the claimed messages one by one, removes those sent from
 * `unsent` and releases those that failed (claimable at once, one attempt more counted; dropped with a
 * warning after {@link MAX_PUBLISH_ATTEMPTS}), and throws if any was released, so Lambda retries the
 * event and the retry (or any other event of the thread) publishes them. One is sent twice only if
 * an invocation dies between publishing and saving.
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
    const unsent = record?.unsent ?? [];
    const lapsed = unsent.filter((entry) => entry.claimUntil <= now);
    if (!step.changed && lapsed.length === 0) return { threadId, duplicate: step.duplicate, published: 0 };
    const state = step.state ?? record?.state;
    if (!state) return { threadId, duplicate: step.duplicate, published: 0 };
    const claimUntil = now + NOTIFY_CLAIM_MS;
    const claimed: UnsentMessage[] = [
      ...lapsed.map((entry) => ({ ...entry, claimUntil })),
      ...step.messages.map((message) => ({ message, claimUntil, attempts: 0 })),
    ];
    const { kept, dropped } = capUnsent([...unsent.filter((entry) => entry.claimUntil > now), ...claimed]);
    const saved = await deps.store.save(
      threadId,
      { state, unsent: kept, version: (record?.version ?? 0) + 1 },
      record?.version ?? null,
    );
    if (!saved) continue;
    for (const entry of dropped)
      warnDropped(entry, 'too many unsent notifications: the oldest dropped', deps);
    const mine = claimed.filter((entry) => kept.includes(entry));
    const published = await publishEach(mine, deps);
    await settle(threadId, published, deps);
    const failed = published.failed.filter((entry) => entry.attempts + 1 < MAX_PUBLISH_ATTEMPTS);
    if (failed.length > 0) {
      throw new NotifyPublishError(
        `Notification thread ${threadId}: ${failed.length} of ${mine.length} publishes failed; released for the retry.`,
        { cause: published.error },
      );
    }
    return { threadId, duplicate: step.duplicate, published: published.sent.length };
  }
  throw new NotifyContentionError(
    `Notification thread ${threadId}: ${MAX_SAVES} saves lost to rival invocations.`,
  );
}

/** What publishing the claimed messages came to. */
interface Published {
  readonly sent: readonly UnsentMessage[];
  readonly failed: readonly UnsentMessage[];
  /** The first failure. */
  readonly error: unknown;
}

/** Publishes each message on its own: one SNS refuses does not keep the others back. */
async function publishEach(claimed: readonly UnsentMessage[], deps: NotifierDeps): Promise<Published> {
  const sent: UnsentMessage[] = [];
  const failed: UnsentMessage[] = [];
  let error: unknown;
  for (const entry of claimed) {
    const { message } = entry;
    try {
      await deps.topic.publish(renderNotification(message));
    } catch (caught) {
      error ??= caught;
      failed.push(entry);
      deps.logger?.warn('notification publish failed', {
        id: message.id,
        thread: message.threadId,
        attempts: entry.attempts + 1,
        error: caught instanceof Error ? caught.message : String(caught),
      });
      continue;
    }
    sent.push(entry);
    deps.logger?.info('notification published', {
      id: message.id,
      kind: message.kind,
      thread: message.threadId,
    });
  }
  return { sent, failed, error };
}

function warnDropped(entry: UnsentMessage, reason: string, deps: NotifierDeps): void {
  deps.logger?.warn(`notification dropped: ${reason}`, {
    id: entry.message.id,
    kind: entry.message.kind,
    thread: entry.message.threadId,
    attempts: entry.attempts,
  });
}

/**
 * Records what publishing came to, against whatever rivals saved meanwhile: the sent messages leave
 * `unsent`, the failed ones are released (claimable at once, one attempt more) or, after
 * {@link MAX_PUBLISH_ATTEMPTS}, dropped with a warning.
 */
async function settle(threadId: string, published: Published, deps: NotifierDeps): Promise<void> {
  const sent = new Set(published.sent.map((entry) => entry.message.id));
  const failed = new Set(published.failed.map((entry) => entry.message.id));
  if (sent.size === 0 && failed.size === 0) return;
  for (let attempt = 0; attempt < MAX_SAVES; attempt += 1) {
    await backoff(attempt, deps);
    const record = await deps.store.load(threadId);
    if (!record?.unsent.some((entry) => sent.has(entry.message.id) || failed.has(entry.message.id))) return;
    const unsent: UnsentMessage[] = [];
    const dropped: UnsentMessage[] = [];
    for (const entry of record.unsent) {
      if (sent.has(entry.message.id)) continue;
      if (!failed.has(entry.message.id)) unsent.push(entry);
      else if (entry.attempts + 1 >= MAX_PUBLISH_ATTEMPTS) dropped.push(entry);
      else unsent.push({ ...entry, claimUntil: 0, attempts: entry.attempts + 1 });
    }
    const saved = await deps.store.save(
      threadId,
      { ...record, unsent, version: record.version + 1 },
      record.version,
    );
    if (!saved) continue;
    for (const entry of dropped) warnDropped(entry, `publish failed ${MAX_PUBLISH_ATTEMPTS} times`, deps);
    return;
  }
  // Left claimed, they are published once more after the claim: a duplicate rather than a loss.
  deps.logger?.warn('published notifications could not be marked sent', { thread: threadId });
}
