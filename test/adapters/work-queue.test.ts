// Tests of the SQS work queue over a mocked client: batches of ten, a retry of failed entries, nothing dropped silently.
import 'aws-sdk-client-mock-vitest/extend';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsWorkQueue } from '../../lambda/adapters/work-queue';
import type { WorkItem } from '../../lambda/core/work-items';

const client = new SQSClient({ region: 'eu-west-1' });
const sqs = mockClient(client);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/999999999999/work';

const items = (count: number): WorkItem[] =>
  Array.from({ length: count }, (_, n) => ({
    shard: { account: String(100_000_000_000 + n), region: 'eu-west-1' },
    dispatchedAt: 1000,
  }));
const allOk = (entries: SendMessageBatchRequestEntry[] | undefined) => ({
  Successful: (entries ?? []).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })),
  Failed: [],
});

describe('Class: SqsWorkQueue', () => {
  beforeEach(() => {
    sqs.reset();
  });

  it('sends ten items a call, each body a work item', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).callsFake((input) => allOk(input.Entries));
    const queue = new SqsWorkQueue({ queueUrl: QUEUE, client });

    // Act
    const result = await queue.sendAll(items(23));

    // Assess
    expect(result).toEqual({ sent: 23, unsent: [] });
    const sizes = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 3]);
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: QUEUE,
      Entries: expect.arrayContaining([
        {
          Id: '0',
          MessageBody: '{"shard":{"account":"100000000000","region":"eu-west-1"},"dispatchedAt":1000}',
        },
      ]),
    });
  });

  it('sends failed entries once more and reports those that fail again', async () => {
    // Prepare: entry 1 fails twice, entry 2 once.
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: '' }],
        Failed: [
          { Id: '1', Code: 'InternalError', Message: 'try again', SenderFault: false },
          { Id: '2', Code: 'InternalError', Message: 'try again', SenderFault: false },
        ],
      })
      .resolvesOnce({
        Successful: [{ Id: '1', MessageId: 'c', MD5OfMessageBody: '' }],
        Failed: [{ Id: '0', Code: 'InternalError', Message: 'still failing', SenderFault: false }],
      });
    const queue = new SqsWorkQueue({ queueUrl: QUEUE, client });
    const three = items(3);

    // Act
    const result = await queue.sendAll(three);

    // Assess
    expect(result).toEqual({
      sent: 2,
      unsent: [{ item: three[1], errorCode: 'InternalError', errorMessage: 'still failing' }],
    });
    expect(
      sqs.commandCalls(SendMessageBatchCommand)[1]?.args[0].input.Entries?.map((e) => e.MessageBody),
    ).toEqual([three[1], three[2]].map((item) => JSON.stringify(item)));
  });

  it('counts every entry of a call that fails twice as unsent', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('connection reset'));
    const queue = new SqsWorkQueue({ queueUrl: QUEUE, client });

    const result = await queue.sendAll(items(2));

    expect(result.sent).toBe(0);
    expect(result.unsent.map((u) => u.errorCode)).toEqual(['CallFailed', 'CallFailed']);
    expect(result.unsent[0]?.errorMessage).toBe(
      `SQS SendMessageBatch to ${QUEUE} failed: Error: connection reset`,
    );
    expect(queue.calls.toJSON()).toEqual({ SendMessageBatch: 2 });
  });
});
