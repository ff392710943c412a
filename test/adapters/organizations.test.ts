// Tests of the Organizations account source over a mocked client: paging, OU walks, states, errors.
import 'aws-sdk-client-mock-vitest/extend';
import {
  AccessDeniedException,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { OrganizationsAccountSource } from '../../lambda/adapters/organizations';
import { ServiceError } from '../../lambda/core/errors';
import type { OrganizationScope } from '../../lambda/core/organization';

const client = new OrganizationsClient({ region: 'us-east-1' });
const organizations = mockClient(client);
const WHOLE: OrganizationScope = { regions: ['eu-west-1'], memberRoleName: 'reader' };

describe('Class: OrganizationsAccountSource', () => {
  beforeEach(() => {
    organizations.reset();
  });

  it('pages through ListAccounts for the whole Organization', async () => {
    // Prepare
    organizations
      .on(ListAccountsCommand, { NextToken: undefined })
      .resolves({ Accounts: [{ Id: '111111111111', State: 'ACTIVE' }], NextToken: 'page-2' })
      .on(ListAccountsCommand, { NextToken: 'page-2' })
      .resolves({ Accounts: [{ Id: '222222222222', State: 'SUSPENDED' }] });
    const source = new OrganizationsAccountSource({ client });

    // Act
    const accounts = await source.listAccounts(WHOLE);

    // Assess
    expect(accounts).toEqual([
      { id: '111111111111', state: 'ACTIVE' },
      { id: '222222222222', state: 'SUSPENDED' },
    ]);
    expect(organizations).toHaveReceivedCommandTimes(ListAccountsCommand, 2);
    expect(source.calls.toJSON()).toEqual({ ListAccounts: 2 });
  });

  it('reads the retired Status when State is absent, and an account without either as UNKNOWN', async () => {
    organizations.on(ListAccountsCommand).resolves({
      Accounts: [
        { Id: '111111111111', Status: 'PENDING_CLOSURE' },
        { Id: '222222222222' },
        { Name: 'no id' },
      ],
    });

    const accounts = await new OrganizationsAccountSource({ client }).listAccounts(WHOLE);

    expect(accounts).toEqual([
      { id: '111111111111', state: 'PENDING_CLOSURE' },
      { id: '222222222222', state: 'UNKNOWN' },
    ]);
  });

  it('walks down every OU under the scope OUs, each account once', async () => {
    // Prepare: ou-a holds one account and ou-b; ou-b holds one account and, paged, a second.
    organizations
      .on(ListAccountsForParentCommand, { ParentId: 'ou-aaaa-aaaaaaaa' })
      .resolves({ Accounts: [{ Id: '111111111111', State: 'ACTIVE' }] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-aaaa-aaaaaaaa' })
      .resolves({ OrganizationalUnits: [{ Id: 'ou-aaaa-bbbbbbbb' }] })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-aaaa-bbbbbbbb', NextToken: undefined })
      .resolves({ Accounts: [{ Id: '222222222222', State: 'ACTIVE' }], NextToken: 't' })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-aaaa-bbbbbbbb', NextToken: 't' })
      .resolves({ Accounts: [{ Id: '333333333333', State: 'ACTIVE' }] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-aaaa-bbbbbbbb' })
      .resolves({ OrganizationalUnits: [] });
    const source = new OrganizationsAccountSource({ client });

    // Act: ou-b named on its own as well is walked once.
    const accounts = await source.listAccounts({
      ...WHOLE,
      organizationalUnits: ['ou-aaaa-aaaaaaaa', 'ou-aaaa-bbbbbbbb'],
    });

    // Assess
    expect(accounts.map((account) => account.id)).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(organizations).not.toHaveReceivedCommand(ListAccountsCommand);
    expect(source.calls.toJSON()).toEqual({ ListAccountsForParent: 3, ListOrganizationalUnitsForParent: 2 });
  });

  it('wraps a failed call in a ServiceError naming the operation', async () => {
    organizations
      .on(ListAccountsCommand)
      .rejects(new AccessDeniedException({ message: 'not the management account', $metadata: {} }));

    const listing = new OrganizationsAccountSource({ client }).listAccounts(WHOLE);

    await expect(listing).rejects.toThrow(ServiceError);
    await expect(listing).rejects.toThrow(
      'Organizations ListAccounts failed: AccessDeniedException: not the management account',
    );
  });

  it('reads the management account from DescribeOrganization', async () => {
    organizations
      .on(DescribeOrganizationCommand)
      .resolves({ Organization: { Id: 'o-example', MasterAccountId: '999999999999' } });
    const source = new OrganizationsAccountSource({ client });

    await expect(source.managementAccount()).resolves.toBe('999999999999');
    expect(source.calls.toJSON()).toEqual({ DescribeOrganization: 1 });
  });

  it('fails with a ServiceError when DescribeOrganization names no management account', async () => {
    organizations.on(DescribeOrganizationCommand).resolves({ Organization: { Id: 'o-example' } });

    await expect(new OrganizationsAccountSource({ client }).managementAccount()).rejects.toThrow(
      'Organizations DescribeOrganization returned no MasterAccountId.',
    );
  });
});
