// The ports the notifier needs: where a thread's state is kept, and the topic messages go to.
import type { NotificationState } from './digest';
import type { NotificationMessage, RenderedNotification } from './render';

/** A thread's state as stored, with the messages decided but not yet confirmed published. */
export interface NotificationRecord {
  readonly state: NotificationState;
  /** Messages decided and not confirmed sent: published again by whoever finds them after `claimUntil`. */
  readonly unsent: readonly NotificationMessage[];
  /** Until when (epoch ms) the invocation that decided `unsent` may still be publishing them. */
  readonly claimUntil: number;
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
