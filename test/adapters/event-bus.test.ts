// Tests of the EventBridge publisher over a mocked client: entry mapping, partial failures, limits, errors.
import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../lambda/adapters/event-bus';
import { ServiceError } from '../../lambda/core/errors';
import type { OutboxEvent } from '../../lambda/core/types';

const client = new EventBridgeClient({});
const eventBridge = mockClient(client);

function outboxEvent(n: number): OutboxEvent {
  return {
    eventId: `event-${n}`,
    executionId: 'exec-1',
    detailType: 'Automation Step Status Change',
    resources: ['arn:aws:ssm:eu-west-1:123456789012:automation-execution/exec-1'],
    detail: JSON.stringify({ n }),
    observedAt: '2026-01-01T00:00:10.000Z',
    sequence: n,
    kind: 'step',
    ordinal: 0,
    stepExecutionId: `step-${n}`,
    stepName: `step${n}`,
    status: 'Success',
    previousStatus: 'InProgress',
    startTime: '2026-01-01T00:00:05.000Z',
    maxAttempts: 1,
  };
}

function publisher(): EventBridgePublisher {
  return new EventBridgePublisher({ busName: 'step-watch', source: 'ssm-step-watch', client });
}

describe('Class: EventBridgePublisher', () => {
  beforeEach(() => {
    eventBridge.reset();
  });

  it('maps each event to a PutEvents entry', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }, { EventId: 'b' }] });
    const bus = publisher();

    // Act
    const failures = await bus.publishBatch([outboxEvent(1), outboxEvent(2)]);

    // Assess
    expect(failures).toEqual([]);
    expect(eventBridge).toHaveReceivedCommandExactlyOnceWith(PutEventsCommand, {
      Entries: [1, 2].map((n) => ({
        EventBusName: 'step-watch',
        Source: 'ssm-step-watch',
        DetailType: 'Automation Step Status Change',
        Detail: JSON.stringify({ n }),
        Resources: ['arn:aws:ssm:eu-west-1:123456789012:automation-execution/exec-1'],
        Time: new Date('2026-01-01T00:00:10.000Z'),
      })),
    });
    expect(bus.calls.get('PutEvents')).toBe(1);
  });

  it('returns the failed entries by eventId', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 2,
      Entries: [
        { EventId: 'a' },
        { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
        { EventId: 'c' },
      ],
    });

    // Act
    const failures = await publisher().publishBatch([
      outboxEvent(1),
      outboxEvent(2),
      outboxEvent(3),
      outboxEvent(4),
    ]);

    // Assess
    expect(failures).toEqual([
      { eventId: 'event-2', errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' },
      {
        eventId: 'event-4',
        errorCode: 'MissingEntry',
        errorMessage: 'PutEvents returned no entry for this event',
      },
    ]);
  });

  it('refuses more than ten entries without calling EventBridge', async () => {
    const events = Array.from({ length: 11 }, (_, i) => outboxEvent(i));

    await expect(publisher().publishBatch(events)).rejects.toThrow(ServiceError);
    expect(eventBridge).not.toHaveReceivedAnyCommand();
  });

  it('sends ten entries in one call', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ Entries: Array.from({ length: 10 }, (_, i) => ({ EventId: `${i}` })) });

    const failures = await publisher().publishBatch(Array.from({ length: 10 }, (_, i) => outboxEvent(i)));

    expect(failures).toEqual([]);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('makes no call for no event', async () => {
    expect(await publisher().publishBatch([])).toEqual([]);
    expect(eventBridge).not.toHaveReceivedAnyCommand();
  });

  it('wraps an SDK error in a ServiceError with the error as cause', async () => {
    // Prepare
    const denied = new Error('not authorized to perform events:PutEvents');
    denied.name = 'AccessDeniedException';
    eventBridge.on(PutEventsCommand).rejects(denied);

    // Act
    const error = await publisher()
      .publishBatch([outboxEvent(1)])
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({
      message:
        'EventBridge PutEvents to step-watch failed: AccessDeniedException: not authorized to perform events:PutEvents',
      cause: denied,
    });
  });
});
