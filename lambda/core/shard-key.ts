// The shard key `account#region`: how one poller state, outbox and hint inbox are keyed, built and read in one place.

/** The (account, region) part of a shard that its key names; a role to assume is not part of it. */
export interface ShardIdentity {
  readonly account: string;
  readonly region: string;
}

/**
 * The shard key of an (account, region): one poller state and outbox per key.
 *
 * @example
 * shardKey({ account: '123456789012', region: 'eu-west-1' }); // '123456789012#eu-west-1'
 */
export function shardKey(shard: ShardIdentity): string {
  return `${shard.account}#${shard.region}`;
}

/**
 * The (account, region) a shard key names; null when the key is not `account#region` with both parts
 * present.
 *
 * @example
 * parseShardKey('123456789012#eu-west-1'); // { account: '123456789012', region: 'eu-west-1' }
 */
export function parseShardKey(key: string): ShardIdentity | null {
  const parts = key.split('#');
  if (parts.length !== 2) return null;
  const [account = '', region = ''] = parts;
  return account !== '' && region !== '' ? { account, region } : null;
}
