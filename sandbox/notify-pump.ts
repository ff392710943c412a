// The notification rules of the sandbox: recorded EventBridge events the stack's rules match go to the notify handler, as EventBridge invokes it.
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { DEFAULT_EVENT_SOURCE } from '../lambda/core/defaults';
import { isRouted } from '../lambda/core/notifications/digest';
import { notifiedEventOf } from '../lambda/core/notifications/notified-event';
import { FAILURE_STATUSES } from '../lambda/core/status';
import type { RecordedEvent } from './event-recorder';
import { lambdaContext } from './hint-queue';

/** Where the pump reads the events the poller published. */
export interface NotifySource {
  events(): RecordedEvent[];
}

/** Options of {@link NotifyPump}. */
export interface NotifyPumpOptions {
  readonly source: NotifySource;
  readonly handler: (event: EventBridgeEvent<string, unknown>, context: Context) => Promise<unknown>;
  /** The statuses of the rules (`notifications.statuses`). @default FAILURE_STATUSES */
  readonly statuses?: readonly string[];
  /** The rules' `source`. @default 'ssm-step-watch' */
  readonly eventSource?: string;
  /**
   * Invocations at once: EventBridge invokes the function for each matching event in parallel.
   * @default 1 (one after the other, in the order published)
   */
  readonly concurrency?: number;
  /** Clock of the invocations' contexts. @default Date.now */
  readonly clock?: () => number;
}

/** What one {@link NotifyPump.pump} did. */
export interface NotifyPumpResult {
  /** Events the rules matched and the handler was invoked with. */
  readonly invocations: number;
  /** Invocations that threw (EventBridge and Lambda would try them again). */
  readonly failed: number;
}

/**
 * Hands the events the poller published since the last pump, when the notification rules match
 * them (their source, failure-like step statuses, failure-like or final execution statuses, every
 * alarm), to the notify handler as EventBridge events, `concurrency` at a time. `deliver` hands any
 * events again, as EventBridge's at-least-once delivery may.
 */
export class NotifyPump {
  private readonly options: NotifyPumpOptions;
  private readonly clock: () => number;
  private readonly statuses: readonly string[];
  private cursor = 0;
  private invocationCount = 0;

  public constructor(options: NotifyPumpOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.statuses = options.statuses ?? FAILURE_STATUSES;
  }

  /** Whether the stack's notification rules match a published event. */
  public matches(event: RecordedEvent): boolean {
    if (event.source !== (this.options.eventSource ?? DEFAULT_EVENT_SOURCE)) return false;
    const notified = notifiedEventOf(event.detailType, event.detail);
    return notified !== null && isRouted(notified, this.statuses);
  }

  /** Delivers the matching events published since the last pump. */
  public async pump(): Promise<NotifyPumpResult> {
    const events = this.options.source.events();
    const fresh = events.slice(this.cursor);
    this.cursor = events.length;
    return this.deliver(fresh.filter((event) => this.matches(event)));
  }

  /** Invokes the handler with each event (whether or not a rule matches it), `concurrency` at a time. */
  public async deliver(events: readonly RecordedEvent[]): Promise<NotifyPumpResult> {
    const concurrency = Math.max(1, this.options.concurrency ?? 1);
    let failed = 0;
    for (let i = 0; i < events.length; i += concurrency) {
      const batch = events.slice(i, i + concurrency);
      const outcomes = await Promise.allSettled(batch.map((event) => this.invoke(event)));
      failed += outcomes.filter((outcome) => outcome.status === 'rejected').length;
    }
    return { invocations: events.length, failed };
  }

  private invoke(event: RecordedEvent): Promise<unknown> {
    const detail = event.detail as { account?: string; region?: string };
    const account = detail.account ?? '123456789012';
    const region = detail.region ?? 'us-east-1';
    const context = lambdaContext({
      functionName: 'step-watch-notify',
      account,
      region,
      timeoutMs: 30_000,
      invokedAt: this.clock(),
      clock: this.clock,
      requestId: `notify-invocation-${++this.invocationCount}`,
    });
    return this.options.handler(
      {
        version: '0',
        id: event.eventId,
        'detail-type': event.detailType,
        source: event.source,
        account,
        time: event.time,
        region,
        resources: [...event.resources],
        detail: event.detail,
      },
      context,
    );
  }
}
