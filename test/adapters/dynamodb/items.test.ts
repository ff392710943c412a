// Tests of item conversion: every record written reads back the same, old and corrupt items read as documented.
import { describe, expect, it, vi } from 'vitest';
import * as items from '../../../lambda/adapters/dynamodb/items';
import { buildEvents } from '../../../lambda/core/events';
import type { OutboxEvent, Transition } from '../../../lambda/core/types';
import {
  eventContext,
  executionSnapshot,
  executionView,
  isoAt,
  stepSnapshot,
  stepView,
} from '../../helpers/builders';

/** One event of each kind, as a cycle builds them. */
function eventsOfEachKind(): OutboxEvent[] {
  const transitions: Transition[] = [
    { kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 },
    { kind: 'step', step: stepView({ maxAttempts: 3 }), previousStatus: 'Pending', ordinal: 2 },
    // A step SSM gave no start time: the record must store no startTime (it keys two indexes).
    {
      kind: 'step',
      step: stepView({ stepExecutionId: 'step-2', startTime: null }),
      previousStatus: null,
      ordinal: 0,
    },
    { kind: 'alarm', alarm: { name: 'HighCPU', state: 'ALARM' }, step: stepView(), ordinal: 1 },
    { kind: 'alarm', alarm: { name: 'RunAlarm', state: 'ALARM' }, step: null, ordinal: 0 },
  ];
  return buildEvents(executionView(), transitions, eventContext(), 0);
}

/** A stored item as the document client reads it back: undefined attributes are not stored. */
function stored(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined));
}

describe('Function: outboxItem and readOutbox', () => {
  it('reads every kind of event back as it was recorded, typed fields included', () => {
    // Prepare
    const events = eventsOfEachKind();
    const onCorrupt = vi.fn();
    const onUntyped = vi.fn();

    // Act
    const read = events.map((e) =>
      items.readOutbox(stored(items.outboxItem('s', e, isoAt(21), 99)), onCorrupt, onUntyped),
    );

    // Assess
    expect(read).toEqual(events);
    expect(onCorrupt).not.toHaveBeenCalled();
    expect(onUntyped).not.toHaveBeenCalled();
  });

  it('stores the typed fields as attributes of their own and no null index key', () => {
    const [execution, step, startless] = eventsOfEachKind();

    const written = [execution, step, startless].map((e) =>
      items.outboxItem('s', e as OutboxEvent, isoAt(21), 99),
    );

    expect(written[0]).toMatchObject({
      kind: 'execution',
      ordinal: 0,
      status: 'InProgress',
      pendingShard: 's',
    });
    expect(written[0]?.previousStatus).toBeUndefined();
    expect(written[1]).toMatchObject({
      kind: 'step',
      ordinal: 2,
      stepExecutionId: 'step-1',
      stepName: 'stopInstance',
      status: 'InProgress',
      previousStatus: 'Pending',
      startTime: isoAt(1),
      maxAttempts: 3,
      recordedAt: `${isoAt(21)}#00000001`,
    });
    expect(written[2]?.startTime).toBeUndefined();
  });

  it('reads an item written before the typed fields existed as untyped, without parsing its detail', () => {
    // Prepare: the attributes the previous version wrote, with a detail that is not even JSON.
    const written = {
      eventId: 'e-1',
      executionId: 'exec-1',
      detailType: 'Automation Step Status Change',
      detail: '{',
      resources: ['arn'],
      observedAt: isoAt(5),
      sequence: 3,
      stepExecutionId: 'step-1',
    };
    const onUntyped = vi.fn();

    // Act
    const event = items.readOutbox({ pk: 'EXEC#exec-1', sk: 'EVT#e-1', ...written }, vi.fn(), onUntyped);

    // Assess
    expect(event).toEqual({ kind: 'untyped', ...written });
    expect(onUntyped).toHaveBeenCalledWith(
      { pk: 'EXEC#exec-1', sk: 'EVT#e-1' },
      'transition stored without kind and ordinal (by an earlier version)',
    );
  });

  it('reads a typed item whose ordinal or kind fields are damaged as untyped', () => {
    const [, step] = eventsOfEachKind();
    const item = stored(items.outboxItem('s', step as OutboxEvent, isoAt(21), 99));
    const onUntyped = vi.fn();

    const damaged = [
      { ...item, ordinal: -1 },
      { ...item, ordinal: 1.5 },
      { ...item, stepName: undefined },
      { ...item, kind: 'mystery' },
    ].map((i) => items.readOutbox(i, vi.fn(), onUntyped)?.kind);

    expect(damaged).toEqual(['untyped', 'untyped', 'untyped', 'untyped']);
    expect(onUntyped).toHaveBeenLastCalledWith(
      { pk: item.pk, sk: item.sk },
      'transition of kind mystery without its ordinal or the fields of its kind',
    );
  });

  it('reports an item without eventId, executionId, detailType or detail and reads nothing', () => {
    const onCorrupt = vi.fn();

    const event = items.readOutbox({ pk: 'FOREIGN#2', sk: 'EVT#x', pendingShard: 's' }, onCorrupt);

    expect(event).toBeNull();
    expect(onCorrupt).toHaveBeenCalledWith(
      { pk: 'FOREIGN#2', sk: 'EVT#x' },
      'transition without eventId, executionId, detailType or detail',
    );
  });
});

describe('Function: readTransitionRecord', () => {
  it('reads a transition item as a row with its detail parsed', () => {
    const [event] = eventsOfEachKind();
    const item = { ...stored(items.outboxItem('s', event as OutboxEvent, isoAt(21), 99)), sentAt: isoAt(22) };

    const record = items.readTransitionRecord(item, 1, vi.fn());

    expect(record).toEqual({
      eventId: event?.eventId,
      executionId: 'exec-1',
      detailType: 'Automation Execution Status Change',
      kind: 'execution',
      observedAt: isoAt(20),
      sequence: 0,
      stepExecutionId: null,
      sentAt: isoAt(22),
      depth: 1,
      detail: JSON.parse(event?.detail ?? ''),
    });
  });

  it('reports a transition whose detail cannot be used and reads nothing', () => {
    const [event] = eventsOfEachKind();
    const item = stored(items.outboxItem('s', { ...(event as OutboxEvent), detail: '[1]' }, isoAt(21), 99));
    const onCorrupt = vi.fn();

    expect(items.readTransitionRecord(item, 0, onCorrupt)).toBeNull();
    expect(onCorrupt).toHaveBeenCalledWith({ pk: item.pk, sk: item.sk }, 'detail is not a JSON object');
  });
});

describe('Function: pollerStateItem and readPollerState', () => {
  it('reads a saved state back, reported records included', () => {
    const state = {
      watermark: isoAt(1),
      cursor: ['e-2'],
      lastCompleteAt: isoAt(2),
      leaseUntil: isoAt(3),
      reportedRecords: ['fingerprint-1'],
    };

    const read = items.readPollerState(stored(items.pollerStateItem('s', state, 4)), vi.fn());

    expect(read).toEqual({ ...state, version: 4 });
  });

  it('reads a backlog’s start and window width back', () => {
    const state = {
      watermark: isoAt(1),
      cursor: [],
      backlogFrom: isoAt(-600),
      backlogWindowSeconds: 120,
      lastCompleteAt: isoAt(2),
      leaseUntil: null,
      reportedRecords: [],
    };

    const read = items.readPollerState(stored(items.pollerStateItem('s', state, 5)), vi.fn());

    expect(read).toStrictEqual({ ...state, version: 5 });
  });

  it('reads a state saved without a backlog, or with a null one, without backlog fields', () => {
    const old = { pk: 'POLLER#s', sk: 'STATE#POLLER', watermark: isoAt(1), cursor: ['e-1'], version: 2 };
    const caughtUp = { watermark: isoAt(1), cursor: ['e-1'], lastCompleteAt: null, reportedRecords: [] };
    const expected = {
      watermark: isoAt(1),
      cursor: ['e-1'],
      lastCompleteAt: null,
      leaseUntil: null,
      reportedRecords: [],
      version: 2,
    };

    const nulls = { ...caughtUp, backlogFrom: null, backlogWindowSeconds: null };
    const written = items.pollerStateItem('s', nulls, 2);

    expect(items.readPollerState(old, vi.fn())).toStrictEqual(expected);
    expect(items.readPollerState(stored(written), vi.fn())).toStrictEqual(expected);
  });

  it('reads a state saved without reported records, or none at all, with an empty list', () => {
    const old = { pk: 'POLLER#s', sk: 'STATE#POLLER', cursor: [], version: 2 };

    expect(items.readPollerState(old, vi.fn()).reportedRecords).toEqual([]);
    expect(items.readPollerState(undefined, vi.fn())).toEqual({
      watermark: null,
      cursor: [],
      lastCompleteAt: null,
      leaseUntil: null,
      reportedRecords: [],
      version: 0,
    });
  });
});

describe('Function: readTracked', () => {
  it('reads the parent, start time and snapshot of a tracked execution, null when absent', () => {
    const child = executionSnapshot({
      executionId: 'child',
      parentExecutionId: 'exec-1',
      startTime: isoAt(3),
      settledAfter: null,
    });
    const orphan = executionSnapshot({ executionId: 'top', startTime: null, settledAfter: null });
    const options = { version: 1, inFlight: true, now: isoAt(4), expiresAt: 99 };

    const read = [child, orphan].map((s) =>
      items.readTracked(stored(items.executionItem('s', s, options)), vi.fn()),
    );

    expect(read).toEqual([
      {
        executionId: 'child',
        trackedAt: isoAt(4),
        parentExecutionId: 'exec-1',
        startTime: isoAt(3),
        snapshot: child,
      },
      { executionId: 'top', trackedAt: isoAt(4), parentExecutionId: null, startTime: null, snapshot: orphan },
    ]);
  });

  it('leaves the snapshot out of a tracked execution whose snapshot is unreadable', () => {
    const item = items.executionItem('s', executionSnapshot(), {
      version: 1,
      inFlight: true,
      now: isoAt(4),
      expiresAt: 9,
    });
    const onCorrupt = vi.fn();

    const read = items.readTracked(stored({ ...item, version: 'one' }), onCorrupt);

    expect(read).toEqual({
      executionId: 'exec-1',
      trackedAt: isoAt(4),
      parentExecutionId: null,
      startTime: isoAt(0),
    });
    expect(onCorrupt).not.toHaveBeenCalled();
  });
});

describe('Function: executionItem, stepItem and their readers', () => {
  it('reads snapshots back as they were written', () => {
    const execution = executionSnapshot({ alarms: ['RunAlarm'], alarmsRaised: 1, settledAfter: isoAt(70) });
    const step = stepSnapshot({ maxAttempts: 2 });

    const item = items.executionItem('s', execution, {
      version: 3,
      inFlight: false,
      now: isoAt(4),
      expiresAt: 99,
    });

    expect(items.readExecution(stored(item), vi.fn())).toEqual({ ...execution, version: 3 });
    expect(item).toMatchObject({ expiresAt: 99, listShard: 'EXEC' });
    expect(item.trackShard).toBeUndefined();
    expect(items.readStep(stored(items.stepItem('exec-1', step, undefined)), vi.fn())).toEqual(step);
  });

  it('reads a snapshot back with its listing under way, names held back and unannounced status', () => {
    const execution = executionSnapshot({
      status: 'Success',
      endTime: isoAt(50),
      settledAfter: null,
      stepsReadAt: null,
      transitions: 0,
      listing: { since: isoAt(60), after: isoAt(20), widthSeconds: 12.5 },
      heldNames: ['target', 'other'],
      announced: false,
    });
    const options = { version: 2, inFlight: true, now: isoAt(61), expiresAt: 99 };

    const item = stored(items.executionItem('s', execution, options));

    expect(items.readExecution(item, vi.fn())).toStrictEqual({ ...execution, version: 2 });
  });

  it('reads a snapshot saved without listing, held names or announced without them', () => {
    // Prepare: what a snapshot item held before these fields existed, and one written with them empty.
    const execution = executionSnapshot({ settledAfter: null });
    const options = { version: 1, inFlight: true, now: isoAt(4), expiresAt: 99 };
    const old = stored(items.executionItem('s', execution, options));
    const empty = stored(
      items.executionItem('s', { ...execution, listing: null, heldNames: [], announced: true }, options),
    );

    // Act
    const read = [old, empty].map((item) => items.readExecution(item, vi.fn()));

    // Assess
    expect(empty).not.toHaveProperty('listing');
    expect(empty).not.toHaveProperty('heldNames');
    expect(empty).not.toHaveProperty('announced');
    expect(read).toStrictEqual([execution, execution]);
  });

  it('reports snapshots without their identifying fields and reads nothing', () => {
    const onCorrupt = vi.fn();

    expect(items.readStep({ pk: 'p', sk: 's', stepExecutionId: 42 }, onCorrupt)).toBeNull();
    expect(items.readExecution({ pk: 'p', sk: 'e', status: 7, version: 'one' }, onCorrupt)).toBeNull();
    expect(onCorrupt.mock.calls).toEqual([
      [{ pk: 'p', sk: 's' }, 'step snapshot without stepExecutionId or status'],
      [{ pk: 'p', sk: 'e' }, 'execution snapshot without executionId, status or version'],
    ]);
  });
});
