// Over the wire: the poll function refuses work items naming a shard its deployment does not poll, with one warning each, and serves the rest.
import type { SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DOCUMENTED_BEHAVIOUR } from '../../sandbox/ssm-behaviour';
import { execution, step } from '../helpers/harness';
import { contextOf, type OrganizationRig, startOrganization } from '../helpers/organization';
import { captureStdio } from '../helpers/stdio';

const DEV = '111111111111';
const PROD = '222222222222';
const READER = (account: string) => `arn:aws:iam::${account}:role/ssm-step-watch-reader`;
const REFUSED = 'refused a work item for a shard this deployment does not poll';

describe('Function: createHandler, work items against the configured shards (over the wire)', () => {
  let rig: OrganizationRig;
  let output: string[];

  beforeEach(async () => {
    rig = await startOrganization({ behaviour: DOCUMENTED_BEHAVIOUR });
    rig.organization.addAccount({ id: DEV });
    rig.organization.addAccount({ id: PROD });
    for (const account of [DEV, PROD]) {
      for (const region of ['eu-west-1', 'us-east-1']) {
        rig.sandbox.addExecution(
          account,
          region,
          execution(1, [[0, 'InProgress']], [step(1, [[0, 'InProgress']])]),
        );
      }
    }
    // The refusals are warnings: let them through, and keep them out of the report.
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'WARN');
    output = [];
    captureStdio(output);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await rig.stop();
  });

  const event = (items: Record<string, { account: string; region: string; roleArn?: string }>): SQSEvent =>
    ({
      Records: Object.entries(items).map(([messageId, shard]) => ({
        messageId,
        eventSource: 'aws:sqs',
        body: JSON.stringify({ shard, dispatchedAt: Date.now() }),
      })),
    }) as unknown as SQSEvent;

  const refusals = () =>
    output
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map(
        (line) => JSON.parse(line) as { level: string; message: string; messageId: string; problem: string },
      )
      .filter((line) => line.message === REFUSED);

  const polled = () =>
    [
      ...new Set(
        rig.recorder.events().map((e) => {
          const detail = e.detail as { account: string; region: string };
          return `${detail.account}#${detail.region}`;
        }),
      ),
    ].sort();

  it('serves only the listed shards of SHARDS, with the role listed for each', async () => {
    // Prepare
    const poll = rig.pollFunction({
      SHARDS: JSON.stringify([{ account: DEV, region: 'eu-west-1', roleArn: READER(DEV) }]),
    });

    // Act
    const response = await poll(
      event({
        listed: { account: DEV, region: 'eu-west-1', roleArn: READER(DEV) },
        otherRegion: { account: DEV, region: 'us-east-1', roleArn: READER(DEV) },
        otherAccount: { account: PROD, region: 'eu-west-1', roleArn: READER(PROD) },
        otherRole: { account: DEV, region: 'eu-west-1', roleArn: `arn:aws:iam::${DEV}:role/Admin` },
      }),
      contextOf('poller'),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(polled()).toEqual([`${DEV}#eu-west-1`]);
    expect(rig.sandbox.callCounts()['sts:AssumeRole']).toBe(1);
    expect(refusals().map(({ level, messageId, problem }) => [level, messageId, problem])).toEqual([
      ['WARN', 'otherRegion', `account ${DEV} in us-east-1 is not a configured shard`],
      ['WARN', 'otherAccount', `account ${PROD} in eu-west-1 is not a configured shard`],
      ['WARN', 'otherRole', `roleArn arn:aws:iam::${DEV}:role/Admin is not the one configured for the shard`],
    ]);
  });

  it('serves only its own account and region when no shard list is configured', async () => {
    // Prepare: no SHARDS, SHARDS_FILE or ORGANIZATION
    const poll = rig.pollFunction({});

    // Act
    const response = await poll(
      event({ forged: { account: DEV, region: 'eu-west-1', roleArn: READER(DEV) } }),
      contextOf('poller'),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(polled()).toEqual([]);
    expect(rig.sandbox.callCounts()['sts:AssumeRole'] ?? 0).toBe(0);
    expect(refusals().map(({ messageId, problem }) => [messageId, problem])).toEqual([
      ['forged', `account ${DEV} in eu-west-1 is not a configured shard`],
    ]);
  });

  it("serves only the organization's regions and the accounts its lists allow", async () => {
    // Prepare
    const poll = rig.pollFunction({
      ORGANIZATION: JSON.stringify({ regions: ['eu-west-1'], excludeAccounts: [PROD] }),
      MEMBER_ROLE_NAME: 'ssm-step-watch-reader',
    });

    // Act
    const response = await poll(
      event({
        inScope: { account: DEV, region: 'eu-west-1', roleArn: READER(DEV) },
        otherRegion: { account: DEV, region: 'us-east-1', roleArn: READER(DEV) },
        excluded: { account: PROD, region: 'eu-west-1', roleArn: READER(PROD) },
      }),
      contextOf('poller'),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(polled()).toEqual([`${DEV}#eu-west-1`]);
    expect(refusals().map(({ messageId, problem }) => [messageId, problem])).toEqual([
      ['otherRegion', "region us-east-1 is not one of the organization's regions"],
      ['excluded', `account ${PROD} is not in the organization's scope`],
    ]);
  });
});
