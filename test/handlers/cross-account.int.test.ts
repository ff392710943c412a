// Over-the-wire test of a CrossAccount run across an Organization: the parent in the central account, its children in two members, joined by their ids in events and history.
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoHistoryReader } from '../../lambda/adapters/dynamodb/history-reader';
import type { CrossAccountParentLink } from '../../sandbox/multi-account';
import { DOCUMENTED_BEHAVIOUR } from '../../sandbox/ssm-behaviour';
import { execution, idOf, step } from '../helpers/harness';
import { contextOf, HOME, type OrganizationRig, startOrganization } from '../helpers/organization';

const DEV = '111111111111';
const PROD = '222222222222';
const REGION = 'eu-west-1';
const PARENT = idOf('e', 10);

describe('CrossAccount runs across an Organization (over the wire)', () => {
  let rig: OrganizationRig | undefined;

  const start = async (crossAccountParentLink?: CrossAccountParentLink): Promise<OrganizationRig> => {
    rig = await startOrganization({
      behaviour: DOCUMENTED_BEHAVIOUR,
      ...(crossAccountParentLink !== undefined && { crossAccountParentLink }),
    });
    rig.organization.addAccount({ id: DEV });
    rig.organization.addAccount({ id: PROD });
    return rig;
  };

  afterEach(async () => {
    await rig?.stop();
    rig = undefined;
  });

  // C4 (docs/ssm-behaviour.md): whether a child in another account names its parent is not documented.
  it.each([
    ['parentId', '10', true],
    ['absent', '-', false],
  ] as const)(
    'follows the parent into its children in two member accounts, with link=%s',
    async (link, parentOfChild, joined) => {
      const rig = await start(link);
      // Prepare: the parent's step targets both members; each member runs its child.
      const targetLocation = {
        accounts: [DEV, PROD],
        regions: [REGION],
        executionRoleName: 'AutomationRole',
      };
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
      // As deployed, the poll function knows the dispatcher's scope and serves nothing outside it.
      const poll = rig.pollFunction({
        MEMBER_ROLE_NAME: 'ssm-step-watch-reader',
        ORGANIZATION: JSON.stringify({ regions: [REGION] }),
      });

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
      // Each child is read and published in its own account either way; only the join needs the link.
      expect(joins).toEqual([
        `${DEV}:11:${parentOfChild}:execution`,
        `${DEV}:11:${parentOfChild}:step`,
        `${PROD}:12:${parentOfChild}:execution`,
        `${PROD}:12:${parentOfChild}:step`,
        `${HOME}:10:-:execution`,
        `${HOME}:10:-:step`,
      ]);
      const parentStep = details.find((d) => d.executionId === PARENT && d.step);
      expect(parentStep?.step?.targetLocation).toEqual({
        accounts: [DEV, PROD],
        regions: [REGION],
        executionRoleName: 'AutomationRole',
      });

      // Assess: the parent's history is the tree across the three accounts when the children name it.
      const reader = new DynamoHistoryReader({ tableName: rig.tableName, client: rig.dynamodb });
      const history = async (id: string): Promise<string[]> => {
        const records: string[] = [];
        for await (const record of reader.transitions(id)) {
          records.push(`${record.depth}:${(record.detail as { account: string }).account}:${record.kind}`);
        }
        return records.sort();
      };
      expect(await history(PARENT)).toEqual([
        `0:${HOME}:execution`,
        `0:${HOME}:step`,
        ...(joined ? [`1:${DEV}:execution`, `1:${DEV}:step`, `1:${PROD}:execution`, `1:${PROD}:step`] : []),
      ]);
      expect(await history(idOf('e', 11))).toEqual([`0:${DEV}:execution`, `0:${DEV}:step`]);
    },
  );

  it('lists the parent as CrossAccount and the children as Local in their own accounts', async () => {
    const rig = await start();
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
