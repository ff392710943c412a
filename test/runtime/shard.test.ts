// Shard identity: the shard key, the function's ARN, its own shard and the shard an event asks for.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import {
  ownShard,
  parseFunctionArn,
  parseShardKey,
  requestedShard,
  shardKey,
} from '../../lambda/runtime/shard';

const arn = (partition: string, region: string, account: string) => ({
  invokedFunctionArn: `arn:${partition}:lambda:${region}:${account}:function:step-watch`,
});

describe('Function: ownShard', () => {
  it('reads the account and partition from the ARN, the region from AWS_REGION first', () => {
    expect(ownShard(arn('aws-us-gov', 'us-gov-west-1', '123456789012'), {})).toEqual({
      account: '123456789012',
      region: 'us-gov-west-1',
      partition: 'aws-us-gov',
    });
    expect(ownShard(arn('aws', 'eu-west-1', '123456789012'), { AWS_REGION: 'eu-central-1' }).region).toBe(
      'eu-central-1',
    );
  });

  it('throws one ConfigError for an account that is not 12 digits, or no region', () => {
    expect(() => ownShard(arn('aws', 'eu-west-1', '1234'), {})).toThrowError(
      new ConfigError(`The function's own account must be 12 digits, got "1234".`),
    );
    expect(() => ownShard(arn('aws', '', '123456789012'), {})).toThrowError(
      new ConfigError('The function region is missing and AWS_REGION is not set.'),
    );
  });
});

describe('Function: shardKey', () => {
  it('keys a shard by account and region, and reads the key back', () => {
    const key = shardKey({ account: '123456789012', region: 'eu-west-1' });

    expect(key).toBe('123456789012#eu-west-1');
    expect(parseShardKey(key)).toEqual({ account: '123456789012', region: 'eu-west-1' });
  });

  it('reads no shard from a key without both parts', () => {
    expect(['', '123456789012', '#eu-west-1', '123456789012#', 'a#b#c'].map(parseShardKey)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});

describe('Function: parseFunctionArn', () => {
  it('splits an ARN into partition, region and account', () => {
    expect(parseFunctionArn('arn:aws-cn:lambda:cn-north-1:123456789012:function:f')).toEqual({
      partition: 'aws-cn',
      region: 'cn-north-1',
      account: '123456789012',
    });
  });

  it('defaults the partition to aws and leaves missing parts empty', () => {
    expect(parseFunctionArn('not-an-arn')).toEqual({ partition: 'aws', region: '', account: '' });
  });
});

describe('Function: requestedShard', () => {
  const context = arn('aws', 'eu-west-1', '123456789012');

  it('fills what the event leaves out with the function own account and region', () => {
    expect(requestedShard(undefined, context, { AWS_REGION: 'eu-central-1' })).toEqual({
      account: '123456789012',
      region: 'eu-central-1',
    });
    expect(
      requestedShard(
        { account: '210987654321', region: 'us-east-1', roleArn: 'arn:aws:iam::210987654321:role/r' },
        context,
        {},
      ),
    ).toEqual({ account: '210987654321', region: 'us-east-1', roleArn: 'arn:aws:iam::210987654321:role/r' });
  });

  it('throws one ConfigError for a shard account that is not 12 digits, or no region', () => {
    expect(() => requestedShard({ account: '12345' }, context, {})).toThrowError(
      new ConfigError('The shard account must be 12 digits, got "12345".'),
    );
    expect(() => requestedShard(undefined, arn('aws', '', '123456789012'), {})).toThrowError(
      new ConfigError('The shard region is missing and AWS_REGION is not set.'),
    );
  });
});
