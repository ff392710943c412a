// Tests of the Organization scope: parsing the ORGANIZATION variable, and the shards an account list makes.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MEMBER_ROLE_NAME } from '../../lambda/core/defaults';
import { ConfigError } from '../../lambda/core/errors';
import {
  accountInScope,
  type OrgAccount,
  type OrganizationScope,
  parseOrganizationScope,
  shardsOf,
} from '../../lambda/core/organization';

const HOME = '999999999999';
const scope = (extra: Partial<OrganizationScope> = {}): OrganizationScope => ({
  regions: ['us-east-1', 'eu-west-1'],
  memberRoleName: 'reader',
  ...extra,
});
const active = (id: string): OrgAccount => ({ id, state: 'ACTIVE' });

describe('Function: parseOrganizationScope', () => {
  it('fills in the default member role name', () => {
    expect(parseOrganizationScope('{"regions":["eu-west-1"]}')).toEqual({
      regions: ['eu-west-1'],
      memberRoleName: DEFAULT_MEMBER_ROLE_NAME,
    });
  });

  it('keeps every optional field and drops duplicate entries', () => {
    const parsed = parseOrganizationScope(
      JSON.stringify({
        regions: ['eu-west-1', 'eu-west-1', 'us-gov-west-1'],
        organizationalUnits: ['ou-ab12-abcdefgh', 'r-ab12'],
        accounts: ['111111111111'],
        excludeAccounts: ['222222222222'],
        memberRoleName: 'my.reader@x',
        callAs: 'DELEGATED_ADMIN',
      }),
    );

    expect(parsed).toEqual({
      regions: ['eu-west-1', 'us-gov-west-1'],
      organizationalUnits: ['ou-ab12-abcdefgh', 'r-ab12'],
      accounts: ['111111111111'],
      excludeAccounts: ['222222222222'],
      memberRoleName: 'my.reader@x',
    });
  });

  it('names every problem in one ConfigError', () => {
    // Prepare
    const json = JSON.stringify({
      regions: ['EU-WEST-1'],
      organizationalUnits: ['ou-x'],
      accounts: ['12345'],
      excludeAccounts: 'all',
      memberRoleName: 'has space',
      region: 'typo',
    });

    // Act
    const parse = () => parseOrganizationScope(json);

    // Assess
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(
      'Invalid configuration: ORGANIZATION.region is not a known key; ORGANIZATION.regions must hold ' +
        'region names, got "EU-WEST-1"; ORGANIZATION.organizationalUnits must hold OU or root ids, got "ou-x"; ' +
        'ORGANIZATION.accounts must hold 12-digit account ids, got "12345"; ORGANIZATION.excludeAccounts must ' +
        'be an array of 12-digit account ids; ORGANIZATION.memberRoleName must be 1-64 letters, digits or ' +
        '+=,.@_-, got "has space".',
    );
  });

  it('requires a non-empty regions list', () => {
    expect(() => parseOrganizationScope('{}')).toThrow('ORGANIZATION.regions is required');
    expect(() => parseOrganizationScope('{"regions":[]}')).toThrow(
      'ORGANIZATION.regions must be a non-empty array of region names',
    );
  });

  it('refuses what is not a JSON object', () => {
    expect(() => parseOrganizationScope('not json')).toThrow('ORGANIZATION must be a JSON object');
    expect(() => parseOrganizationScope('["eu-west-1"]')).toThrow('ORGANIZATION must be a JSON object');
  });
});

describe('Function: accountInScope', () => {
  it('honours the account list and the exclusions, exclusions first', () => {
    const limited = scope({ accounts: ['111111111111', '222222222222'], excludeAccounts: ['222222222222'] });

    expect(accountInScope('111111111111', limited)).toBe(true);
    expect(accountInScope('222222222222', limited)).toBe(false);
    expect(accountInScope('333333333333', limited)).toBe(false);
    expect(accountInScope('333333333333', scope())).toBe(true);
  });
});

describe('Function: shardsOf', () => {
  it('makes one shard per active account and region, sorted, the home account without a role', () => {
    const shards = shardsOf([active('222222222222'), active(HOME)], scope(), {
      homeAccount: HOME,
      partition: 'aws',
    });

    expect(shards).toEqual([
      {
        account: '222222222222',
        region: 'eu-west-1',
        roleArn: 'arn:aws:iam::222222222222:role/reader',
      },
      {
        account: '222222222222',
        region: 'us-east-1',
        roleArn: 'arn:aws:iam::222222222222:role/reader',
      },
      { account: HOME, region: 'eu-west-1' },
      { account: HOME, region: 'us-east-1' },
    ]);
  });

  it('leaves out accounts that are not ACTIVE, out of scope, or listed twice', () => {
    const accounts: OrgAccount[] = [
      active('111111111111'),
      active('111111111111'),
      { id: '222222222222', state: 'SUSPENDED' },
      { id: '333333333333', state: 'PENDING_CLOSURE' },
      { id: '444444444444', state: 'CLOSED' },
      active('555555555555'),
      active('666666666666'),
    ];

    const shards = shardsOf(accounts, scope({ regions: ['eu-west-1'], excludeAccounts: ['555555555555'] }), {
      homeAccount: HOME,
      partition: 'aws-cn',
    });

    expect(shards).toEqual([
      { account: '111111111111', region: 'eu-west-1', roleArn: 'arn:aws-cn:iam::111111111111:role/reader' },
      { account: '666666666666', region: 'eu-west-1', roleArn: 'arn:aws-cn:iam::666666666666:role/reader' },
    ]);
  });

  it('makes no shard from an empty Organization', () => {
    expect(shardsOf([], scope(), { homeAccount: HOME, partition: 'aws' })).toEqual([]);
  });
});
