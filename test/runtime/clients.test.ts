// ClientCache: one set of home clients and one SSM client per shard for the life of a function.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { describe, expect, it, vi } from 'vitest';
import { ClientCache } from '../../lambda/runtime/clients';

const DEV = {
  account: '111111111111',
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::111111111111:role/reader',
};
const config: SSMClientConfig = { region: 'eu-west-1' };

describe('Class: ClientCache', () => {
  it('hands out the same home clients and the same SSM client of a shard every time', () => {
    const build = vi.fn((c: SSMClientConfig) => new SSMClient(c));
    const cache = new ClientCache({ ssmFor: build });

    const first = cache.for(DEV);
    const second = cache.for({ ...DEV });

    expect(second.dynamodb).toBe(first.dynamodb);
    expect(second.eventBridge).toBe(first.eventBridge);
    expect(second.sts).toBe(first.sts);
    expect(second.ssmFor?.(config)).toBe(first.ssmFor?.(config));
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('builds one SSM client per account, region and role', () => {
    const build = vi.fn((c: SSMClientConfig) => new SSMClient(c));
    const cache = new ClientCache({ ssmFor: build });

    const clients = [
      DEV,
      { ...DEV, region: 'us-east-1' },
      { account: DEV.account, region: DEV.region },
      { ...DEV, account: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/reader' },
    ].map((target) => cache.for(target).ssmFor?.(config));

    expect(new Set(clients).size).toBe(4);
    expect(build).toHaveBeenCalledTimes(4);
  });

  it('uses the clients it is given as they are', () => {
    const ssm = new SSMClient({});
    const dynamodb = new DynamoDBClient({});
    const cache = new ClientCache({ ssm, dynamodb });

    const clients = cache.for(DEV);

    expect(clients.ssm).toBe(ssm);
    expect(clients.dynamodb).toBe(dynamodb);
    expect(clients.ssmFor).toBeUndefined();
  });
});
