// Over-the-wire test of a CrossAccount run across an Organization: the parent in the central account, its children in two members, joined by their ids in events and history.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoHistoryReader } from '../lambda/adapters/dynamodb/history-reader';
import { DOCUMENTED_BEHAVIOUR } from '../sandbox/ssm-behaviour';
import { execution, idOf, step } from './helpers/harness';
import { contextOf, HOME, type OrganizationRig, startOrganization } from './helpers/organization';

const DEV = '111111111111';
const PROD = '222222222222';
const REGION = 'eu-west-1';
const PARENT = idOf('e', 10);

describe('CrossAccount runs across an Organization (over the wire)', () => {
  let rig: OrganizationRig;

  beforeEach(async () => {
    rig = await startOrganization({ behaviour: DOCUMENTED_BEHAVIOUR });
    rig.organization.addAccount({ id: DEV });
    rig.organization.addAccount({ id: PROD });
  });

  afterEach(async () => {
    await rig.stop();
  });

  it('follows the parent into its children in two member accounts', async () => {
    // Prepare: the parent's step targets both members; each member runs its child.
    const targetLocation = { accounts: [DEV, PROD], regions: [REGION], executionRoleName: 'AutomationRole' };
    rig.sandbox.addCrossAccountRun(
      {
        account: HOME,
        region: REGION,
        execution: execution(10, [[0, 'InProgress']], [step(10, [[0, 'InProgress']], { targetLocation })]),
      },
      [
        {
          account: DEV,
          region: REGION,
          execution: execution(11, [[0, 'InProgress']], [step(11, [[0, 'InProgress']])]),
        },
        {
          account: PROD,
          region: REGION,
          execution: execution(12, [[0, 'InProgress']], [step(12, [[0, 'InProgress']])]),
        },
      ],
    );
    const poll = rig.pollFunction({ MEMBER_ROLE_NAME: 'ssm-step-watch-reader' });

    // Act: one dispatch, each shard's work item served by its own invocation.
    await rig.dispatcher({ ORGANIZATION: JSON.stringify({ regions: [REGION] }) })(
      {},
      contextOf('dispatcher'),
    );
    const responses = await rig.deliver(poll);

    // Assess: every event names its account, and a child's its parent.
    expect(responses).toEqual([
      { batchItemFailures: [] },
      { batchItemFailures: [] },
      { batchItemFailures: [] },
    ]);
    type Detail = {
      account: string;
      executionId: string;
      parentExecutionId: string | null;
      step?: { targetLocation: unknown } | null;
    };
    const details = rig.recorder.events().map((event) => event.detail as Detail);
    const joins = details
      .map(
        (d) =>
          `${d.account}:${d.executionId.slice(-2)}:${d.parentExecutionId?.slice(-2) ?? '-'}:${d.step ? 'step' : 'execution'}`,
      )
      .sort();
    expect(joins).toEqual([
      `${DEV}:11:10:execution`,
      `${DEV}:11:10:step`,
      `${PROD}:12:10:execution`,
      `${PROD}:12:10:step`,
      `${HOME}:10:-:execution`,
      `${HOME}:10:-:step`,
    ]);
    const parentStep = details.find((d) => d.executionId === PARENT && d.step);
    expect(parentStep?.step?.targetLocation).toEqual({
      accounts: [DEV, PROD],
      regions: [REGION],
      executionRoleName: 'AutomationRole',
    });

    // Assess: the parent's history is the tree across the three accounts.
    const reader = new DynamoHistoryReader({ tableName: rig.tableName, client: rig.dynamodb });
    const tree: string[] = [];
    for await (const record of reader.transitions(PARENT)) {
      tree.push(`${record.depth}:${(record.detail as { account: string }).account}:${record.kind}`);
    }
    expect(tree.sort()).toEqual([
      `0:${HOME}:execution`,
      `0:${HOME}:step`,
      `1:${DEV}:execution`,
      `1:${DEV}:step`,
      `1:${PROD}:execution`,
      `1:${PROD}:step`,
    ]);
  });

  it('lists the parent as CrossAccount and the children as Local in their own accounts', async () => {
    rig.sandbox.addCrossAccountRun(
      { account: HOME, region: REGION, execution: execution(20, [[0, 'InProgress']], []) },
      [{ account: DEV, region: REGION, execution: execution(21, [[0, 'InProgress']], []) }],
    );

    const home = rig.sandbox.simulator(HOME, REGION).scenario.executions[0];
    const child = rig.sandbox.simulator(DEV, REGION).scenario.executions[0];

    expect(home?.automationType).toBe('CrossAccount');
    expect(child).toMatchObject({
      parentId: idOf('e', 20),
      parentLocation: { account: HOME, region: REGION },
    });
    expect(child?.automationType).toBeUndefined();
  });
});
