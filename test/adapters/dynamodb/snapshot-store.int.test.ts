// Over the wire against dynalite: the snapshot store's writes and reads, the outbox's typed records, superseded steps.
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KEYS } from '../../../lambda/adapters/dynamodb/schema';
import { DynamoSnapshotStore } from '../../../lambda/adapters/dynamodb/snapshot-store';
import { buildEvents } from '../../../lambda/core/events';
import {
  EPOCH,
  eventContext,
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
  it('leaves steps that did not change as they are', async () => {
    const s = store();
    const other = stepSnapshot({ stepExecutionId: 'step-2', stepName: 'startInstance' });
    await s.saveExecution(SHARD, executionState({}, [stepSnapshot(), other]), ['step-1', 'step-2'], null);

    await s.saveExecution(SHARD, executionState({ version: 1 }, []), [], 1);

    expect([...((await s.loadExecution('exec-1'))?.steps.keys() ?? [])].sort()).toEqual(['step-1', 'step-2']);
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
