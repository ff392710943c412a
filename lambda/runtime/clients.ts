// SDK clients kept for the life of a Lambda container: the home services once, one SSM client per shard.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { ShardTarget } from '../core/organization';
import { shardKey } from '../core/shard-key';
import type { PollerClients } from './poller';

/**
 * Builds each client once and hands the same ones to every invocation of a warm function, so
 * connections are reused and a member role is assumed once per credentials' life (the SDK
 * refreshes them when they expire), not once per cycle. Clients given to it are used as they are.
 *
 * @example
 * const cache = new ClientCache(options.clients);
 * const poller = createPoller(config, target, { clients: cache.for(target) });
 */
export class ClientCache {
  readonly #given: PollerClients;
  readonly #ssm = new Map<string, SSMClient>();
  #home: Required<Pick<PollerClients, 'dynamodb' | 'eventBridge' | 'sts'>> | undefined;

  constructor(given: PollerClients = {}) {
    this.#given = given;
  }

  /** The clients of one shard: the shared home clients, and this shard's own SSM client. */
  for(target: ShardTarget): PollerClients {
    this.#home ??= {
      dynamodb: this.#given.dynamodb ?? new DynamoDBClient({}),
      eventBridge: this.#given.eventBridge ?? new EventBridgeClient({}),
      sts: this.#given.sts ?? new STSClient({}),
    };
    if (this.#given.ssm) return { ...this.#home, ssm: this.#given.ssm };
    const key = `${shardKey(target)}#${target.roleArn ?? ''}`;
    const build = this.#given.ssmFor ?? ((config: SSMClientConfig) => new SSMClient(config));
    return {
      ...this.#home,
      ssmFor: (config) => {
        let client = this.#ssm.get(key);
        if (client === undefined) {
          client = build(config);
          this.#ssm.set(key, client);
        }
        return client;
      },
    };
  }
}
