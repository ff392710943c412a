// Over-the-wire tests of the hint reader in organization mode: hints from the accounts the dispatcher listed, in scope, are read through AssumeRole.
import type { SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHintHandler } from '../../lambda/handlers/hints';
import { DOCUMENTED_BEHAVIOUR } from '../../sandbox/ssm-behaviour';
import { execution, idOf } from '../helpers/harness';
import {
  contextOf,
  HOME,
  HOME_REGION,
  type OrganizationRig,
  startOrganization,
} from '../helpers/organization';

const DEV = '111111111111';
const LATE = '333333333333';
const ORGANIZATION = JSON.stringify({ regions: ['eu-west-1'] });

/** SSM's own execution event, as the forwarder rule puts it on the queue. */
function hint(account: string, region: string, executionId: string): string {
  return JSON.stringify({
    version: '0',
    id: `${account}-${region}-${executionId}`,
    'detail-type': 'EC2 Automation Execution Status-change Notification',
    source: 'aws.ssm',
    account,
    time: '2026-11-25T12:00:00Z',
    region,
    resources: [`arn:aws:ssm:${region}:${account}:automation-execution/${executionId}`],
    detail: { ExecutionId: executionId, Definition: 'Doc', DefinitionVersion: 1, Status: 'InProgress' },
  });
}

function batchOf(bodies: readonly string[]): SQSEvent {
  return {
    Records: bodies.map((body, n) => ({ messageId: `m${n}`, body, eventSource: 'aws:sqs', attributes: {} })),
  } as unknown as SQSEvent;
}

/** The hint reader in organization mode, on the rig's table, STS and bus. */
function hintReaderOf(rig: OrganizationRig) {
  return createHintHandler({
    env: {
      TABLE_NAME: rig.tableName,
      EVENT_BUS_NAME: 'step-watch',
      AWS_REGION: HOME_REGION,
      ORGANIZATION,
      MEMBER_ROLE_NAME: 'ssm-step-watch-reader',
    },
    clients: { dynamodb: rig.dynamodb, sts: rig.sts, eventBridge: rig.eventBridge },
  });
}

describe('Function: createHintHandler (organization)', () => {
  let rig: OrganizationRig;

  beforeEach(async () => {
    rig = await startOrganization({ behaviour: DOCUMENTED_BEHAVIOUR });
    rig.organization.addAccount({ id: DEV });
  });

  afterEach(async () => {
    await rig.stop();
  });

  it('reads hints from listed accounts in scope, and drops the others', async () => {
    // Prepare: the dispatcher lists the Organization before LATE joins; executions in three places.
    await rig.dispatcher({ ORGANIZATION })({}, contextOf('dispatcher'));
    rig.organization.addAccount({ id: LATE });
    rig.sandbox.addExecution(DEV, 'eu-west-1', execution(1, [[0, 'InProgress']], []));
    rig.sandbox.addExecution(DEV, 'ap-south-1', execution(2, [[0, 'InProgress']], []));
    rig.sandbox.addExecution(LATE, 'eu-west-1', execution(3, [[0, 'InProgress']], []));
    const handle = hintReaderOf(rig);

    // Act
    const response = await handle(
      batchOf([
        hint(DEV, 'eu-west-1', idOf('e', 1)),
        hint(DEV, 'ap-south-1', idOf('e', 2)),
        hint(LATE, 'eu-west-1', idOf('e', 3)),
      ]),
      contextOf('hints'),
    );

    // Assess: only the listed account, in a scope region, was read — through its member role.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(
      rig.recorder.events().map((event) => {
        const detail = event.detail as { account: string; region: string; executionId: string };
        return `${detail.account}#${detail.region}#${detail.executionId}`;
      }),
    ).toEqual([`${DEV}#eu-west-1#${idOf('e', 1)}`]);
    expect(rig.sandbox.callCounts()['sts:AssumeRole']).toBe(1);
  });

  it('drops hints from the management account when it runs in a delegated administrator account', async () => {
    // Prepare: the dispatcher and the hint reader run in DEV; the management account is HOME.
    const delegated = (name: string) => ({
      ...contextOf(name),
      invokedFunctionArn: `arn:aws:lambda:${HOME_REGION}:${DEV}:function:${name}`,
    });
    await rig.dispatcher({ ORGANIZATION })({}, delegated('dispatcher'));
    rig.sandbox.addExecution(HOME, 'eu-west-1', execution(4, [[0, 'InProgress']], []));
    const handle = hintReaderOf(rig);

    // Act
    const response = await handle(batchOf([hint(HOME, 'eu-west-1', idOf('e', 4))]), delegated('hints'));

    // Assess: no role was assumed in the management account and nothing was read there.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(rig.recorder.events()).toEqual([]);
    expect(rig.sandbox.callCounts()['sts:AssumeRole']).toBeUndefined();
  });
});
