// Builds the adapters of one shard's poller from configuration: the wiring the handler and CLI share.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CallCounter } from '../adapters/call-counter';
import { DynamoHintInbox } from '../adapters/dynamodb/hint-inbox';
import { DynamoSnapshotStore } from '../adapters/dynamodb/snapshot-store';
import { EventBridgePublisher } from '../adapters/event-bus';
import { SsmExecutionSource } from '../adapters/ssm';
import { SpareFirst, type Timer, TokenBucket } from '../adapters/token-bucket';
import { ServiceError } from '../core/errors';
import type { ShardTarget } from '../core/organization';
import type { CycleLogger, PollCycleDeps } from '../core/ports';
import { shardKey } from '../core/shard-key';
import type { PollCycleOptions } from '../cycle/poll-cycle';
import type { PollerConfig } from './config';

/** The (account, region) a poller watches; a role to assume when it is another account. */
export type { ShardTarget };

/** A wired poller: what `runPollCycle` takes, and its call counters. */
export interface Poller {
  readonly deps: PollCycleDeps;
  readonly options: Omit<PollCycleOptions, 'deadline'>;
  readonly calls: CallCounter;
  readonly ssm: SsmExecutionSource;
}

/** SDK clients to use instead of the ones the poller builds: local endpoints, injected clients in tests. */
export interface PollerClients {
  readonly ssm?: SSMClient;
  readonly dynamodb?: DynamoDBClient;
  readonly eventBridge?: EventBridgeClient;
  readonly sts?: STSClient;
  /**
   * Builds a shard's SSM client from the configuration the poller chose (region, retries, the member
   * role's credentials) when `ssm` is not given: a benchmark adds its own middleware this way.
   * @default `new SSMClient(config)`
   */
  readonly ssmFor?: (config: SSMClientConfig) => SSMClient;
}

/**
 * Wires SSM (paced by a token bucket, adaptive retry), DynamoDB (store and hint inbox) and
 * EventBridge adapters for one shard.
 * The table and bus are in the poller's own account; SSM is read in the shard's account and region.
 */
export function createPoller(
  config: PollerConfig,
  target: ShardTarget,
  extras: {
    clients?: PollerClients;
    logger?: CycleLogger;
    timer?: Timer;
    /** Region of the table and bus. @default the SDK's region (AWS_REGION in Lambda) */
    homeRegion?: string;
  } = {},
): Poller {
  const home = extras.homeRegion ? { region: extras.homeRegion } : {};
  const calls = new CallCounter();
  const ssmConfig: SSMClientConfig = {
    region: target.region,
    retryMode: 'adaptive',
    maxAttempts: 8,
    ...(target.roleArn && {
      credentials: assumeRoleCredentials(target.roleArn, extras.clients?.sts ?? new STSClient({})),
    }),
  };
  const ssmClient = extras.clients?.ssm ?? extras.clients?.ssmFor?.(ssmConfig) ?? new SSMClient(ssmConfig);
  const bucket = new TokenBucket({ ratePerSecond: config.ssmDescribeTps, timer: extras.timer });
  const ssm = new SsmExecutionSource({ client: ssmClient, bucket, calls });
  // What hints hand a cycle holding the lease is read with spare tokens, up to half the rate on top,
  // so that a hinted read does not take a queued execution's place (the two APIs have 3 TPS each).
  const spare = new TokenBucket({ ratePerSecond: config.ssmDescribeTps / 2, timer: extras.timer });
  const hintSsm =
    config.hints === false
      ? undefined
      : new SsmExecutionSource({ client: ssmClient, bucket: new SpareFirst(bucket, spare), calls });
  const now = extras.timer ? () => extras.timer?.now() ?? Date.now() : Date.now;
  const dynamodb = extras.clients?.dynamodb ?? new DynamoDBClient(home);
  const store = new DynamoSnapshotStore({
    tableName: config.tableName,
    client: dynamodb,
    retentionDays: config.historyRetentionDays,
    calls,
    now,
    onCorruptItem: (key, reason) =>
      extras.logger?.warn('ignored a corrupt item in the table', { ...key, reason }),
    onUntypedTransition: (key, reason) =>
      extras.logger?.warn('sending a transition that cannot catch a snapshot up', { ...key, reason }),
  });
  const publisher = new EventBridgePublisher({
    busName: config.eventBusName,
    source: config.eventSource,
    client: extras.clients?.eventBridge ?? new EventBridgeClient(home),
    calls,
  });
  return {
    deps: {
      source: ssm,
      store,
      publisher,
      now,
      sleep: extras.timer?.sleep,
      logger: extras.logger,
      ...(hintSsm && {
        inbox: new DynamoHintInbox({ tableName: config.tableName, client: dynamodb, calls }),
        hintSource: hintSsm,
      }),
    },
    options: {
      shard: shardKey(target),
      account: target.account,
      region: target.region,
      eventSource: config.eventSource,
      maxEntryBytes: config.maxEntryBytes,
    },
    calls,
    ssm,
  };
}

/** Temporary credentials, in the shape the SDK's credential providers return. */
interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

function assumeRoleCredentials(roleArn: string, sts: STSClient): () => Promise<TemporaryCredentials> {
  return async () => {
    const output = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'ssm-step-watch', DurationSeconds: 900 }),
    );
    const c = output.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new ServiceError(`AssumeRole of ${roleArn} returned no credentials.`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  };
}
