// Tests of the sandbox's Organizations model: the List calls' shapes, paging, OUs, joins, leaves and who may list.
import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandbox/errors';
import { WireError } from '../../sandbox/http';
import { OrganizationModel } from '../../sandbox/organization';

const MANAGEMENT = '999999999999';
const T = Date.parse('2026-11-25T12:00:00.000Z');

function organization(pageSize = 20): OrganizationModel {
  return new OrganizationModel({ managementAccount: MANAGEMENT, pageSize, clock: () => T });
}

function ids(page: Record<string, unknown>, member = 'Accounts'): string[] {
  return (page[member] as { Id: string }[]).map((item) => item.Id);
}

describe('Class: OrganizationModel', () => {
  it('lists accounts in the shape of the Organizations model', () => {
    const org = organization();
    org.addAccount({ id: '111111111111', name: 'dev' });

    const page = org.serve('ListAccounts', {}, MANAGEMENT);

    expect(page).toEqual({
      Accounts: [
        {
          Id: MANAGEMENT,
          Arn: `arn:aws:organizations::${MANAGEMENT}:account/o-sandbox001/${MANAGEMENT}`,
          Email: `${MANAGEMENT}@example.com`,
          Name: 'management',
          Status: 'ACTIVE',
          State: 'ACTIVE',
          JoinedMethod: 'CREATED',
          JoinedTimestamp: T / 1000,
        },
        {
          Id: '111111111111',
          Arn: `arn:aws:organizations::${MANAGEMENT}:account/o-sandbox001/111111111111`,
          Email: '111111111111@example.com',
          Name: 'dev',
          Status: 'ACTIVE',
          State: 'ACTIVE',
          JoinedMethod: 'INVITED',
          JoinedTimestamp: T / 1000,
        },
      ],
    });
  });

  it('pages with tokens bound to their listing', () => {
    // Prepare
    const org = organization(2);
    for (const n of [1, 2, 3]) org.addAccount({ id: String(n).repeat(12) });

    // Act
    const first = org.serve('ListAccounts', {}, MANAGEMENT);
    const second = org.serve('ListAccounts', { NextToken: first.NextToken }, MANAGEMENT);

    // Assess
    expect(ids(first)).toEqual([MANAGEMENT, '111111111111']);
    expect(ids(second)).toEqual(['222222222222', '333333333333']);
    expect(second.NextToken).toBeUndefined();
    expect(() => org.serve('ListRoots', { NextToken: first.NextToken }, MANAGEMENT)).toThrow(
      'The NextToken is not valid.',
    );
    expect(() => org.serve('ListAccounts', { MaxResults: 21 }, MANAGEMENT)).toThrow(
      'MaxResults must be an integer between 1 and 20.',
    );
  });

  it('lists the accounts and OUs of a parent, and refuses an unknown parent', () => {
    // Prepare
    const org = organization();
    org.addOrganizationalUnit({ id: 'ou-sbx1-aaaaaaaa', name: 'Workloads' });
    org.addOrganizationalUnit({ id: 'ou-sbx1-bbbbbbbb', parentId: 'ou-sbx1-aaaaaaaa' });
    org.addAccount({ id: '111111111111', parentId: 'ou-sbx1-aaaaaaaa' });
    org.addAccount({ id: '222222222222', parentId: 'ou-sbx1-bbbbbbbb' });

    // Act
    const inWorkloads = org.serve('ListAccountsForParent', { ParentId: 'ou-sbx1-aaaaaaaa' }, MANAGEMENT);
    const underWorkloads = org.serve(
      'ListOrganizationalUnitsForParent',
      { ParentId: 'ou-sbx1-aaaaaaaa' },
      MANAGEMENT,
    );
    const inRoot = org.serve('ListAccountsForParent', { ParentId: 'r-sbx1' }, MANAGEMENT);

    // Assess
    expect(ids(inWorkloads)).toEqual(['111111111111']);
    expect(ids(underWorkloads, 'OrganizationalUnits')).toEqual(['ou-sbx1-bbbbbbbb']);
    expect(ids(inRoot)).toEqual([MANAGEMENT]);
    expect(ids(org.serve('ListRoots', {}, MANAGEMENT), 'Roots')).toEqual(['r-sbx1']);
    expect(() => org.serve('ListAccountsForParent', { ParentId: 'ou-sbx1-cccccccc' }, MANAGEMENT)).toThrow(
      expect.objectContaining({ type: 'ParentNotFoundException' }),
    );
  });

  it('shows joins, leaves and state changes on the next call', () => {
    const org = organization();
    org.addAccount({ id: '111111111111' });
    org.addAccount({ id: '222222222222' });

    org.removeAccount('111111111111');
    org.setAccountState('222222222222', 'CLOSED');
    org.addAccount({ id: '333333333333' });

    const accounts = org.serve('ListAccounts', {}, MANAGEMENT).Accounts as Record<string, unknown>[];
    expect(accounts.map((a) => [a.Id, a.State, a.Status])).toEqual([
      [MANAGEMENT, 'ACTIVE', 'ACTIVE'],
      ['222222222222', 'CLOSED', undefined],
      ['333333333333', 'ACTIVE', 'ACTIVE'],
    ]);
  });

  it('answers only the management account and delegated administrators', () => {
    const org = new OrganizationModel({
      managementAccount: MANAGEMENT,
      delegatedAdministrators: ['888888888888'],
    });
    org.addAccount({ id: '111111111111' });

    expect(ids(org.serve('ListAccounts', {}, '888888888888'))).toEqual([MANAGEMENT, '111111111111']);
    expect(() => org.serve('ListAccounts', {}, '111111111111')).toThrow(
      expect.objectContaining({ type: 'AccessDeniedException' }),
    );
    expect(() => org.serve('CreateAccount', {}, MANAGEMENT)).toThrow(WireError);
  });

  it('describes the Organization to any active member, naming its management account', () => {
    const org = organization();
    org.addAccount({ id: '111111111111' });
    org.addAccount({ id: '222222222222', state: 'SUSPENDED' });

    expect(org.serve('DescribeOrganization', {}, '111111111111')).toMatchObject({
      Organization: { Id: 'o-sandbox001', FeatureSet: 'ALL', MasterAccountId: MANAGEMENT },
    });
    expect(() => org.serve('DescribeOrganization', {}, '222222222222')).toThrow(
      expect.objectContaining({ type: 'AWSOrganizationsNotInUseException' }),
    );
    expect(() => org.serve('DescribeOrganization', {}, '333333333333')).toThrow(
      expect.objectContaining({ type: 'AWSOrganizationsNotInUseException' }),
    );
  });

  it('refuses bad ids and unknown accounts with a SandboxError', () => {
    const org = organization();

    expect(() => org.addAccount({ id: '12' })).toThrow(SandboxError);
    expect(() => org.addAccount({ id: '111111111111', parentId: 'ou-sbx1-zzzzzzzz' })).toThrow(
      'No root or OU ou-sbx1-zzzzzzzz.',
    );
    expect(() => org.removeAccount(MANAGEMENT)).toThrow('The management account cannot leave.');
    expect(() => org.setAccountState('111111111111', 'SUSPENDED')).toThrow('no account 111111111111');
  });
});
