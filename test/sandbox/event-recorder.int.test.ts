// Over-the-wire tests of the EventBridge recorder with the real EventBridgeClient: recording, validation, failures.
import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandbox/errors';
import { EventBridgeRecorder, type EventBridgeRecorderOptions } from '../../sandbox/event-recorder';

const NOW = Date.parse('2026-11-25T14:00:00Z');

const entry = (n: number, overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'ssm-step-watch',
  DetailType: 'Automation Step Status Change',
  Detail: JSON.stringify({ eventId: `e${n}`, status: 'Success' }),
  Resources: [`arn:aws:ssm:us-east-1:111122223333:automation-execution/${n}`],
  EventBusName: 'step-watch',
  ...overrides,
});

describe('Class: EventBridgeRecorder', () => {
  let recorder: EventBridgeRecorder;
  let client: EventBridgeClient;
  const recorders: EventBridgeRecorder[] = [];
  const clients: EventBridgeClient[] = [];

  const startRecorder = async (options: EventBridgeRecorderOptions = {}): Promise<EventBridgeRecorder> => {
    const started = new EventBridgeRecorder({ clock: () => NOW, ...options });
    await started.start();
    recorders.push(started);
    return started;
  };
  const clientFor = (
    target: EventBridgeRecorder,
    config: EventBridgeClientConfig = {},
  ): EventBridgeClient => {
    const created = new EventBridgeClient({
      endpoint: target.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
      ...config,
    });
    clients.push(created);
    return created;
  };
  const put = (entries: PutEventsRequestEntry[], through = client) =>
    through.send(new PutEventsCommand({ Entries: entries }));

  beforeEach(async () => {
    recorder = await startRecorder();
    client = clientFor(recorder);
  });

  afterEach(async () => {
    for (const created of clients.splice(0)) created.destroy();
    for (const started of recorders.splice(0)) await started.stop();
  });

  it('records an accepted entry with the id it answers', async () => {
    // Prepare
    const time = new Date('2026-11-25T13:59:58.250Z');

    // Act
    const answer = await put([entry(1, { Time: time })]);

    // Assess
    expect(answer.FailedEntryCount).toBe(0);
    const eventId = answer.Entries?.[0]?.EventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(recorder.events()).toEqual([
      {
        eventId,
        source: 'ssm-step-watch',
        detailType: 'Automation Step Status Change',
        detail: { eventId: 'e1', status: 'Success' },
        detailRaw: '{"eventId":"e1","status":"Success"}',
        resources: ['arn:aws:ssm:us-east-1:111122223333:automation-execution/1'],
        eventBusName: 'step-watch',
        time: '2026-11-25T13:59:58Z',
        receivedAt: NOW,
        call: 1,
      },
    ]);
  });

  it('uses the default bus, no resources and the call time when they are omitted', async () => {
    await put([{ Source: 's', DetailType: 'd', Detail: '{}' }]);

    expect(recorder.events()[0]).toMatchObject({
      eventBusName: 'default',
      resources: [],
      time: '2026-11-25T14:00:00Z',
    });
  });

  it('fails the next n entries with InternalFailure and accepts the others of the call', async () => {
    // Prepare
    recorder.failNext(2);

    // Act
    const answer = await put([entry(1), entry(2), entry(3)]);
    const retry = await put([entry(1)]);

    // Assess
    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries?.map((result) => result.ErrorCode)).toEqual([
      'InternalFailure',
      'InternalFailure',
      undefined,
    ]);
    expect(answer.Entries?.[2]?.EventId).toEqual(expect.any(String));
    expect(retry.FailedEntryCount).toBe(0);
    expect(recorder.events().map((event) => event.detail)).toEqual([
      { eventId: 'e3', status: 'Success' },
      { eventId: 'e1', status: 'Success' },
    ]);
  });

  it('fails entries with the error code given to failNext', async () => {
    recorder.failNext(1, 'ThrottlingException');

    const answer = await put([entry(1)]);

    expect(answer.Entries).toEqual([{ ErrorCode: 'ThrottlingException', ErrorMessage: expect.any(String) }]);
  });

  it('fails the entries a predicate picks until the predicate is removed', async () => {
    // Prepare
    recorder.failEntries((sent) => (String(sent.Detail).includes('"e2"') ? 'InternalFailure' : false));

    // Act
    const answer = await put([entry(1), entry(2)]);
    recorder.failEntries();
    const later = await put([entry(2)]);

    // Assess
    expect(answer.Entries?.map((result) => result.ErrorCode)).toEqual([undefined, 'InternalFailure']);
    expect(later.FailedEntryCount).toBe(0);
  });

  it('answers every call with 500 InternalException during an outage', async () => {
    recorder.setOutage(true);

    await expect(put([entry(1)])).rejects.toMatchObject({
      name: 'InternalException',
      $metadata: { httpStatusCode: 500 },
    });
    recorder.setOutage(false);
    await expect(put([entry(1)])).resolves.toMatchObject({ FailedEntryCount: 0 });
    expect(recorder.callCount()).toBe(2);
  });

  it('answers ValidationException for more than 10 entries or none', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => entry(i));

    await expect(put(eleven)).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(put([])).rejects.toMatchObject({ name: 'ValidationException' });
    expect(recorder.events()).toEqual([]);
  });

  it('accepts exactly 10 entries', async () => {
    const answer = await put(Array.from({ length: 10 }, (_, i) => entry(i)));

    expect(answer.FailedEntryCount).toBe(0);
    expect(recorder.events()).toHaveLength(10);
  });

  it('answers ValidationException when the entries of a call total more than the limit', async () => {
    // Prepare
    const half = 'x'.repeat(140_000);

    // Act
    const tooBig = put([
      entry(1, { Detail: JSON.stringify({ a: half }) }),
      entry(2, { Detail: JSON.stringify({ b: half }) }),
    ]);

    // Assess
    await expect(tooBig).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
  });

  it('fails alone an entry over maxEntryBytes when the call limit is higher', async () => {
    // Prepare
    const small = await startRecorder({ maxEntryBytes: 1000, maxRequestBytes: 100_000 });
    const big = entry(1, { Detail: JSON.stringify({ a: 'x'.repeat(1000) }) });

    // Act
    const answer = await put([big, entry(2)], clientFor(small));

    // Assess
    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries?.[0]).toEqual({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: expect.stringContaining('1000'),
    });
    expect(small.events()).toHaveLength(1);
  });

  it('fails entries with malformed detail, missing fields or an aws. source', async () => {
    // Act
    const answer = await put([
      entry(1, { Detail: '{not json' }),
      entry(2, { Detail: '[1]' }),
      entry(3, { DetailType: undefined }),
      entry(4, { Source: 'aws.ssm' }),
      entry(5, { DetailType: 'x'.repeat(129) }),
      entry(6),
    ]);

    // Assess
    expect(answer.FailedEntryCount).toBe(5);
    expect(answer.Entries?.map((result) => result.ErrorCode)).toEqual([
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
      'NotAuthorizedForSourceException',
      'InvalidArgument',
      undefined,
    ]);
  });

  it('answers ValidationException when no entry has Source, DetailType and Detail', async () => {
    await expect(put([{ Source: 's' }, { DetailType: 'd' }])).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('forgets events, calls and failure hooks on reset', async () => {
    // Prepare
    await put([entry(1)]);
    recorder.failNext(5);
    recorder.setOutage(true);

    // Act
    recorder.reset();
    const answer = await put([entry(2)]);

    // Assess
    expect(answer.FailedEntryCount).toBe(0);
    expect(recorder.events()).toHaveLength(1);
    expect(recorder.callCount()).toBe(1);
  });

  it('rejects size limits that are not positive integers', () => {
    expect(() => new EventBridgeRecorder({ maxEntryBytes: 0 })).toThrow(SandboxError);
  });

  it('refuses calls after stop', async () => {
    // Prepare
    await put([entry(1)]);
    const endpoint = recorder.endpoint;

    // Act
    await recorder.stop();

    // Assess
    const late = new EventBridgeClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    clients.push(late);
    await expect(put([entry(2)], late)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
