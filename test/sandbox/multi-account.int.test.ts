// Over-the-wire tests of the multi-account sandbox with real SDK clients: SSM per (account, region), STS, Organizations.
import {
  ListAccountsCommand,
  OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { DescribeAutomationExecutionsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MultiAccountSandbox } from '../../sandbox/multi-account';
import { OrganizationModel } from '../../sandbox/organization';
import { DOCUMENTED_BEHAVIOUR } from '../../sandbox/ssm-behaviour';
import { execution, idOf, T0 } from '../helpers/harness';

const MANAGEMENT = '999999999999';
const MEMBER = '111111111111';
const READER = `arn:aws:iam::${MEMBER}:role/ssm-step-watch-reader`;

describe('Class: MultiAccountSandbox', () => {
  let sandbox: MultiAccountSandbox;
  let organization: OrganizationModel;
  const clients: { destroy(): void }[] = [];

  beforeEach(async () => {
    organization = new OrganizationModel({ managementAccount: MANAGEMENT, pageSize: 2 });
    organization.addAccount({ id: MEMBER });
    sandbox = new MultiAccountSandbox({
      organization,
      startEpochMs: T0,
      clock: () => T0 + 60_000,
      behaviour: DOCUMENTED_BEHAVIOUR,
      throttleTps: 1,
    });
    await sandbox.start();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await sandbox.stop();
  });

  function ssm(account: string, region: string): SSMClient {
    const client = new SSMClient({
      region,
      endpoint: sandbox.endpoint,
      credentials: MultiAccountSandbox.credentialsOf(account),
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  }

  const listed = async (client: SSMClient): Promise<string[]> =>
    (
      (await client.send(new DescribeAutomationExecutionsCommand({}))).AutomationExecutionMetadataList ?? []
    ).map((e) => e.AutomationExecutionId ?? '');

  it('serves each (account, region) its own executions', async () => {
    // Prepare
    sandbox.addExecution(MEMBER, 'eu-west-1', execution(1, [[0, 'InProgress']], []));
    sandbox.addExecution(MEMBER, 'us-east-1', execution(2, [[0, 'InProgress']], []));
    sandbox.addExecution(MANAGEMENT, 'eu-west-1', execution(3, [[0, 'InProgress']], []));

    // Act
    const memberEu = await listed(ssm(MEMBER, 'eu-west-1'));
    const memberUs = await listed(ssm(MEMBER, 'us-east-1'));
    const managementEu = await listed(ssm(MANAGEMENT, 'eu-west-1'));
    const managementUs = await listed(ssm(MANAGEMENT, 'us-east-1'));

    // Assess
    expect([memberEu, memberUs, managementEu, managementUs]).toEqual([
      [idOf('e', 1)],
      [idOf('e', 2)],
      [idOf('e', 3)],
      [],
    ]);
    expect(sandbox.shards()).toEqual([
      `${MEMBER}#eu-west-1`,
      `${MEMBER}#us-east-1`,
      `${MANAGEMENT}#eu-west-1`,
      `${MANAGEMENT}#us-east-1`,
    ]);
  });

  it('throttles each (account, region) on its own quota', async () => {
    // Prepare: one token a second per shard; the first call takes it.
    const memberEu = ssm(MEMBER, 'eu-west-1');
    await listed(memberEu);

    // Act
    const again = await listed(memberEu).catch((error: unknown) => error);
    const otherRegion = await listed(ssm(MEMBER, 'us-east-1'));

    // Assess
    expect(again).toMatchObject({ name: 'ThrottlingException' });
    expect(otherRegion).toEqual([]);
  });

  it('hands out credentials naming the role account, which then read that account', async () => {
    // Prepare
    sandbox.addExecution(MEMBER, 'eu-west-1', execution(4, [[0, 'InProgress']], []));
    const sts = new STSClient({
      region: 'eu-west-1',
      endpoint: sandbox.endpoint,
      credentials: MultiAccountSandbox.credentialsOf(MANAGEMENT),
    });
    clients.push(sts);

    // Act
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: READER, RoleSessionName: 'poller' }));
    const credentials = assumed.Credentials;
    const member = new SSMClient({
      region: 'eu-west-1',
      endpoint: sandbox.endpoint,
      credentials: {
        accessKeyId: credentials?.AccessKeyId ?? '',
        secretAccessKey: credentials?.SecretAccessKey ?? '',
        sessionToken: credentials?.SessionToken ?? '',
      },
    });
    clients.push(member);

    // Assess
    expect(credentials?.AccessKeyId).toMatch(new RegExp(`^ASIA${MEMBER}[A-Z0-9]{4}$`));
    expect(credentials?.Expiration).toBeInstanceOf(Date);
    expect(assumed.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${MEMBER}:assumed-role/ssm-step-watch-reader/poller`,
    );
    expect(await listed(member)).toEqual([idOf('e', 4)]);
    expect(sandbox.callCounts()).toEqual({ 'sts:AssumeRole': 1 });
  });

  it('denies AssumeRole into an account that left, is suspended, or lacks the role', async () => {
    // Prepare
    organization.addAccount({ id: '222222222222', state: 'SUSPENDED' });
    organization.addAccount({ id: '333333333333' });
    organization.removeAccount('333333333333');
    const sts = new STSClient({ region: 'eu-west-1', endpoint: sandbox.endpoint, maxAttempts: 1 });
    clients.push(sts);
    const assume = (RoleArn: string) =>
      sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'poller' }));

    // Act, Assess
    for (const arn of [
      'arn:aws:iam::222222222222:role/ssm-step-watch-reader',
      'arn:aws:iam::333333333333:role/ssm-step-watch-reader',
      `arn:aws:iam::${MEMBER}:role/Admin`,
    ]) {
      await expect(assume(arn)).rejects.toMatchObject({
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
    }
  });

  it('lists the Organization page by page, with accounts joining and leaving while it runs', async () => {
    // Prepare
    const org = new OrganizationsClient({
      region: 'us-east-1',
      endpoint: sandbox.endpoint,
      credentials: MultiAccountSandbox.credentialsOf(MANAGEMENT),
    });
    clients.push(org);
    const all = async (): Promise<string[]> => {
      const found: string[] = [];
      for await (const page of paginateListAccounts({ client: org }, {})) {
        found.push(...(page.Accounts ?? []).map((a) => a.Id ?? ''));
      }
      return found;
    };
    const before = await all();

    // Act
    organization.addAccount({ id: '222222222222' });
    organization.addAccount({ id: '333333333333' });
    organization.removeAccount(MEMBER);
    const after = await all();

    // Assess
    expect(before).toEqual([MANAGEMENT, MEMBER]);
    expect(after).toEqual([MANAGEMENT, '222222222222', '333333333333']);
    expect(sandbox.callCounts()).toEqual({ 'organizations:ListAccounts': 3 });
  });

  it('refuses Organizations calls from a member account', async () => {
    const org = new OrganizationsClient({
      region: 'us-east-1',
      endpoint: sandbox.endpoint,
      credentials: MultiAccountSandbox.credentialsOf(MEMBER),
      maxAttempts: 1,
    });
    clients.push(org);

    await expect(org.send(new ListAccountsCommand({}))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});
