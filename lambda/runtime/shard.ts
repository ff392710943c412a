// The function's own shard: its account, region and partition, from its ARN and AWS_REGION.
import type { Context } from 'aws-lambda';
import { ConfigError } from '../core/errors';

/** The (account, region) a function runs in, and its partition. */
export interface OwnShard {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/**
 * The function's own account, region (`AWS_REGION`, else the ARN's) and partition, read from its
 * ARN `arn:<partition>:lambda:<region>:<account>:function:<name>`.
 *
 * @throws {@link ConfigError} when the account is not 12 digits or no region is known
 */
export function ownShard(context: Pick<Context, 'invokedFunctionArn'>, env: NodeJS.ProcessEnv): OwnShard {
  const [, partition = 'aws', , arnRegion, account] = context.invokedFunctionArn.split(':');
  const region = env.AWS_REGION ?? arnRegion;
  if (!account || !/^\d{12}$/.test(account)) {
    throw new ConfigError(`The function's own account must be 12 digits, got "${account ?? ''}".`);
  }
  if (!region) throw new ConfigError('The function region is missing and AWS_REGION is not set.');
  return { account, region, partition: partition || 'aws' };
}
