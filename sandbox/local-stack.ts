// The embedded local stack: SSM simulator, EventBridge recorder and dynalite, wired to real SDK clients.

import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createTable } from '../lambda/adapters/dynamodb/create-table';
import type { Timer } from '../lambda/adapters/token-bucket';
import { createHintHandler } from '../lambda/handlers/hints';
import { createNotifyHandler, type NotifyHandler } from '../lambda/handlers/notify';
import type { PollerClients } from '../lambda/runtime/poller';
import { startDynamo } from './dynamo';
import { EventBridgeRecorder } from './event-recorder';
import { HintPump, type HintQueueOptions } from './hint-queue';
import type { NativeEventOptions } from './native-events';
import { NotifyPump, type NotifyPumpOptions } from './notify-pump';
import type { Scenario } from './scenario';
import { SnsRecorder } from './sns-recorder';
import type { SsmBehaviour } from './ssm-behaviour';
import { SsmSimulator } from './ssm-simulator';

/** Where `step-watch local` keeps its DynamoDB data, so `history --local` can read the last run. */
export const LOCAL_DATA_DIR = fileURLToPath(new URL('../.local/dynamodb', import.meta.url));
/** The table `step-watch local` uses. */
export const LOCAL_TABLE = 'step-watch-local';
/** The bus name the local poller sends to (the recorder accepts any). */
export const LOCAL_BUS = 'step-watch-local';
/** Account and region the local stack pretends to be. */
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  readonly scenario: Scenario;
  /** Epoch ms the scenario's `at: 0` maps to. @default now */
  readonly startEpochMs?: number;
  /** Clock of the simulator and recorder. @default Date.now */
  readonly clock?: () => number;
  /** DynamoDB data directory; in memory when omitted. */
  readonly dataDir?: string;
  /** Wipe `dataDir` first. */
  readonly fresh?: boolean;
  readonly tableName?: string;
  /** SSM throttling above this many calls a second per operation. @default none */
  readonly throttleTps?: number;
  /** Count SSM's quota on `clock` rather than real time (virtual-time runs). @default false */
  readonly throttleOnClock?: boolean;
  /** How the SSM simulator behaves where SSM's documentation is silent (see docs/ssm-behaviour.md). */
  readonly behaviour?: Partial<SsmBehaviour>;
  /** SDK retry attempts of the clients. @default 3 */
  readonly maxAttempts?: number;
  /**
   * Have the SSM simulator publish SSM's own `aws.ssm` Automation events (`ssm.takeNativeEvents`);
   * `account` and `region` default to the stack's.
   * @default no native events
   */
  readonly nativeEvents?: NativeEventOptions;
}

/** A running local stack. */
export interface LocalStack {
  readonly ssm: SsmSimulator;
  readonly recorder: EventBridgeRecorder;
  /** The notification topic: what the notify function publishes. */
  readonly sns: SnsRecorder;
  /** A real SNS client pointed at {@link LocalStack.sns}. */
  readonly snsClient: SNSClient;
  readonly tableName: string;
  /** The endpoints, as the SDK's `AWS_ENDPOINT_URL_*` variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Real SDK clients pointed at the stack. */
  readonly clients: Required<Omit<PollerClients, 'sts' | 'ssmFor'>>;
  stop(): Promise<void>;
}

const DUMMY_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Starts the simulator, the recorder and DynamoDB on free loopback ports, and creates the table. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const clock = options.clock ?? Date.now;
  const ssm = new SsmSimulator({
    scenario: options.scenario,
    startEpochMs: options.startEpochMs ?? clock(),
    clock,
    ...(options.throttleTps !== undefined && { throttleTps: options.throttleTps }),
    ...(options.throttleOnClock !== undefined && { throttleOnClock: options.throttleOnClock }),
    ...(options.behaviour !== undefined && { behaviour: options.behaviour }),
    ...(options.nativeEvents !== undefined && {
      nativeEvents: { account: LOCAL_ACCOUNT, region: LOCAL_REGION, ...options.nativeEvents },
    }),
  });
  const recorder = new EventBridgeRecorder({ clock });
  const sns = new SnsRecorder({ clock });
  const dynamo = await startDynamo({
    ...(options.dataDir !== undefined && { path: options.dataDir }),
    fresh: options.fresh ?? false,
  });
  const stoppers: (() => Promise<void>)[] = [() => dynamo.stop()];
  try {
    await ssm.start();
    stoppers.push(() => ssm.stop());
    await recorder.start();
    stoppers.push(() => recorder.stop());
    await sns.start();
    stoppers.push(() => sns.stop());
    const common = {
      region: LOCAL_REGION,
      credentials: DUMMY_CREDENTIALS,
      maxAttempts: options.maxAttempts ?? 3,
    };
    const clients = {
      ssm: new SSMClient({ ...common, endpoint: ssm.endpoint }),
      dynamodb: new DynamoDBClient({ ...common, endpoint: dynamo.endpoint }),
      eventBridge: new EventBridgeClient({ ...common, endpoint: recorder.endpoint }),
    };
    const snsClient = new SNSClient({ ...common, endpoint: sns.endpoint });
    stoppers.push(async () => snsClient.destroy());
    const tableName = options.tableName ?? LOCAL_TABLE;
    await createTable(clients.dynamodb, tableName);
    return {
      ssm,
      recorder,
      sns,
      snsClient,
      tableName,
      env: {
        AWS_ENDPOINT_URL_SSM: ssm.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: recorder.endpoint,
        AWS_ENDPOINT_URL_SNS: sns.endpoint,
      },
      clients,
      stop: async () => {
        for (const client of Object.values(clients)) client.destroy();
        await Promise.allSettled(stoppers.reverse().map((stop) => stop()));
      },
    };
  } catch (error) {
    await Promise.allSettled(stoppers.reverse().map((stop) => stop()));
    throw error;
  }
}

/** Options of {@link createLocalHintPump}. */
export interface LocalHintPumpOptions {
  /** The hint handler's environment on top of the stack's table, bus, account and region. */
  readonly env?: Readonly<Record<string, string>>;
  /** The queue and event source mapping settings. @default a 1 s batching window, 10 a batch */
  readonly queue?: HintQueueOptions;
  /** Clock and sleep of the handler's cycles and of the queue. @default the real ones */
  readonly timer?: Timer;
  /** How long a targeted cycle waits for the lease. @default the handler's */
  readonly leaseWaitMs?: number;
}

/**
 * The hint path of the local stack: the simulator's native events (the stack must be started with
 * `nativeEvents`) go through a modelled queue to the real hint handler (`createHintHandler`) on the
 * stack's clients, table ({@link LOCAL_BUS} as the bus unless `env` says otherwise) and shard.
 *
 * @example
 * ```ts
 * const pump = createLocalHintPump(stack);
 * setInterval(() => void pump.pump(), 1000);
 * ```
 */
export function createLocalHintPump(stack: LocalStack, options: LocalHintPumpOptions = {}): HintPump {
  const { timer } = options;
  const handler = createHintHandler({
    env: {
      TABLE_NAME: stack.tableName,
      EVENT_BUS_NAME: LOCAL_BUS,
      AWS_REGION: LOCAL_REGION,
      ...options.env,
    },
    clients: stack.clients,
    ...(timer !== undefined && { timer }),
    ...(options.leaseWaitMs !== undefined && { leaseWaitMs: options.leaseWaitMs }),
  });
  return new HintPump({
    source: stack.ssm,
    handler,
    account: LOCAL_ACCOUNT,
    region: LOCAL_REGION,
    ...(options.queue !== undefined && { queue: options.queue }),
    ...(timer !== undefined && { clock: () => timer.now() }),
  });
}

/** The topic ARN the local notify function publishes to (the SNS recorder accepts any). */
export const LOCAL_TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:step-watch-local`;

/** Options of {@link createLocalNotifyPump}. */
export interface LocalNotifyPumpOptions extends Omit<NotifyPumpOptions, 'source' | 'handler'> {
  /** The notify function's environment on top of the stack's table and topic. */
  readonly env?: Readonly<Record<string, string>>;
  /** The clock the digest's interval is measured on. @default Date.now */
  readonly clock?: () => number;
}

/**
 * The notification path of the local stack: the events the recorder accepted that the stack's rules
 * would route go to the real notify handler (`createNotifyHandler`) on the stack's table, which
 * publishes to the SNS recorder ({@link LocalStack.sns}).
 *
 * @example
 * ```ts
 * const pump = createLocalNotifyPump(stack);
 * await pump.pump();
 * console.log(stack.sns.messages());
 * ```
 */
export function createLocalNotifyPump(stack: LocalStack, options: LocalNotifyPumpOptions = {}): NotifyPump {
  const clock = options.clock ?? Date.now;
  const handler: NotifyHandler = createNotifyHandler({
    env: {
      TABLE_NAME: stack.tableName,
      TOPIC_ARN: LOCAL_TOPIC_ARN,
      AWS_REGION: LOCAL_REGION,
      ...options.env,
    },
    clients: { dynamodb: stack.clients.dynamodb, sns: stack.snsClient },
    timer: { now: clock },
  });
  return new NotifyPump({ ...options, source: stack.recorder, handler });
}
