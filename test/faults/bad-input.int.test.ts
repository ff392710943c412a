// Over the wire: bad input wherever it can enter — SSM payloads, table items, the Lambda environment.
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KEYS } from '../../lambda/adapters/dynamodb/schema';
import { DynamoSnapshotStore } from '../../lambda/adapters/dynamodb/snapshot-store';
import { ConfigError, ServiceError } from '../../lambda/core/errors';
import type { CycleLogger } from '../../lambda/core/ports';
import { DETAIL_TYPES } from '../../lambda/core/types';
import { type CycleSummary, runPollCycle } from '../../lambda/cycle/poll-cycle';
import { createHandler } from '../../lambda/handlers/poll';
import { createPoller, type Poller } from '../../lambda/runtime/poller';
import type { RecordedEvent } from '../../sandbox/event-recorder';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalStack, startLocalStack } from '../../sandbox/local-stack';
import { parseScenario, type ScenarioExecution } from '../../sandbox/scenario';
import { execution, idOf, step, T0, transitionsOf } from '../helpers/harness';
import { schemaErrors } from '../helpers/schemas';
import { captureStdio } from '../helpers/stdio';

/** A logged line: level, message and extras. */
interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra: Record<string, unknown>;
}

/** The local stack on a manual clock, a poller on it that logs into `logs`. */
interface Fixture {
  readonly stack: LocalStack;
  readonly poller: Poller;
  readonly logs: LogLine[];
  readonly doc: DynamoDBDocumentClient;
  at(seconds: number): void;
  cycle(): Promise<CycleSummary>;
  events(): RecordedEvent[];
  stop(): Promise<void>;
}

const SHARD = `${LOCAL_ACCOUNT}#${LOCAL_REGION}`;

async function startFixture(executions: ScenarioExecution[], maxEntryBytes = 262_144): Promise<Fixture> {
  let now = T0;
  const stack = await startLocalStack({
    scenario: parseScenario({ name: 'bad-input', executions }),
    startEpochMs: T0,
    clock: () => now,
    tableName: 'bad-input',
  });
  const logs: LogLine[] = [];
  const write =
    (level: LogLine['level']) =>
    (message: string, extra?: Record<string, unknown>): void => {
      logs.push({ level, message, extra: extra ?? {} });
    };
  const logger: CycleLogger = { info: write('info'), warn: write('warn'), error: write('error') };
  const poller = createPoller(
    {
      tableName: stack.tableName,
      eventBusName: 'bad-input-bus',
      eventSource: 'ssm-step-watch',
      historyRetentionDays: 30,
      maxEntryBytes,
      ssmDescribeTps: 1000,
    },
    { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
    { clients: stack.clients, logger, timer: { now: () => now, sleep: async () => {} } },
  );
  return {
    stack,
    poller,
    logs,
    doc: DynamoDBDocumentClient.from(stack.clients.dynamodb),
    at: (seconds) => {
      now = T0 + seconds * 1000;
    },
    cycle: () => runPollCycle(poller.deps, { ...poller.options, leaseUntil: now + 30_000 }),
    events: () => stack.recorder.events(),
    stop: () => stack.stop(),
  };
}

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

type Json = Record<string, unknown>;

/** Applies `edit` to every step of every DescribeAutomationStepExecutions answer. */
function editSteps(edit: (step: Json, index: number) => void) {
  return (operation: string, body: Json): void => {
    if (operation !== 'DescribeAutomationStepExecutions') return;
    (body.StepExecutions as Json[] | undefined)?.forEach(edit);
  };
}

/** Applies `edit` to every execution of every DescribeAutomationExecutions answer. */
function editExecutions(edit: (execution: Json) => void) {
  return (operation: string, body: Json): void => {
    if (operation !== 'DescribeAutomationExecutions') return;
    (body.AutomationExecutionMetadataList as Json[] | undefined)?.forEach(edit);
  };
}

function detailOf(event: RecordedEvent): {
  eventId: string;
  truncated: string[];
  step?: { stepExecutionId: string; stepName: string; status: string; failureMessage: string | null } & Json;
} & Json {
  return event.detail as ReturnType<typeof detailOf>;
}

function schemaProblems(events: readonly RecordedEvent[]): string[] {
  return events.flatMap((e) => schemaErrors(e.detailType, e.detail));
}

const threeSteps = (): ScenarioExecution[] => [
  execution(
    1,
    [
      [0, 'InProgress'],
      [20, 'Success'],
    ],
    [1, 2, 3].map((n) =>
      step(n, [
        [n, 'InProgress'],
        [10 + n, 'Success'],
      ]),
    ),
  ),
];

describe('Function: runPollCycle on malformed or partial SSM payloads', () => {
  it('emits events with null fields when every optional field is missing', async () => {
    // Prepare
    fixture = await startFixture(threeSteps());
    const keep = (record: Json, keys: string[]): void => {
      for (const key of Object.keys(record)) if (!keys.includes(key)) delete record[key];
    };
    fixture.stack.ssm.setPayloadMutator((operation, body) => {
      editSteps((s) => keep(s, ['StepExecutionId', 'StepStatus']))(operation, body);
      editExecutions((e) => keep(e, ['AutomationExecutionId', 'AutomationExecutionStatus']))(operation, body);
    });
    fixture.at(5);

    // Act
    const summary = await fixture.cycle();

    // Assess
    expect(summary.complete).toBe(true);
    // Without start times the steps come in SSM's (forward) order.
    expect(transitionsOf(fixture.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0001:null>InProgress',
      'step:0002:null>InProgress',
      'step:0003:null>InProgress',
    ]);
    expect(detailOf(fixture.events()[1] as RecordedEvent)).toMatchObject({
      documentName: '',
      documentVersion: null,
      step: { stepName: '', action: null, startTime: null, maxAttempts: null, inputs: null, outputs: null },
    });
    expect(schemaProblems(fixture.events())).toEqual([]);
  });

  it('skips, and logs, a step without an id or a status, and goes on with the rest', async () => {
    // Prepare
    fixture = await startFixture(threeSteps());
    fixture.stack.ssm.setPayloadMutator(
      editSteps((s) => {
        if (s.StepExecutionId === idOf('s', 1)) delete s.StepExecutionId;
        if (s.StepExecutionId === idOf('s', 2)) delete s.StepStatus;
      }),
    );
    fixture.at(5);

    // Act: two cycles see the broken records, a third the whole ones.
    const first = await fixture.cycle();
    fixture.at(5.5);
    const second = await fixture.cycle();
    fixture.stack.ssm.setPayloadMutator();
    fixture.at(6);
    await fixture.cycle();

    // Assess: each broken record is reported once, not every cycle; the skipped steps arrive once
    // SSM shows them whole again.
    expect(first.complete).toBe(true);
    expect([first.unreadableRecords, second.unreadableRecords]).toEqual([2, 2]);
    const reported = fixture.logs.filter((l) => l.message === 'skipped a record SSM returned');
    expect(new Set(reported.map((l) => l.extra.reason))).toEqual(
      new Set(['step step1 without StepExecutionId', `step ${idOf('s', 2)} without status`]),
    );
    expect(reported).toHaveLength(2);
    expect(transitionsOf(fixture.events())).toEqual([
      'execution:0001:null>InProgress',
      'step:0003:null>InProgress',
      'step:0001:null>InProgress',
      'step:0002:null>InProgress',
    ]);
  });

  it('skips an execution without an id and polls the others', async () => {
    fixture = await startFixture([
      execution(1, [[0, 'InProgress']], [step(1, [[0, 'InProgress']])]),
      execution(2, [[0, 'InProgress']], [step(2, [[0, 'InProgress']])]),
    ]);
    fixture.stack.ssm.setPayloadMutator(
      editExecutions((e) => {
        if (e.AutomationExecutionId === idOf('e', 1)) delete e.AutomationExecutionId;
      }),
    );
    fixture.at(1);

    const summary = await fixture.cycle();

    expect(summary.complete).toBe(true);
    expect(summary.unreadableRecords).toBe(1);
    expect(
      fixture.logs.filter((l) => l.message === 'skipped a record SSM returned').map((l) => l.extra.reason),
    ).toEqual(['execution without AutomationExecutionId']);
    expect(transitionsOf(fixture.events())).toEqual([
      'execution:0002:null>InProgress',
      'step:0002:null>InProgress',
    ]);
  });

  it('passes unknown statuses through and raises alarms only in ALARM', async () => {
    fixture = await startFixture(threeSteps());
    fixture.stack.ssm.setPayloadMutator((operation, body) => {
      editSteps((s, i) => {
        if (i === 0) {
          s.StepStatus = 'Quantum';
          s.TriggeredAlarms = [
            { Name: 'Weird', State: 'WEIRD' },
            { Name: 'Real', State: 'ALARM' },
          ];
        }
      })(operation, body);
      editExecutions((e) => {
        e.AutomationExecutionStatus = 'Teleporting';
      })(operation, body);
    });
    fixture.at(5);

    await fixture.cycle();

    const details = fixture.events().map(detailOf);
    expect(details[0]).toMatchObject({ executionStatus: 'Teleporting' });
    const stepEvents = fixture.events().filter((e) => e.detailType === DETAIL_TYPES.step);
    expect(stepEvents.map(detailOf).filter((d) => d.step?.status === 'Quantum')).toHaveLength(1);
    const alarms = fixture.events().filter((e) => e.detailType === DETAIL_TYPES.alarm);
    expect(alarms.map((e) => (e.detail as { alarm: { name: string } }).alarm.name)).toEqual(['Real']);
    expect(schemaProblems(fixture.events())).toEqual([]);
  });

  it('truncates a huge Outputs on a character boundary so the entry fits the limit', async () => {
    fixture = await startFixture(threeSteps());
    const huge = 'é🚀'.repeat(110_000); // about 660 KB of UTF-8
    fixture.stack.ssm.setPayloadMutator(
      editSteps((s, i) => {
        if (i === 0) s.Outputs = { huge: [huge], small: ['kept?'] };
      }),
    );
    fixture.at(5);

    const summary = await fixture.cycle();

    expect(summary.eventsPending).toBe(0);
    const truncated = fixture.events().filter((e) => detailOf(e).truncated.length > 0);
    expect(truncated).toHaveLength(1);
    const detail = detailOf(truncated[0] as RecordedEvent);
    expect(detail.truncated).toContain('step.outputs');
    expect(Buffer.byteLength(truncated[0]?.detailRaw ?? '', 'utf8')).toBeLessThanOrEqual(262_144);
    expect(truncated[0]?.detailRaw).not.toMatch(/\uFFFD/);
    expect(schemaProblems(fixture.events())).toEqual([]);
  });

  it('keeps odd Unicode in names and messages byte for byte', async () => {
    fixture = await startFixture(threeSteps());
    const odd = '🚀 déploiement — مرحلة — 步骤 — e\u0301 — a\u200db — \u0000 — "quoted" \\ back\nslash';
    fixture.stack.ssm.setPayloadMutator((operation, body) => {
      editSteps((s) => {
        s.StepName = `${odd} ${String(s.StepExecutionId).slice(-1)}`;
        s.FailureMessage = odd;
      })(operation, body);
      editExecutions((e) => {
        e.DocumentName = odd;
      })(operation, body);
    });
    fixture.at(5);

    await fixture.cycle();

    const steps = fixture
      .events()
      .map(detailOf)
      .filter((d) => d.step);
    expect(steps.map((d) => d.step?.stepName)).toEqual([`${odd} 1`, `${odd} 2`, `${odd} 3`]);
    expect(steps.every((d) => d.step?.failureMessage === odd && d.documentName === odd)).toBe(true);
  });

  it('fails the cycle with a ServiceError on an answer that is not JSON, and the next cycle loses nothing', async () => {
    fixture = await startFixture(threeSteps());
    fixture.stack.ssm.setPayloadMutator((operation) =>
      operation === 'DescribeAutomationStepExecutions' ? '{"StepExecutions": [' : undefined,
    );
    fixture.at(5);

    const failure = await fixture.cycle().catch((error: unknown) => error);
    fixture.stack.ssm.setPayloadMutator();
    // After the lease the failed cycle took has run out, as the next scheduled run would be.
    fixture.at(40);
    await fixture.cycle();

    expect(failure).toBeInstanceOf(ServiceError);
    expect((failure as Error).message).toMatch(/^SSM DescribeAutomationStepExecutions failed: /);
    expect(new Set(transitionsOf(fixture.events()))).toEqual(
      new Set([
        'execution:0001:null>Success',
        'step:0001:null>Success',
        'step:0002:null>Success',
        'step:0003:null>Success',
      ]),
    );
  });
});

describe('Function: runPollCycle on corrupt or foreign table items', () => {
  it('skips and logs each bad item, goes on with the rest, and loses nothing already recorded', async () => {
    // Prepare: two executions recorded once, then items corrupted and foreign items added.
    fixture = await startFixture([
      ...threeSteps(),
      execution(
        2,
        [
          [0, 'InProgress'],
          [20, 'Failed'],
        ],
        [
          step(9, [
            [0, 'InProgress'],
            [12, 'Failed'],
          ]),
        ],
      ),
    ]);
    const f = fixture;
    const table = f.stack.tableName;
    f.at(5);
    await f.cycle();
    const historyOf = async (n: number) =>
      (
        await f.doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :evt)',
            ExpressionAttributeValues: { ':pk': KEYS.execution(idOf('e', n)), ':evt': 'EVT#' },
          }),
        )
      ).Items ?? [];
    const recordedBefore = [...(await historyOf(1)), ...(await historyOf(2))].map((i) => [i.sk, i.detail]);
    const put = (Item: Json) => f.doc.send(new PutCommand({ TableName: table, Item }));
    await put({ pk: KEYS.execution(idOf('e', 1)), sk: KEYS.stepState(idOf('s', 2)), stepExecutionId: 42 });
    await put({ pk: KEYS.execution(idOf('e', 2)), sk: KEYS.executionState, status: 7, version: 'one' });
    await put({ pk: KEYS.execution(idOf('e', 1)), sk: 'STATE#SOMETHING-ELSE', hello: 'world' });
    await put({ pk: 'FOREIGN#1', sk: KEYS.executionState, executionId: 'not ours', status: 'Success' });
    await put({ pk: 'FOREIGN#2', sk: 'EVT#x', pendingShard: SHARD, recordedAt: '0000' });
    await put({ pk: 'FOREIGN#3', sk: KEYS.executionState, trackShard: SHARD, trackedAt: '0000' });

    // Act
    f.at(30);
    const summary = await f.cycle();
    f.at(40);
    await f.cycle();

    // Assess
    expect(summary.complete).toBe(true);
    const corrupt = f.logs.filter((l) => l.message === 'ignored a corrupt item in the table');
    expect(new Set(corrupt.map((l) => `${String(l.extra.pk)} ${String(l.extra.sk)}`))).toEqual(
      new Set([
        `${KEYS.execution(idOf('e', 1))} ${KEYS.stepState(idOf('s', 2))}`,
        `${KEYS.execution(idOf('e', 2))} ${KEYS.executionState}`,
        `${KEYS.execution(idOf('e', 1))} STATE#SOMETHING-ELSE`,
        'FOREIGN#2 EVT#x',
        `FOREIGN#3 ${KEYS.executionState}`,
      ]),
    );
    const delivered = transitionsOf(f.events());
    for (const later of [
      'step:0001:InProgress>Success',
      'step:0003:InProgress>Success',
      'execution:0001:InProgress>Success',
    ]) {
      expect(delivered).toContain(later);
    }
    expect(delivered.some((t) => t.startsWith('step:0002:') && t.endsWith('>Success'))).toBe(true);
    expect(delivered.some((t) => t.startsWith('execution:0002:') && t.endsWith('>Failed'))).toBe(true);
    const recordedAfter = [...(await historyOf(1)), ...(await historyOf(2))].map((i) => [i.sk, i.detail]);
    expect(recordedAfter).toEqual(expect.arrayContaining(recordedBefore));
  });

  it('replaces a corrupt poller state instead of standing down on it forever', async () => {
    fixture = await startFixture(threeSteps());
    const f = fixture;
    await f.doc.send(
      new PutCommand({
        TableName: f.stack.tableName,
        Item: { pk: KEYS.poller(SHARD), sk: KEYS.pollerState, version: 'x', leaseUntil: 17, cursor: 'abc' },
      }),
    );
    f.at(5);

    const first = await f.cycle();
    f.at(6);
    const second = await f.cycle();

    expect(first).toMatchObject({ complete: true, leaseHeldElsewhere: false });
    expect(second).toMatchObject({ complete: true, leaseHeldElsewhere: false });
    expect(f.logs.some((l) => l.message === 'ignored a corrupt item in the table')).toBe(true);
    expect(await f.poller.deps.store.loadPollerState(SHARD)).toMatchObject({ version: 4, leaseUntil: null });
  });
});

describe('Function: createHandler', () => {
  const context = {
    functionName: 'f',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
    memoryLimitInMB: '256',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/f',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
  } as unknown as Context;
  let output: string[] = [];

  beforeEach(() => {
    output = [];
    // Powertools writes JSON lines to stdout and stderr: kept for the assertions, out of the report.
    captureStdio(output);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('rejects a missing TABLE_NAME with a ConfigError that names it, without a stack trace', async () => {
    const handler = createHandler({ env: { TABLE_NAME: '', EVENT_BUS_NAME: 'bus' } });

    const error = await handler({}, context).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('Invalid configuration: TABLE_NAME is required.');
    expect((error as Error).message).not.toMatch(/\n\s+at /);
    const logged = output
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Json)
      .find((l) => l.message === 'invalid configuration');
    expect(logged).toMatchObject({ level: 'ERROR', error: 'Invalid configuration: TABLE_NAME is required.' });
    expect(JSON.stringify(logged)).not.toMatch(/\\n\s+at /);
  });

  it('names every bad variable at once', async () => {
    const handler = createHandler({
      env: { TABLE_NAME: 't', EVENT_BUS_NAME: '', EVENT_SOURCE: 'aws.ssm', MAX_ENTRY_BYTES: 'lots' },
    });

    const error = await handler({}, context).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/EVENT_BUS_NAME is required/);
    expect((error as Error).message).toMatch(/EVENT_SOURCE must not start with "aws\."/);
    expect((error as Error).message).toMatch(/MAX_ENTRY_BYTES must be a positive number, got "lots"/);
  });

  it('rejects a shard account that is not 12 digits', async () => {
    const handler = createHandler({ env: { TABLE_NAME: 't', EVENT_BUS_NAME: 'bus' } });

    const error = await handler({ shard: { account: '12345' } }, context).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('The shard account must be 12 digits, got "12345".');
  });

  it('runs a cycle against the stack with injected clients and releases its lease', async () => {
    // Prepare: real time, as the handler reads the clock itself.
    const stack = await startLocalStack({
      scenario: parseScenario({
        name: 'handler',
        executions: [execution(1, [[0, 'InProgress']], [step(1, [[0, 'InProgress']])])],
      }),
      startEpochMs: Date.now() - 5_000,
      tableName: 'handler-table',
    });
    try {
      const handler = createHandler({
        env: { TABLE_NAME: stack.tableName, EVENT_BUS_NAME: 'handler-bus', AWS_REGION: LOCAL_REGION },
        clients: stack.clients,
      });

      // Act
      const result = await handler({}, context);

      // Assess
      expect(result).toMatchObject({
        shard: SHARD,
        eventsEmitted: 2,
        complete: true,
        leaseHeldElsewhere: false,
        skippedRecords: 0,
      });
      expect(transitionsOf(stack.recorder.events())).toEqual([
        'execution:0001:null>InProgress',
        'step:0001:null>InProgress',
      ]);
      const store = new DynamoSnapshotStore({ tableName: stack.tableName, client: stack.clients.dynamodb });
      expect((await store.loadPollerState(SHARD)).leaseUntil).toBeNull();
    } finally {
      await stack.stop();
    }
  });
});
