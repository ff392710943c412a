// Over the wire against dynalite: the history reader reads back, as typed records, what the snapshot store wrote.
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DynamoHistoryReader,
  type DynamoHistoryReaderOptions,
} from '../../../lambda/adapters/dynamodb/history-reader';
import { KEYS } from '../../../lambda/adapters/dynamodb/schema';
import { DynamoSnapshotStore } from '../../../lambda/adapters/dynamodb/snapshot-store';
import { buildEvents } from '../../../lambda/core/events';
import { plannedStepKey } from '../../../lambda/core/read-plan';
import type { ExecutionView, Transition } from '../../../lambda/core/types';
import {
  EPOCH,
  eventContext,
  executionSnapshot,
  executionView,
  isoAt,
  stepSnapshot,
  stepView,
} from '../../helpers/builders';
import { type LocalTables, startLocalTables } from '../../helpers/tables';

const SHARD = '123456789012#us-east-1';

let local: LocalTables;
let table: string;

/** Records the transitions of `execution` observed at `at` seconds. */
async function record(
  store: DynamoSnapshotStore,
  execution: ExecutionView,
  transitions: Transition[],
  at: number,
): Promise<void> {
  const events = buildEvents(execution, transitions, eventContext({ observedAt: isoAt(at) }), 0);
  await store.recordEvents(SHARD, events);
}

function reader(options: Pick<DynamoHistoryReaderOptions, 'onCorruptItem'> = {}): DynamoHistoryReader {
  return new DynamoHistoryReader({ tableName: table, client: local.client, ...options });
}

beforeAll(async () => {
  local = await startLocalTables();
  table = await local.newTable();

  // A parent with a step that ran and finished, and a child of it with one execution transition.
  const store = new DynamoSnapshotStore({
    tableName: table,
    client: local.client,
    now: () => EPOCH + 60_000,
  });
  const running = executionView();
  const parent = executionView({ status: 'Success', endTime: isoAt(9) });
  const child = executionView({ executionId: 'child-1', parentExecutionId: 'exec-1', startTime: isoAt(4) });
  await record(
    store,
    running,
    [{ kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 }],
    1,
  );
  await record(store, running, [{ kind: 'step', step: stepView(), previousStatus: null, ordinal: 0 }], 2);
  await record(
    store,
    parent,
    [
      { kind: 'step', step: stepView({ status: 'Success' }), previousStatus: 'InProgress', ordinal: 1 },
      { kind: 'execution', status: 'Success', previousStatus: 'InProgress', ordinal: 1 },
    ],
    10,
  );
  await record(
    store,
    child,
    [{ kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 }],
    5,
  );
  const snapshots = [
    executionSnapshot({ status: 'Success', endTime: isoAt(9), failedSteps: 0, alarmCount: 0 }),
    executionSnapshot({ executionId: 'child-1', parentExecutionId: 'exec-1', startTime: isoAt(4) }),
  ];
  for (const execution of snapshots) {
    await store.saveExecution(SHARD, { execution, steps: new Map() }, [], null);
  }
});

afterAll(() => local.stop());

describe('Class: DynamoHistoryReader', () => {
  it('reads an execution tree: its transitions in order, then its child', async () => {
    const history = reader();

    const rows: string[] = [];
    for await (const r of history.transitions('exec-1')) {
      rows.push(`${r.depth} ${r.executionId} ${r.kind} ${r.detail.step?.status ?? r.detail.executionStatus}`);
    }

    expect(rows).toEqual([
      '0 exec-1 execution InProgress',
      '0 exec-1 step InProgress',
      '0 exec-1 step Success',
      '0 exec-1 execution Success',
      '1 child-1 execution InProgress',
    ]);
    expect(history.itemsRead).toBeGreaterThanOrEqual(rows.length);
  });

  it('reads a tree wider than its read-ahead depth first, each child before the next, grandchildren in place', async () => {
    // Prepare: 40 children (more than are read ahead at once), every tenth with a child of its own
    const wide = await local.newTable();
    const store = new DynamoSnapshotStore({
      tableName: wide,
      client: local.client,
      now: () => EPOCH + 60_000,
    });
    const root = executionView({ executionId: 'root' });
    await record(
      store,
      root,
      [{ kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 }],
      1,
    );
    await store.saveExecution(
      SHARD,
      { execution: executionSnapshot({ executionId: 'root' }), steps: new Map() },
      [],
      null,
    );
    const expected = ['0 root'];
    for (let i = 0; i < 40; i++) {
      const id = `child-${String(i).padStart(2, '0')}`;
      const child = executionView({ executionId: id, parentExecutionId: 'root', startTime: isoAt(2 + i) });
      await record(
        store,
        child,
        [{ kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 }],
        2 + i,
      );
      const snapshot = executionSnapshot({
        executionId: id,
        parentExecutionId: 'root',
        startTime: isoAt(2 + i),
      });
      await store.saveExecution(SHARD, { execution: snapshot, steps: new Map() }, [], null);
      expected.push(`1 ${id}`);
      if (i % 10 === 0) {
        const grandchildId = `grandchild-${i}`;
        const grandchild = executionView({
          executionId: grandchildId,
          parentExecutionId: id,
          startTime: isoAt(3 + i),
        });
        await record(
          store,
          grandchild,
          [{ kind: 'execution', status: 'InProgress', previousStatus: null, ordinal: 0 }],
          3 + i,
        );
        const grandSnapshot = executionSnapshot({
          executionId: grandchildId,
          parentExecutionId: id,
          startTime: isoAt(3 + i),
        });
        await store.saveExecution(SHARD, { execution: grandSnapshot, steps: new Map() }, [], null);
        expected.push(`2 ${grandchildId}`);
      }
    }
    const history = new DynamoHistoryReader({ tableName: wide, client: local.client });

    // Act
    const rows: string[] = [];
    for await (const r of history.transitions('root')) rows.push(`${r.depth} ${r.executionId}`);

    // Assess
    expect(rows).toEqual(expected);
    expect(await history.notStartedSteps('child-39')).toEqual([]);
  });

  it('lists roots only, and executions in any of several statuses', async () => {
    const history = reader();

    const roots: string[] = [];
    for await (const listing of history.executions({ rootsOnly: true })) roots.push(listing.executionId);
    const either: string[] = [];
    for await (const listing of history.executions({ statuses: ['Success', 'InProgress'] })) {
      either.push(`${listing.executionId} ${listing.account} ${listing.region}`);
    }

    expect(roots).toEqual(['exec-1']);
    expect(either).toEqual(['child-1 123456789012 us-east-1', 'exec-1 123456789012 us-east-1']);
  });

  it('lists executions newest first, filtered, and knows which exist', async () => {
    const history = reader();

    const all: string[] = [];
    for await (const listing of history.executions()) all.push(listing.executionId);
    const done: string[] = [];
    for await (const listing of history.executions({ statuses: ['Success'] })) done.push(listing.executionId);

    expect(all).toEqual(['child-1', 'exec-1']);
    expect(done).toEqual(['exec-1']);
    expect(await history.execution('exec-1')).toMatchObject({
      status: 'Success',
      failedSteps: 0,
      alarms: 0,
      account: '123456789012',
      region: 'us-east-1',
    });
    expect(await history.exists('child-1')).toBe(true);
    expect(await history.exists('nobody')).toBe(false);
  });

  it('reads a transition written before the typed fields existed, and skips an unreadable one with a report', async () => {
    // Prepare: a transition of another execution as the previous version wrote it, and one with a broken detail.
    const doc = DynamoDBDocumentClient.from(local.client);
    const old = {
      pk: KEYS.execution('old-1'),
      eventId: 'old-evt',
      executionId: 'old-1',
      detailType: 'Automation Execution Status Change',
      detail: JSON.stringify({ eventId: 'old-evt', executionId: 'old-1', executionStatus: 'Failed' }),
      resources: [],
      observedAt: isoAt(3),
      sequence: 0,
    };
    await doc.send(new PutCommand({ TableName: table, Item: { ...old, sk: KEYS.transition('old-evt') } }));
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...old,
          sk: KEYS.transition('broken'),
          eventId: 'broken',
          detail: 'not json',
          observedAt: isoAt(4),
        },
      }),
    );
    const onCorruptItem = vi.fn();
    const history = reader({ onCorruptItem });

    // Act
    const records = [];
    for await (const r of history.transitions('old-1')) records.push(r);

    // Assess
    expect(records).toMatchObject([
      { eventId: 'old-evt', kind: 'execution', detail: { executionStatus: 'Failed' } },
    ]);
    expect(onCorruptItem).toHaveBeenCalledWith(
      { pk: KEYS.execution('old-1'), sk: KEYS.transition('broken') },
      'detail is not valid JSON',
    );
  });

  it('reads the steps an execution listed but never started from its snapshots, by name', async () => {
    // Prepare: one step ran, one never started, one SSM listed without an id, and a corrupt one.
    const store = new DynamoSnapshotStore({ tableName: table, client: local.client, now: () => EPOCH });
    const pending = { status: 'Pending', startTime: null, transitions: 0 };
    const steps = [
      stepSnapshot({ stepExecutionId: 'step-ran', stepName: 'stopInstances', status: 'Success' }),
      stepSnapshot({ ...pending, stepExecutionId: 'step-never', stepName: 'verifyRunning' }),
      stepSnapshot({ ...pending, stepExecutionId: plannedStepKey('notify'), stepName: 'notify' }),
    ];
    await store.saveExecution(
      SHARD,
      {
        execution: executionSnapshot({ executionId: 'planned-1', status: 'Failed' }),
        steps: new Map(steps.map((st) => [st.stepExecutionId, st])),
      },
      steps.map((st) => st.stepExecutionId),
      null,
    );
    await DynamoDBDocumentClient.from(local.client).send(
      new PutCommand({
        TableName: table,
        Item: { pk: KEYS.execution('planned-1'), sk: KEYS.stepState('bad'), status: 3 },
      }),
    );
    const onCorruptItem = vi.fn();
    const history = reader({ onCorruptItem });

    // Act
    const notStarted = await history.notStartedSteps('planned-1');

    // Assess
    expect(notStarted).toEqual([
      { executionId: 'planned-1', stepExecutionId: null, stepName: 'notify', status: 'Pending' },
      {
        executionId: 'planned-1',
        stepExecutionId: 'step-never',
        stepName: 'verifyRunning',
        status: 'Pending',
      },
    ]);
    expect(onCorruptItem).toHaveBeenCalledWith(
      { pk: KEYS.execution('planned-1'), sk: KEYS.stepState('bad') },
      'step snapshot without stepExecutionId or status',
    );
    expect(await history.notStartedSteps('nobody')).toEqual([]);
  });
});
