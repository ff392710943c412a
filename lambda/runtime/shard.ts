// Shard identity: the shard key, the function's ARN read once, the function's own shard and the shard an event names.
import type { Context } from 'aws-lambda';
import { ConfigError } from '../core/errors';
import type { ShardTarget } from '../core/organization';
import type { Env } from './config';

export { parseShardKey, type ShardIdentity, shardKey } from '../core/shard-key';

/** The parts of a Lambda function ARN `arn:<partition>:lambda:<region>:<account>:function:<name>`. */
export interface FunctionArn {
  /** `aws` when the ARN has none. */
  readonly partition: string;
  /** Empty when the ARN has none. */
  readonly region: string;
  /** As the ARN spells it, empty when it has none: callers check it is 12 digits. */
  readonly account: string;
}

/** The (account, region) a function runs in, and its partition. */
export interface OwnShard {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/** A shard as an invocation's event names it: each field missing means the function's own. */
export interface ShardRequest {
  readonly account?: string;
  readonly region?: string;
  readonly roleArn?: string;
}

const ACCOUNT_ID = /^\d{12}$/;

/**
 * Splits a function ARN into its partition, region and account; never throws.
 *
 * @example
 * parseFunctionArn('arn:aws:lambda:eu-west-1:123456789012:function:f').account; // '123456789012'
 */
export function parseFunctionArn(arn: string): FunctionArn {
  const [, partition, , region, account] = arn.split(':');
  return { partition: partition || 'aws', region: region ?? '', account: account ?? '' };
}

/**
 * The function's own account, region (`AWS_REGION`, else the ARN's) and partition, read from its
 * ARN `arn:<partition>:lambda:<region>:<account>:function:<name>`.
 *
 * @throws {@link ConfigError} when the account is not 12 digits or no region is known
 */
export function ownShard(context: Pick<Context, 'invokedFunctionArn'>, env: Env = process.env): OwnShard {
  const arn = parseFunctionArn(context.invokedFunctionArn);
  const region = env.AWS_REGION ?? arn.region;
  if (!ACCOUNT_ID.test(arn.account)) {
    throw new ConfigError(`The function's own account must be 12 digits, got "${arn.account}".`);
  }
  if (!region) throw new ConfigError('The function region is missing and AWS_REGION is not set.');
  return { account: arn.account, region, partition: arn.partition };
}

/**
 * The shard a poll invocation is asked to read: the event's account, region and role, each missing
 * one the function's own (the region `AWS_REGION` before the ARN's).
 *
 * @throws {@link ConfigError} when the account is not 12 digits or no region is known
 */
export function requestedShard(
  requested: ShardRequest | undefined,
  context: Pick<Context, 'invokedFunctionArn'>,
  env: Env = process.env,
): ShardTarget {
  const arn = parseFunctionArn(context.invokedFunctionArn);
  const account = requested?.account ?? arn.account;
  const region = requested?.region ?? env.AWS_REGION ?? arn.region;
  if (!ACCOUNT_ID.test(account)) {
    throw new ConfigError(`The shard account must be 12 digits, got "${account}".`);
  }
  if (!region) throw new ConfigError('The shard region is missing and AWS_REGION is not set.');
  return { account, region, ...(requested?.roleArn && { roleArn: requested.roleArn }) };
}
