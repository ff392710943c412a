// Over the wire against dynalite: the snapshot store's writes and reads, the outbox's typed records, superseded steps.
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { INDEX, KEYS } from '../../../lambda/adapters/dynamodb/schema';
import { DynamoSnapshotStore } from '../../../lambda/adapters/dynamodb/snapshot-store';
import { buildEvents } from '../../../lambda/core/events';
import {
  EPOCH,
  eventContext,
  executionSnapshot,
  executionState,
  executionView,
  isoAt,
  stepSnapshot,
  stepView,
} from '../../helpers/builders';
import { type LocalTables, startLocalTables } from '../../helpers/tables';

const SHARD = '123456789012#us-east-1';

let local: LocalTables;
let doc: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  local = await startLocalTables();
  doc = DynamoDBDocumentClient.from(local.client);
});

afterAll(() => local.stop());

beforeEach(async () => {
  tableName = await local.newTable();
});

function store(options: Partial<ConstructorParameters<typeof DynamoSnapshotStore>[0]> = {}) {
  return new DynamoSnapshotStore({ tableName, client: local.client, now: () => EPOCH + 30_000, ...options });
}

describe('Class: DynamoSnapshotStore', () => {
  it('says which executions were ever recorded, over more ids than one batch takes', async () => {
    // Prepare: two of 150 ids have a snapshot, one in flight and one ended.
    const s = store();
    await s.saveExecution(SHARD, executionState({ executionId: 'known-1' }), [], null);
    await s.saveExecution(
      SHARD,
      executionState({ executionId: 'known-149', status: 'Success', endTime: isoAt(5) }),
      [],
      null,
    );
    const ids = Array.from({ length: 150 }, (_, i) => `known-${i}`);

    // Act
    const known = await s.knownExecutions(ids);

    // Assess
    expect([...known].sort()).toEqual(['known-1', 'known-149']);
  });

  it('deletes a changed step that is absent from the new state, and writes the others', async () => {
    // Prepare: a not-started step kept under one id, which SSM shows under another once started.
    const s = store();
    const pending = stepSnapshot({ stepExecutionId: 'pending-id', status: 'Pending', startTime: null });
    await s.saveExecution(SHARD, executionState({}, [pending]), ['pending-id'], null);
    const started = stepSnapshot({ stepExecutionId: 'started-id' });

    // Act
    const saved = await s.saveExecution(
      SHARD,
      executionState({ version: 1 }, [started]),
      ['pending-id', 'started-id'],
      1,
    );

    // Assess
    expect(saved).toBe(true);
    const loaded = await s.loadExecution('exec-1');
    expect([...(loaded?.steps.keys() ?? [])]).toEqual(['started-id']);
    expect(loaded?.steps.get('started-id')).toEqual(started);
  });

  it('leaves steps that did not change as they are', async () => {
    const s = store();
    const other = stepSnapshot({ stepExecutionId: 'step-2', stepName: 'startInstance' });
    await s.saveExecution(SHARD, executionState({}, [stepSnapshot(), other]), ['step-1', 'step-2'], null);

    await s.saveExecution(SHARD, executionState({ version: 1 }, []), [], 1);

    expect([...((await s.loadExecution('exec-1'))?.steps.keys() ?? [])].sort()).toEqual(['step-1', 'step-2']);
  });

  it('lists tracked executions with their parent and start time', async () => {
    const s = store();
    await s.saveExecution(SHARD, executionState({ startTime: isoAt(2) }, []), [], null);
    const child = executionState({
      executionId: 'child-1',
      parentExecutionId: 'exec-1',
      startTime: isoAt(5),
    });
    await s.saveExecution(SHARD, child, [], null);
    const done = executionSnapshot({ executionId: 'done', status: 'Success' });
    await s.saveExecution(SHARD, { execution: done, steps: new Map() }, [], null);

    const tracked = await s.listTracked(SHARD);

    expect(
      tracked
        .sort((a, b) => a.executionId.localeCompare(b.executionId))
        .map(({ snapshot, ...rest }) => ({ ...rest, status: snapshot?.status })),
    ).toEqual([
      {
        executionId: 'child-1',
        trackedAt: isoAt(30),
        parentExecutionId: 'exec-1',
        startTime: isoAt(5),
        status: 'InProgress',
      },
      {
        executionId: 'exec-1',
        trackedAt: isoAt(30),
        parentExecutionId: null,
        startTime: isoAt(2),
        status: 'InProgress',
      },
    ]);
  });

  it('tracks children a parent named until their first snapshot, or until untracked, outside the parent’s children', async () => {
    // Prepare: a parent names two children never recorded.
    const s = store();
    await s.watchNamed(SHARD, [
      { executionId: 'child-a', parentExecutionId: 'exec-1', startTime: isoAt(5) },
      { executionId: 'child-b', parentExecutionId: 'exec-1', startTime: null },
    ]);
    const named = await s.listTracked(SHARD);
    const childrenIndex = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: INDEX.byParent,
        KeyConditionExpression: 'parentExecutionId = :p',
        ExpressionAttributeValues: { ':p': 'exec-1' },
      }),
    );

    // Act: child-a is recorded, child-b turns out unknown to SSM.
    await s.saveExecution(
      SHARD,
      executionState({ executionId: 'child-a', parentExecutionId: 'exec-1' }),
      [],
      null,
    );
    await s.untrack('child-b');
    const after = await s.listTracked(SHARD);

    // Assess: tracked with parent and start, no snapshot; then only child-a's snapshot is tracked.
    expect(named.sort((a, b) => a.executionId.localeCompare(b.executionId))).toEqual([
      { executionId: 'child-a', trackedAt: isoAt(30), parentExecutionId: 'exec-1', startTime: isoAt(5) },
      { executionId: 'child-b', trackedAt: isoAt(30), parentExecutionId: 'exec-1', startTime: null },
    ]);
    expect(childrenIndex.Items).toEqual([]);
    expect(after.map((t) => [t.executionId, t.snapshot?.status])).toEqual([['child-a', 'InProgress']]);
    expect(await s.loadExecution('child-b')).toBeNull();
    // The marks are ended by an update, never deleted: out of the index, expiring now for TTL.
    for (const child of ['child-a', 'child-b']) {
      const mark = await doc.send(
        new GetCommand({ TableName: tableName, Key: { pk: KEYS.execution(child), sk: KEYS.namedMark } }),
      );
      expect(mark.Item).toMatchObject({ executionId: child, expiresAt: (EPOCH + 30_000) / 1000 });
      expect(mark.Item?.trackShard).toBeUndefined();
    }
  });

  it('ignores a mark whose expiry has passed, and creates none when ending a mark that does not exist', async () => {
    // Prepare: a mark still in the index whose expiresAt is behind the clock.
    const s = store();
    await s.watchNamed(SHARD, [{ executionId: 'child-old', parentExecutionId: 'exec-9', startTime: null }]);
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: KEYS.execution('child-old'), sk: KEYS.namedMark },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': (EPOCH + 29_000) / 1000 },
      }),
    );

    // Act
    const tracked = await s.listTracked(SHARD);
    await s.untrack('never-named');
    const none = await doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: KEYS.execution('never-named'), sk: KEYS.namedMark },
      }),
    );

    // Assess
    expect(tracked.map((t) => t.executionId)).not.toContain('child-old');
    expect(none.Item).toBeUndefined();
  });

  it('saves the reported records with the poller state and keeps them when a save leaves them out', async () => {
    // Prepare
    const s = store();
    const empty = await s.loadPollerState(SHARD);
    const base = { watermark: isoAt(1), cursor: [], lastCompleteAt: isoAt(1) };
    await s.savePollerState(SHARD, { ...base, reportedRecords: ['record-a', 'record-b'] }, empty);
    const first = await s.loadPollerState(SHARD);

    // Act
    await s.savePollerState(SHARD, { ...base, watermark: isoAt(2) }, first);
    const second = await s.loadPollerState(SHARD);

    // Assess
    expect(empty.reportedRecords).toEqual([]);
    expect(first).toMatchObject({ reportedRecords: ['record-a', 'record-b'], version: 1 });
    expect(second).toMatchObject({
      watermark: isoAt(2),
      reportedRecords: ['record-a', 'record-b'],
      version: 2,
    });
  });

  it('reads a poller state saved without reported records with an empty list', async () => {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: KEYS.poller(SHARD), sk: KEYS.pollerState, cursor: ['e-1'], version: 3 },
      }),
    );

    expect(await store().loadPollerState(SHARD)).toMatchObject({
      cursor: ['e-1'],
      reportedRecords: [],
      version: 3,
    });
  });

  it('records events with their typed fields and lists them pending as recorded', async () => {
    // Prepare: a step SSM gave no start time, whose record must not store a null index key.
    const events = buildEvents(
      executionView(),
      [
        { kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 },
        { kind: 'step', step: stepView({ startTime: null }), previousStatus: null, ordinal: 0 },
        { kind: 'alarm', alarm: { name: 'HighCPU', state: 'ALARM' }, step: null, ordinal: 0 },
      ],
      eventContext({ observedAt: isoAt(30) }),
      0,
    );
    const s = store();

    // Act
    const recorded = await s.recordEvents(SHARD, events);
    const pending = await s.listPending(SHARD);

    // Assess
    expect(recorded.claimed).toEqual(events);
    expect(pending).toEqual(events);
    const item = await doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: KEYS.execution('exec-1'), sk: KEYS.transition(events[1]?.eventId ?? '') },
      }),
    );
    expect(item.Item).toMatchObject({
      kind: 'step',
      ordinal: 0,
      stepName: 'stopInstance',
      status: 'InProgress',
    });
    expect(item.Item).not.toHaveProperty('startTime');
  });

  it('lists a pending transition stored without typed fields as untyped, and says so', async () => {
    // Prepare: an item as the previous version wrote it.
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: KEYS.execution('exec-1'),
          sk: KEYS.transition('old-1'),
          eventId: 'old-1',
          executionId: 'exec-1',
          detailType: 'Automation Execution Status Change',
          detail: '{"eventId":"old-1","executionId":"exec-1"}',
          resources: [],
          observedAt: isoAt(1),
          sequence: 0,
          recordedAt: `${isoAt(1)}#00000000`,
          pendingShard: SHARD,
        },
      }),
    );
    const onUntyped = vi.fn();

    // Act
    const pending = await store({ onUntypedTransition: onUntyped }).listPending(SHARD);

    // Assess
    expect(pending).toMatchObject([{ eventId: 'old-1', kind: 'untyped', stepExecutionId: null }]);
    expect(onUntyped).toHaveBeenCalledWith(
      { pk: KEYS.execution('exec-1'), sk: KEYS.transition('old-1') },
      'transition stored without kind and ordinal (by an earlier version)',
    );
  });
});
