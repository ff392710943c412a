// NotificationTopic over SNS Publish: one message per protocol (MessageStructure json) and a subject.
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ServiceError } from '../core/errors';
import type { NotificationTopic } from '../core/notifications/ports';
import type { RenderedNotification } from '../core/notifications/render';
import { CallCounter } from './call-counter';

/** Options of {@link SnsNotificationTopic}. */
export interface SnsNotificationTopicOptions {
  readonly topicArn: string;
  /** @default a new SNSClient */
  readonly client?: SNSClient;
  /** @default a new counter */
  readonly calls?: CallCounter;
}

/**
 * Publishes rendered notifications to an SNS topic with `MessageStructure: 'json'`: the Chatbot
 * custom notification for `default` and `https` (AWS Chatbot's subscription), the plain text for
 * `email`, and the subject e-mail shows.
 */
export class SnsNotificationTopic implements NotificationTopic {
  readonly calls: CallCounter;
  readonly #client: SNSClient;
  readonly #topicArn: string;

  constructor(options: SnsNotificationTopicOptions) {
    this.#client = options.client ?? new SNSClient({});
    this.#topicArn = options.topicArn;
    this.calls = options.calls ?? new CallCounter();
  }

  async publish(notification: RenderedNotification): Promise<void> {
    this.calls.count('Publish');
    try {
      await this.#client.send(
        new PublishCommand({
          TopicArn: this.#topicArn,
          Message: notification.snsMessage,
          MessageStructure: 'json',
          Subject: notification.subject,
        }),
      );
    } catch (error) {
      throw ServiceError.of(`SNS Publish to ${this.#topicArn}`, error);
    }
  }
}
