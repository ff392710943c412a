// Sends a cycle's events to the bus in batches, retrying failed entries, without breaking per-step order.
import type { CycleLogger, EventPublisher, SnapshotStore } from '../core/ports';
import type { OutboxEvent } from '../core/types';

/** PutEvents takes at most ten entries a call. */
const PUBLISH_BATCH = 10;

/** What the publisher works through: the part of the cycle's deps it needs, with a logger. */
export interface OrderedPublisherDeps {
  readonly store: Pick<SnapshotStore, 'markSent'>;
  readonly publisher: EventPublisher;
  /** Current time in epoch ms; stamps `sentAt`. */
  readonly now: () => number;
  /** Waits between PutEvents retries. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly logger: CycleLogger;
}

/**
 * Sends events in batches of at most ten, retrying failed entries, and keeps per-step order:
 * a batch never holds two events of one step, and once an event fails for good, later events of
 * the same step wait (recorded, unsent) for the next cycle. One instance serves one cycle.
 *
 * @example
 * const publisher = new OrderedPublisher({ store, publisher: bus, now: Date.now, logger }, 3);
 * const sent = await publisher.publish(claimed);
 */
export class OrderedPublisher {
  /** Events left unsent this cycle (failed for good, or behind one of their step's that did). */
  failedCount = 0;
  /** Events delivered by this instance, by detail type. */
  readonly deliveredByType: Record<string, number> = {};
  readonly #deps: OrderedPublisherDeps;
  readonly #attempts: number;
  readonly #blocked = new Set<string>();
  #held: OutboxEvent[] = [];
  #outage = false;

  /** @param attempts - PutEvents attempts for a failing entry */
  constructor(deps: OrderedPublisherDeps, attempts: number) {
    this.#deps = deps;
    this.#attempts = attempts;
  }

  /**
   * Publishes in order; returns how many were sent. Unsent ones stay pending in the store; sent ones
   * are marked sent at once, or held for {@link OrderedPublisher.markSentHeld} with `markSentLater`.
   */
  async publish(events: readonly OutboxEvent[], options: { markSentLater?: boolean } = {}): Promise<number> {
    let sent = 0;
    let queue = [...events];
    while (queue.length > 0) {
      if (this.#outage) {
        this.failedCount += queue.length;
        break;
      }
      const batch: OutboxEvent[] = [];
      const keys = new Set<string>();
      const rest: OutboxEvent[] = [];
      for (const event of queue) {
        const key = orderingKey(event);
        if (this.#blocked.has(key)) {
          this.failedCount++;
          continue;
        }
        // Once a key repeats, everything after waits for the next batch so order holds.
        if (batch.length < PUBLISH_BATCH && !keys.has(key) && rest.length === 0) {
          batch.push(event);
          keys.add(key);
        } else {
          rest.push(event);
        }
      }
      if (batch.length === 0) break;
      const delivered = await this.#sendWithRetry(batch);
      sent += delivered.length;
      for (const event of delivered) {
        this.deliveredByType[event.detailType] = (this.deliveredByType[event.detailType] ?? 0) + 1;
      }
      if (options.markSentLater) this.#held.push(...delivered);
      else if (delivered.length > 0)
        await this.#deps.store.markSent(delivered, new Date(this.#deps.now()).toISOString());
      queue = rest;
    }
    return sent;
  }

  /** Marks the held sent events that `ready` picks as sent; the others stay pending, to be sent again. */
  async markSentHeld(ready: (event: OutboxEvent) => boolean): Promise<void> {
    const events = this.#held.filter(ready);
    this.#held = [];
    if (events.length > 0) await this.#deps.store.markSent(events, new Date(this.#deps.now()).toISOString());
  }

  async #sendWithRetry(batch: readonly OutboxEvent[]): Promise<OutboxEvent[]> {
    const delivered: OutboxEvent[] = [];
    let remaining = [...batch];
    for (let attempt = 1; remaining.length > 0 && attempt <= this.#attempts; attempt++) {
      if (attempt > 1) await (this.#deps.sleep ?? defaultSleep)(100 * 2 ** (attempt - 2));
      let failedIds: Set<string>;
      try {
        const failures = await this.#deps.publisher.publishBatch(remaining);
        failedIds = new Set(failures.map((f) => f.eventId));
        if (failures.length > 0) {
          this.#deps.logger.warn('PutEvents entries failed; retrying them', {
            attempt,
            failures: failures.map((f) => ({ eventId: f.eventId, errorCode: f.errorCode })),
          });
        }
      } catch (error) {
        this.#deps.logger.warn('PutEvents call failed', { attempt, error: String(error) });
        failedIds = new Set(remaining.map((e) => e.eventId));
        if (attempt === this.#attempts) this.#outage = true;
      }
      delivered.push(...remaining.filter((e) => !failedIds.has(e.eventId)));
      remaining = remaining.filter((e) => failedIds.has(e.eventId));
    }
    for (const event of remaining) {
      this.#blocked.add(orderingKey(event));
      this.failedCount++;
    }
    if (remaining.length > 0) {
      this.#deps.logger.error('events left pending for the next cycle', {
        eventIds: remaining.map((e) => e.eventId),
      });
    }
    return delivered;
  }
}

/** Events of one step (status and alarms) share a key; so do an execution's own events. */
function orderingKey(event: OutboxEvent): string {
  return event.stepExecutionId ?? event.executionId;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
