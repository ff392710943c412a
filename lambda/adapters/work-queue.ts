// The fan-out's work queue over SQS SendMessageBatch: ten work items a call, failed entries sent once more.
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { ServiceError } from '../core/errors';
import { type WorkItem, workItemBody } from '../core/work-items';
import { CallCounter } from './call-counter';

/** Options of {@link SqsWorkQueue}. */
export interface SqsWorkQueueOptions {
  readonly queueUrl: string;
  /** @default a new SQSClient */
  readonly client?: SQSClient;
  /** @default a new counter */
  readonly calls?: CallCounter;
}

/** A work item SQS did not take after the retry. */
export interface UnsentWorkItem {
  readonly item: WorkItem;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** What sending the work items came to. */
export interface SendResult {
  readonly sent: number;
  readonly unsent: readonly UnsentWorkItem[];
}

/** SendMessageBatch takes at most this many entries a call. */
export const MAX_MESSAGES_PER_BATCH = 10;

/** Sends work items to the work queue, reporting those SQS refused twice; never drops one silently. */
export class SqsWorkQueue {
  readonly calls: CallCounter;
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: SqsWorkQueueOptions) {
    this.#client = options.client ?? new SQSClient({});
    this.#queueUrl = options.queueUrl;
    this.calls = options.calls ?? new CallCounter();
  }

  /**
   * Sends every item, ten a call; the entries a call reports failed are sent once more, then
   * returned as unsent. A call that fails as a whole counts its entries as failed the same way.
   */
  async sendAll(items: readonly WorkItem[]): Promise<SendResult> {
    let sent = 0;
    const unsent: UnsentWorkItem[] = [];
    for (let i = 0; i < items.length; i += MAX_MESSAGES_PER_BATCH) {
      let pending = items.slice(i, i + MAX_MESSAGES_PER_BATCH);
      for (let attempt = 1; attempt <= 2 && pending.length > 0; attempt += 1) {
        const failures = await this.#sendBatch(pending);
        sent += pending.length - failures.length;
        if (attempt === 2) unsent.push(...failures);
        pending = failures.map((failure) => failure.item);
      }
    }
    return { sent, unsent };
  }

  async #sendBatch(items: readonly WorkItem[]): Promise<UnsentWorkItem[]> {
    const entries: SendMessageBatchRequestEntry[] = items.map((item, n) => ({
      Id: String(n),
      MessageBody: workItemBody(item),
    }));
    this.calls.count('SendMessageBatch');
    try {
      const output = await this.#client.send(
        new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: entries }),
      );
      const ok = new Set((output.Successful ?? []).map((entry) => entry.Id));
      const failed = new Map((output.Failed ?? []).map((entry) => [entry.Id, entry]));
      return items.flatMap((item, n) => {
        if (ok.has(String(n))) return [];
        const failure = failed.get(String(n));
        return [
          {
            item,
            errorCode: failure?.Code ?? 'MissingEntry',
            errorMessage: failure?.Message ?? 'SendMessageBatch returned no result for this entry',
          },
        ];
      });
    } catch (error) {
      const wrapped = ServiceError.of(`SQS SendMessageBatch to ${this.#queueUrl}`, error);
      return items.map((item) => ({ item, errorCode: 'CallFailed', errorMessage: wrapped.message }));
    }
  }
}
