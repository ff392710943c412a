// The notify function's entry point: one StepWatch event from the rules in, its notifications (a plain message or a run's digest) out to the topic.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { DynamoNotificationStore } from '../adapters/dynamodb/notification-store';
import { realTimer, type Timer } from '../adapters/token-bucket';
import { SnsNotificationTopic } from '../adapters/topic';
import { ConfigError, StepWatchError } from '../core/errors';
import { notifiedEventOf } from '../core/notifications/notified-event';
import { deliverNotification, type NotifyOutcome } from '../runtime/notifier';
import { notifyClients } from '../runtime/notify-clients';
import { type NotifyConfig, readNotifyConfig } from '../runtime/notify-config';
import { cycleLoggerOf, startInvocation } from '../runtime/powertools';

/** The notify function's handler: one EventBridge event in; what it came to out (null: not ours). */
export type NotifyHandler = (
  event: EventBridgeEvent<string, unknown>,
  context: Context,
) => Promise<NotifyOutcome | null>;

/** Options of {@link createNotifyHandler}. */
export interface NotifyHandlerOptions {
  /** The environment (`TABLE_NAME`, `TOPIC_ARN`, …) read once. @default the function's environment */
  readonly env?: NodeJS.ProcessEnv;
  /** SDK clients to use instead of building them. @default clients built once per container */
  readonly clients?: { readonly dynamodb?: DynamoDBClient; readonly sns?: SNSClient };
  /** The clock the digest's interval is measured on (virtual time in tests). @default the real one */
  readonly timer?: Pick<Timer, 'now'>;
}

/**
 * Builds the notify handler: reads the event, hands it to the notifier with the table and the
 * topic, and answers. An event it cannot read is logged and dropped; a failure to save or publish
 * is logged and rethrown, so Lambda tries the event again (and then dead-letters it).
 *
 * @example
 * const handle = createNotifyHandler({ env: { TABLE_NAME: 't', TOPIC_ARN: arn }, clients });
 * await handle(eventBridgeEvent, context);
 */
export function createNotifyHandler(options: NotifyHandlerOptions = {}): NotifyHandler {
  const timer = options.timer ?? realTimer;
  let config: NotifyConfig | undefined;
  return async (raw, context) => {
    const { logger } = startInvocation(context, options.env);
    try {
      config ??= readNotifyConfig(options.env);
      const event = notifiedEventOf(raw?.['detail-type'], raw?.detail);
      if (event === null) {
        logger.warn('event dropped: not a StepWatch event the notifier can read', {
          detailType: String(raw?.['detail-type']),
        });
        return null;
      }
      const clients = notifyClients(options.clients);
      const log = cycleLoggerOf(logger, { executionId: event.executionId, eventId: event.eventId });
      const outcome = await deliverNotification(event, timer.now(), {
        store: new DynamoNotificationStore({ tableName: config.tableName, client: clients.dynamodb }),
        topic: new SnsNotificationTopic({ topicArn: config.topicArn, client: clients.sns }),
        options: config.options,
        logger: log,
      });
      logger.info('event handled', { ...outcome });
      return outcome;
    } catch (error) {
      if (error instanceof ConfigError) logger.error('invalid configuration', { error: error.message });
      else if (error instanceof StepWatchError)
        logger.error('notification failed', { error: error.message, cause: String(error.cause ?? '') });
      else logger.error('notification failed unexpectedly', { error: String(error) });
      throw error;
    }
  };
}

/** Sends StepWatch's notifications, configured by its environment variables. */
export const notifyHandler: NotifyHandler = createNotifyHandler();
