// ownShard: the function's own account, region and partition, from its ARN and AWS_REGION.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import { ownShard } from '../../lambda/runtime/shard';

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
