// The ports the notifier needs: where a thread's state is kept, and the topic messages go to.
import type { NotificationState } from './digest';
import type { NotificationMessage, RenderedNotification } from './render';

/** A message decided and not yet confirmed published, with its own claim. */
export interface UnsentMessage {
  readonly message: NotificationMessage;
  /**
   * Until when (epoch ms) the invocation that claimed it may still be publishing it; whoever finds it
   * later publishes it. 0: released after a failed publish, claimable at once.
   */
  readonly claimUntil: number;
  /** Publishes of it that failed so far. */
  readonly attempts: number;
}

/** A thread's state as stored, with the messages decided but not yet confirmed published. */
export interface NotificationRecord {
  readonly state: NotificationState;
  /** Messages decided and not confirmed sent, oldest first, each with its own claim. */
  readonly unsent: readonly UnsentMessage[];
  /** Optimistic-lock counter: a save succeeds only against the version it read. */
  readonly version: number;
}

/** Where the notifier keeps one record per thread, written with a version check. */
export interface NotificationStore {
  /** The thread's record, or null when there is none. */
  load(threadId: string): Promise<NotificationRecord | null>;
  /**
   * Saves the record if the stored one still has `expectedVersion` (null: there must be none);
   * false when another invocation saved first.
   */
  save(threadId: string, record: NotificationRecord, expectedVersion: number | null): Promise<boolean>;
}

/** Where notifications are published (the SNS topic). */
export interface NotificationTopic {
  publish(notification: RenderedNotification): Promise<void>;
}
