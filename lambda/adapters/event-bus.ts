// EventPublisher over EventBridge PutEvents.
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { ServiceError } from '../core/errors';
import type { EventPublisher, PublishFailure } from '../core/ports';
import type { OutboxEvent } from '../core/types';
import { CallCounter } from './call-counter';

/** Options of {@link EventBridgePublisher}. */
export interface EventBridgePublisherOptions {
  /** Bus name or ARN. */
  readonly busName: string;
  /** `source` of every entry. */
  readonly source: string;
  /** @default a new EventBridgeClient */
  readonly client?: EventBridgeClient;
  /** @default a new counter */
  readonly calls?: CallCounter;
}

/** PutEvents allows at most this many entries a call. */
export const MAX_ENTRIES_PER_CALL = 10;

/** Sends outbox events to an EventBridge bus, reporting the entries that failed. */
export class EventBridgePublisher implements EventPublisher {
  readonly calls: CallCounter;
  readonly #client: EventBridgeClient;
  readonly #busName: string;
  readonly #source: string;

  constructor(options: EventBridgePublisherOptions) {
    this.#client = options.client ?? new EventBridgeClient({});
    this.#busName = options.busName;
    this.#source = options.source;
    this.calls = options.calls ?? new CallCounter();
  }

  async publishBatch(events: readonly OutboxEvent[]): Promise<readonly PublishFailure[]> {
    if (events.length > MAX_ENTRIES_PER_CALL) {
      throw new ServiceError(
        `PutEvents takes at most ${MAX_ENTRIES_PER_CALL} entries; got ${events.length}.`,
      );
    }
    if (events.length === 0) return [];
    this.calls.count('PutEvents');
    let output: PutEventsCommandOutput;
    try {
      output = await this.#client.send(
        new PutEventsCommand({
          Entries: events.map((event) => ({
            EventBusName: this.#busName,
            Source: this.#source,
            DetailType: event.detailType,
            Detail: event.detail,
            Resources: [...event.resources],
            Time: new Date(event.observedAt),
          })),
        }),
      );
    } catch (error) {
      throw ServiceError.of(`EventBridge PutEvents to ${this.#busName}`, error);
    }
    // Entries answer in request order; an entry without EventId failed.
    const failures: PublishFailure[] = [];
    events.forEach((event, i) => {
      const entry = output.Entries?.[i];
      if (!entry?.EventId) {
        failures.push({
          eventId: event.eventId,
          errorCode: entry?.ErrorCode ?? 'MissingEntry',
          errorMessage: entry?.ErrorMessage ?? 'PutEvents returned no entry for this event',
        });
      }
    });
    return failures;
  }
}
