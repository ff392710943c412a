// Tests of the fan-out's work items: their body, which ones are stale or foreign, and the shards' staleness report.
import { describe, expect, it } from 'vitest';
import {
  isStaleWorkItem,
  parseWorkItem,
  roleProblem,
  stalenessReport,
  unconfiguredShardProblem,
  type WorkItem,
  workItemBody,
} from '../../lambda/core/work-items';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const MEMBER = '111111111111';
const item: WorkItem = {
  shard: { account: MEMBER, region: 'eu-west-1', roleArn: `arn:aws:iam::${MEMBER}:role/reader` },
  dispatchedAt: NOW,
};

describe('Function: parseWorkItem', () => {
  it('reads back the body the dispatcher writes', () => {
    expect(parseWorkItem(workItemBody(item))).toEqual(item);
    expect(workItemBody(item)).toBe(
      `{"shard":{"account":"${MEMBER}","region":"eu-west-1","roleArn":"arn:aws:iam::${MEMBER}:role/reader"},"dispatchedAt":${NOW}}`,
    );
  });

  it('reads an item of the home account, without a role', () => {
    expect(parseWorkItem(`{"shard":{"account":"${MEMBER}","region":"us-east-1"},"dispatchedAt":1}`)).toEqual({
      shard: { account: MEMBER, region: 'us-east-1' },
      dispatchedAt: 1,
    });
  });

  it.each([
    ['not JSON', 'shard'],
    ['an array', '[]'],
    ['no shard', '{"dispatchedAt":1}'],
    ['a short account', '{"shard":{"account":"1","region":"eu-west-1"},"dispatchedAt":1}'],
    ['a bad region', `{"shard":{"account":"${MEMBER}","region":"EU"},"dispatchedAt":1}`],
    [
      'a numeric roleArn',
      `{"shard":{"account":"${MEMBER}","region":"eu-west-1","roleArn":1},"dispatchedAt":1}`,
    ],
    ['no dispatchedAt', `{"shard":{"account":"${MEMBER}","region":"eu-west-1"}}`],
  ])('returns null for %s', (_, body) => {
    expect(parseWorkItem(body)).toBeNull();
  });
});

describe('Function: isStaleWorkItem', () => {
  it('drops an item older than two periods only', () => {
    expect(isStaleWorkItem(item, NOW + 120_000, 60)).toBe(false);
    expect(isStaleWorkItem(item, NOW + 120_001, 60)).toBe(true);
  });
});

describe('Function: roleProblem', () => {
  it("accepts the member role of the shard account, and any role of the shard's account without a member role name", () => {
    expect(roleProblem(item.shard, 'reader')).toBeNull();
    expect(roleProblem(item.shard, undefined)).toBeNull();
    expect(roleProblem({ account: MEMBER, region: 'eu-west-1' }, 'reader')).toBeNull();
    expect(roleProblem({ account: MEMBER, region: 'eu-west-1' }, 'reader', MEMBER)).toBeNull();
  });

  it("refuses a shard of another account without a role: the poller's own account is never read as another's", () => {
    expect(roleProblem({ account: MEMBER, region: 'eu-west-1' }, 'reader', '999999999999')).toBe(
      `no roleArn for account ${MEMBER}, which is not this account (999999999999)`,
    );
    expect(roleProblem({ account: MEMBER, region: 'eu-west-1' }, undefined, '999999999999')).toBe(
      `no roleArn for account ${MEMBER}, which is not this account (999999999999)`,
    );
  });

  it('names what is wrong with a foreign role', () => {
    const shard = (roleArn: string) => ({ account: MEMBER, region: 'eu-west-1', roleArn });

    expect(roleProblem(shard('arn:aws:iam::222222222222:role/reader'), 'reader')).toBe(
      `roleArn is in account 222222222222, not the shard's ${MEMBER}`,
    );
    expect(roleProblem(shard(`arn:aws:iam::${MEMBER}:role/Admin`), 'reader')).toBe(
      'roleArn names role Admin, not reader',
    );
    expect(roleProblem(shard('reader'), 'reader')).toBe('roleArn is not an IAM role ARN');
    // Without a member role name (static shards), the role must still be in the shard's account.
    expect(roleProblem(shard('arn:aws:iam::222222222222:role/Admin'), undefined)).toBe(
      `roleArn is in account 222222222222, not the shard's ${MEMBER}`,
    );
    expect(roleProblem(shard(`arn:aws:iam::${MEMBER}:role/AnyReader`), undefined)).toBeNull();
  });
});

describe('Function: stalenessReport', () => {
  it('ranks the shards stalest first and counts those older than two periods', () => {
    // Prepare
    const states = new Map<string, string | null>([
      ['111111111111#eu-west-1', new Date(NOW - 30_000).toISOString()],
      ['222222222222#eu-west-1', new Date(NOW - 300_000).toISOString()],
      ['333333333333#eu-west-1', new Date(NOW - 121_000).toISOString()],
      ['444444444444#eu-west-1', null],
    ]);

    // Act
    const report = stalenessReport(states, NOW, 60, 3);

    // Assess
    expect(report).toEqual({
      maxSeconds: 300,
      staleShards: 3,
      worst: [
        { shard: '444444444444#eu-west-1', stalenessSeconds: -1 },
        { shard: '222222222222#eu-west-1', stalenessSeconds: 300 },
        { shard: '333333333333#eu-west-1', stalenessSeconds: 121 },
      ],
    });
  });

  it('reports nothing stale without shards', () => {
    expect(stalenessReport(new Map(), NOW, 60)).toEqual({ maxSeconds: 0, staleShards: 0, worst: [] });
  });
});

describe('Function: unconfiguredShardProblem', () => {
  const reader = (account: string) => `arn:aws:iam::${account}:role/ssm-step-watch-reader`;
  const listed = {
    shards: [
      { account: '111111111111', region: 'eu-west-1', roleArn: reader('111111111111') },
      { account: '999999999999', region: 'us-east-1' },
    ],
  };

  it('accepts a listed shard with its listed role, or with none when none is listed', () => {
    expect(
      unconfiguredShardProblem(
        { account: '111111111111', region: 'eu-west-1', roleArn: reader('111111111111') },
        listed,
      ),
    ).toBeNull();
    expect(unconfiguredShardProblem({ account: '999999999999', region: 'us-east-1' }, listed)).toBeNull();
  });

  it('refuses an account or region that is not listed, and a role other than the listed one', () => {
    expect(unconfiguredShardProblem({ account: '111111111111', region: 'us-east-1' }, listed)).toBe(
      'account 111111111111 in us-east-1 is not a configured shard',
    );
    expect(
      unconfiguredShardProblem(
        { account: '999999999999', region: 'us-east-1', roleArn: reader('999999999999') },
        listed,
      ),
    ).toBe(`roleArn ${reader('999999999999')} is not the one configured for the shard`);
    expect(unconfiguredShardProblem({ account: '111111111111', region: 'eu-west-1' }, listed)).toBe(
      'roleArn (none) is not the one configured for the shard',
    );
  });

  it("checks an organization's regions and account lists", () => {
    const organization = {
      organization: {
        regions: ['eu-west-1'],
        excludeAccounts: ['222222222222'],
        memberRoleName: 'ssm-step-watch-reader',
      },
    };
    expect(
      unconfiguredShardProblem({ account: '111111111111', region: 'eu-west-1' }, organization),
    ).toBeNull();
    expect(unconfiguredShardProblem({ account: '111111111111', region: 'us-east-1' }, organization)).toBe(
      "region us-east-1 is not one of the organization's regions",
    );
    expect(unconfiguredShardProblem({ account: '222222222222', region: 'eu-west-1' }, organization)).toBe(
      "account 222222222222 is not in the organization's scope",
    );
  });
});
