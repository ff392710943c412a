// Over-the-wire tests of the fan-out: the dispatcher finds an Organization's accounts, queues work items, and the poll function reads each (account, region) through AssumeRole.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYS } from '../../lambda/adapters/dynamodb/schema';
import { ConfigError } from '../../lambda/core/errors';
import { parseWorkItem } from '../../lambda/core/work-items';
import { DOCUMENTED_BEHAVIOUR } from '../../sandbox/ssm-behaviour';
import { execution, idOf, step } from '../helpers/harness';
import {
  contextOf,
  HOME,
  HOME_REGION,
  type OrganizationRig,
  startOrganization,
} from '../helpers/organization';

const DEV = '111111111111';
const PROD = '222222222222';
const NEW = '333333333333';
const REGIONS = ['eu-west-1', 'us-east-1'];
const ORGANIZATION = JSON.stringify({ regions: REGIONS });
const READER = (account: string) => `arn:aws:iam::${account}:role/ssm-step-watch-reader`;

describe('Function: createDispatcher (over the wire)', () => {
  let rig: OrganizationRig;

  beforeEach(async () => {
    rig = await startOrganization({ behaviour: DOCUMENTED_BEHAVIOUR });
    rig.organization.addAccount({ id: DEV });
    rig.organization.addAccount({ id: PROD });
  });

  afterEach(async () => {
    await rig.stop();
  });

  const queuedShards = () =>
    rig.queue
      .takeAll()
      .map((record) => parseWorkItem(record.body)?.shard)
      .map((shard) => `${shard?.account}#${shard?.region}#${shard?.roleArn ?? 'home'}`);

  it('queues one work item per active account and region, the home account without a role', async () => {
    // Prepare
    rig.organization.addAccount({ id: NEW, state: 'SUSPENDED' });
    const dispatch = rig.dispatcher({ ORGANIZATION: ORGANIZATION });

    // Act
    const result = await dispatch({}, contextOf('dispatcher'));

    // Assess
    expect(result).toMatchObject({ shards: 6, sent: 6, unsent: 0, accountsFrom: 'organizations' });
    expect(queuedShards()).toEqual([
      `${DEV}#eu-west-1#${READER(DEV)}`,
      `${DEV}#us-east-1#${READER(DEV)}`,
      `${PROD}#eu-west-1#${READER(PROD)}`,
      `${PROD}#us-east-1#${READER(PROD)}`,
      `${HOME}#eu-west-1#home`,
      `${HOME}#us-east-1#home`,
    ]);
  });

  it('follows accounts that join and leave once the cached list is older than ACCOUNT_CACHE_SECONDS', async () => {
    // Prepare
    let now = Date.now();
    const dispatch = rig.dispatcher(
      { ORGANIZATION: JSON.stringify({ regions: ['eu-west-1'] }), ACCOUNT_CACHE_SECONDS: '300' },
      () => now,
    );
    const first = await dispatch({}, contextOf('dispatcher'));
    const before = queuedShards();

    // Act: one account joins, one leaves; a minute later the cache still serves, five minutes later it does not.
    rig.organization.addAccount({ id: NEW });
    rig.organization.removeAccount(DEV);
    now += 60_000;
    const cached = await dispatch({}, contextOf('dispatcher'));
    const duringCache = queuedShards();
    now += 241_000;
    const relisted = await dispatch({}, contextOf('dispatcher'));
    const after = queuedShards();

    // Assess
    expect([first.accountsFrom, cached.accountsFrom, relisted.accountsFrom]).toEqual([
      'organizations',
      'cache',
      'organizations',
    ]);
    expect(before).toEqual([
      `${DEV}#eu-west-1#${READER(DEV)}`,
      `${PROD}#eu-west-1#${READER(PROD)}`,
      `${HOME}#eu-west-1#home`,
    ]);
    expect(duringCache).toEqual(before);
    expect(after).toEqual([
      `${PROD}#eu-west-1#${READER(PROD)}`,
      `${NEW}#eu-west-1#${READER(NEW)}`,
      `${HOME}#eu-west-1#home`,
    ]);
    expect(rig.sandbox.callCounts()['organizations:ListAccounts']).toBe(2);
  });

  it('skips the management account when it runs in a delegated administrator account', async () => {
    // Prepare: the dispatcher runs in DEV; the Organization's management account is HOME.
    const dispatch = rig.dispatcher({ ORGANIZATION: ORGANIZATION });
    const delegated = {
      ...contextOf('dispatcher'),
      invokedFunctionArn: `arn:aws:lambda:${HOME_REGION}:${DEV}:function:dispatcher`,
    };

    // Act: the second run reads the cached list, management account included.
    const first = await dispatch({}, delegated);
    const firstShards = queuedShards();
    const second = await dispatch({}, delegated);

    // Assess
    expect(first).toMatchObject({ shards: 4, sent: 4, accountsFrom: 'organizations' });
    expect(second).toMatchObject({ shards: 4, sent: 4, accountsFrom: 'cache' });
    expect(firstShards).toEqual([
      `${DEV}#eu-west-1#home`,
      `${DEV}#us-east-1#home`,
      `${PROD}#eu-west-1#${READER(PROD)}`,
      `${PROD}#us-east-1#${READER(PROD)}`,
    ]);
    expect(queuedShards()).toEqual(firstShards);
    expect(rig.sandbox.callCounts()['organizations:DescribeOrganization']).toBe(1);
  });

  it('sends a refused entry once more, and reports one refused twice', async () => {
    const dispatch = rig.dispatcher({
      SHARDS: JSON.stringify([{ account: DEV, region: 'eu-west-1', roleArn: READER(DEV) }, {}]),
    });

    rig.queue.failNextEntries(1);
    const retried = await dispatch({}, contextOf('dispatcher'));
    rig.queue.takeAll();
    // Both entries fail, then the first fails again on its retry.
    rig.queue.failNextEntries(3);
    const refused = await dispatch({}, contextOf('dispatcher'));

    expect(retried).toMatchObject({ shards: 2, sent: 2, unsent: 0, accountsFrom: 'static' });
    expect(refused).toMatchObject({ shards: 2, sent: 1, unsent: 1 });
    expect(queuedShards()).toHaveLength(1);
  });

  it('queues the shards of the bundle file SHARDS_FILE names when SHARDS is absent', async () => {
    // Prepare: the construct writes the list into the bundle when it is too long for the environment.
    const bundle = mkdtempSync(join(tmpdir(), 'dispatcher-bundle-'));
    writeFileSync(
      join(bundle, 'shards.json'),
      JSON.stringify([{ account: DEV, region: 'eu-west-1', roleArn: READER(DEV) }, { region: 'us-east-1' }]),
    );
    const dispatch = rig.dispatcher({ SHARDS_FILE: 'shards.json', LAMBDA_TASK_ROOT: bundle });

    try {
      // Act
      const result = await dispatch({}, contextOf('dispatcher'));

      // Assess
      expect(result).toMatchObject({ shards: 2, sent: 2, unsent: 0, accountsFrom: 'static' });
      expect(queuedShards()).toEqual([`${DEV}#eu-west-1#${READER(DEV)}`, `${HOME}#us-east-1#home`]);
    } finally {
      rmSync(bundle, { recursive: true, force: true });
    }
  });

  it('has each work item read its (account, region) through AssumeRole and emit its events', async () => {
    // Prepare: one execution in each member account, in different regions; none at home.
    rig.sandbox.addExecution(
      DEV,
      'eu-west-1',
      execution(1, [[0, 'InProgress']], [step(1, [[0, 'InProgress']])]),
    );
    rig.sandbox.addExecution(
      PROD,
      'us-east-1',
      execution(2, [[0, 'InProgress']], [step(2, [[0, 'InProgress']])]),
    );
    const dispatch = rig.dispatcher({ ORGANIZATION: ORGANIZATION });
    const poll = rig.pollFunction({ MEMBER_ROLE_NAME: 'ssm-step-watch-reader', ORGANIZATION });

    // Act
    await dispatch({}, contextOf('dispatcher'));
    const responses = await rig.deliver(poll);
    const report = await dispatch({}, contextOf('dispatcher'));

    // Assess
    expect(responses).toEqual(Array.from({ length: 6 }, () => ({ batchItemFailures: [] })));
    const seen = rig.recorder
      .events()
      .map(
        (event) => event.detail as { account: string; region: string; executionId: string; step?: unknown },
      )
      .map((d) => `${d.account}#${d.region}#${d.executionId.slice(-1)}#${d.step ? 'step' : 'execution'}`)
      .sort();
    expect(seen).toEqual([
      `${DEV}#eu-west-1#1#execution`,
      `${DEV}#eu-west-1#1#step`,
      `${PROD}#us-east-1#2#execution`,
      `${PROD}#us-east-1#2#step`,
    ]);
    expect(rig.sandbox.callCounts()['sts:AssumeRole']).toBe(4);
    // Every shard completed a cycle, so the second run finds none stale.
    expect(report.staleness).toMatchObject({ staleShards: 0 });
    expect(report.staleness?.worst).toHaveLength(6);
  });

  it('assumes each member role once for the life of a warm poll function, not once a cycle', async () => {
    // Prepare
    rig.sandbox.addExecution(
      DEV,
      'eu-west-1',
      execution(1, [[0, 'InProgress']], [step(1, [[0, 'InProgress']])]),
    );
    const dispatch = rig.dispatcher({ ORGANIZATION: ORGANIZATION });
    const poll = rig.pollFunction({ MEMBER_ROLE_NAME: 'ssm-step-watch-reader', ORGANIZATION });
    await dispatch({}, contextOf('dispatcher'));
    await rig.deliver(poll);
    const first = rig.sandbox.callCounts()['sts:AssumeRole'];

    // Act: three more rounds on the same (warm) function
    for (let round = 0; round < 3; round++) {
      await dispatch({}, contextOf('dispatcher'));
      await rig.deliver(poll);
    }

    // Assess: the four member shards, one role each, never assumed again
    expect(first).toBe(4);
    expect(rig.sandbox.callCounts()['sts:AssumeRole']).toBe(4);
  });

  it('does not make the other shards wait for a shard whose SSM hangs', async () => {
    // Prepare
    rig.sandbox.addExecution(DEV, 'eu-west-1', execution(3, [[0, 'InProgress']], []));
    rig.sandbox.addExecution(PROD, 'eu-west-1', execution(4, [[0, 'InProgress']], []));
    const release = rig.sandbox.hold(DEV, 'eu-west-1');
    await rig.dispatcher({ ORGANIZATION: JSON.stringify({ regions: ['eu-west-1'] }) })(
      {},
      contextOf('dispatcher'),
    );
    const poll = rig.pollFunction({ ORGANIZATION: JSON.stringify({ regions: ['eu-west-1'] }) });
    const records = rig.queue.takeAll();
    const held = records.filter((record) => parseWorkItem(record.body)?.shard.account === DEV);
    const others = records.filter((record) => parseWorkItem(record.body)?.shard.account !== DEV);
    let heldDone = false;

    // Act
    const heldRun = rig.deliver(poll, held).then((responses) => {
      heldDone = true;
      return responses;
    });
    const otherResponses = await rig.deliver(poll, others);

    // Assess: the others finished and emitted while the held shard still waits.
    expect(otherResponses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(
      rig.recorder.events().map((event) => (event.detail as { executionId: string }).executionId),
    ).toEqual([idOf('e', 4)]);
    expect(heldDone).toBe(false);
    release();
    expect(await heldRun).toEqual([{ batchItemFailures: [] }]);
    expect(rig.recorder.events()).toHaveLength(2);
  });

  it('acknowledges stale, foreign-role, roleless and malformed items without a cycle', async () => {
    // Prepare
    const poll = rig.pollFunction({ MEMBER_ROLE_NAME: 'ssm-step-watch-reader', POLL_PERIOD_SECONDS: '60' });
    rig.sandbox.addExecution(DEV, 'eu-west-1', execution(5, [[0, 'InProgress']], []));
    const body = (roleArn: string, dispatchedAt: number) =>
      JSON.stringify({ shard: { account: DEV, region: 'eu-west-1', roleArn }, dispatchedAt });
    const record = (messageId: string, text: string) => ({ messageId, body: text, eventSource: 'aws:sqs' });
    const event = {
      Records: [
        record('stale', body(READER(DEV), Date.now() - 121_000)),
        record('foreign', body('arn:aws:iam::111111111111:role/Admin', Date.now())),
        record(
          'roleless',
          JSON.stringify({ shard: { account: DEV, region: 'eu-west-1' }, dispatchedAt: Date.now() }),
        ),
        record('malformed', 'not a work item'),
      ],
    } as unknown as SQSEvent;

    // Act
    const response = await poll(event, contextOf('poller'));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(rig.recorder.events()).toEqual([]);
    expect(rig.sandbox.callCounts()['sts:AssumeRole']).toBeUndefined();
    // No cycle ran for the shard: it has no poller state.
    const state = await rig.dynamodb.send(
      new GetItemCommand({
        TableName: rig.tableName,
        Key: { pk: { S: KEYS.poller(`${DEV}#eu-west-1`) }, sk: { S: KEYS.pollerState } },
        ConsistentRead: true,
      }),
    );
    expect(state.Item).toBeUndefined();
  });

  it('fails the invocation with one ConfigError when POLL_PERIOD_SECONDS is not a positive number', async () => {
    const poll = rig.pollFunction({ POLL_PERIOD_SECONDS: 'a minute' });
    const event = {
      Records: [
        {
          messageId: 'home',
          eventSource: 'aws:sqs',
          body: JSON.stringify({ shard: { account: HOME, region: HOME_REGION }, dispatchedAt: Date.now() }),
        },
      ],
    } as unknown as SQSEvent;

    await expect(poll(event, contextOf('poller'))).rejects.toThrowError(
      new ConfigError(
        'Invalid configuration: POLL_PERIOD_SECONDS must be a positive number, got "a minute".',
      ),
    );
    expect(rig.recorder.events()).toEqual([]);
  });

  it('returns the items of a shard whose role cannot be assumed, for SQS to deliver again', async () => {
    const poll = rig.pollFunction({
      SHARDS: JSON.stringify([
        { account: NEW, region: 'eu-west-1', roleArn: READER(NEW) },
        { account: NEW, region: 'us-east-1', roleArn: READER(NEW) },
        { account: HOME, region: HOME_REGION },
      ]),
    });
    const event = {
      Records: [
        {
          messageId: 'gone',
          eventSource: 'aws:sqs',
          body: JSON.stringify({
            shard: { account: NEW, region: 'eu-west-1', roleArn: READER(NEW) },
            dispatchedAt: Date.now(),
          }),
        },
        {
          messageId: 'home',
          eventSource: 'aws:sqs',
          body: JSON.stringify({ shard: { account: HOME, region: HOME_REGION }, dispatchedAt: Date.now() }),
        },
        {
          // Delivered again, older than two periods: served, not dropped, so it can reach the DLQ.
          messageId: 'gone-again',
          eventSource: 'aws:sqs',
          attributes: { ApproximateReceiveCount: '3' },
          body: JSON.stringify({
            shard: { account: NEW, region: 'us-east-1', roleArn: READER(NEW) },
            dispatchedAt: Date.now() - 600_000,
          }),
        },
      ],
    } as unknown as SQSEvent;

    const response = await poll(event, contextOf('poller'));

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: 'gone' }, { itemIdentifier: 'gone-again' }],
    });
  });
});
