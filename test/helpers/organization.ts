// An over-the-wire Organization: the multi-account sandbox, dynalite and the recorder, with the real dispatcher and poll function.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { vi } from 'vitest';
import { createTable } from '../../lambda/adapters/dynamodb/create-table';
import { createDispatcher, type DispatchHandler } from '../../lambda/handlers/dispatcher';
import { createHandler, type PollHandler } from '../../lambda/handlers/poll';
import { startDynamo } from '../../sandbox/dynamo';
import { EventBridgeRecorder } from '../../sandbox/event-recorder';
import {
  type CrossAccountParentLink,
  MultiAccountSandbox,
  type SandboxQueue,
  type SandboxQueueRecord,
} from '../../sandbox/multi-account';
import { OrganizationModel } from '../../sandbox/organization';
import type { SsmBehaviour } from '../../sandbox/ssm-behaviour';

/** The account the poller runs in: the Organization's management account. */
export const HOME = '999999999999';
/** The poller's own region (table, bus, queue). */
export const HOME_REGION = 'us-east-1';
const TABLE = 'step-watch-org';

/** A running Organization and the functions wired to it. */
export interface OrganizationRig {
  readonly sandbox: MultiAccountSandbox;
  readonly organization: OrganizationModel;
  readonly recorder: EventBridgeRecorder;
  readonly queue: SandboxQueue;
  readonly dynamodb: DynamoDBClient;
  /** STS and EventBridge clients of the home account, for functions built by a test. */
  readonly sts: STSClient;
  readonly eventBridge: EventBridgeClient;
  readonly tableName: string;
  /** The dispatcher, on `now` (epoch ms) when given. */
  dispatcher(env?: Record<string, string>, now?: () => number): DispatchHandler;
  /** The poll function, with its own clients (SSM and STS through the endpoint variables). */
  pollFunction(env?: Record<string, string>): PollHandler;
  /** Takes the queued work items and hands each to its own invocation, all at once, as the event source mapping does. */
  deliver(poll: PollHandler, records?: readonly SandboxQueueRecord[]): Promise<SQSBatchResponse[]>;
  stop(): Promise<void>;
}

/** An invocation context of a function in the home account. */
export function contextOf(name: string): Context {
  return {
    functionName: name,
    awsRequestId: `${name}-request`,
    invokedFunctionArn: `arn:aws:lambda:${HOME_REGION}:${HOME}:function:${name}`,
    getRemainingTimeInMillis: () => 60_000,
  } as unknown as Context;
}

/**
 * Starts the sandbox (the Organization's management account is {@link HOME}), dynalite with the table
 * and the recorder, and points the SDK's endpoint variables at them, as the Lambda environment would
 * point at AWS: the functions build their own SSM and STS clients per shard.
 */
export async function startOrganization(options: {
  behaviour: Partial<SsmBehaviour>;
  throttleTps?: number;
  crossAccountParentLink?: CrossAccountParentLink;
}): Promise<OrganizationRig> {
  const organization = new OrganizationModel({ managementAccount: HOME });
  const sandbox = new MultiAccountSandbox({
    organization,
    startEpochMs: Date.now(),
    behaviour: options.behaviour,
    ...(options.throttleTps !== undefined && { throttleTps: options.throttleTps }),
    ...(options.crossAccountParentLink !== undefined && {
      crossAccountParentLink: options.crossAccountParentLink,
    }),
  });
  const recorder = new EventBridgeRecorder();
  const dynamo = await startDynamo({ fresh: true });
  await sandbox.start();
  await recorder.start();
  const credentials = MultiAccountSandbox.credentialsOf(HOME);
  vi.stubEnv('AWS_ENDPOINT_URL_SSM', sandbox.endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_STS', sandbox.endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
  vi.stubEnv('AWS_REGION', HOME_REGION);
  // Powertools reads these from process.env, whatever env the handler is given.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  const common = { region: HOME_REGION, credentials, maxAttempts: 2 };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: dynamo.endpoint });
  const clients = {
    dynamodb,
    eventBridge: new EventBridgeClient({ ...common, endpoint: recorder.endpoint }),
    sts: new STSClient({ ...common, endpoint: sandbox.endpoint }),
    sqs: new SQSClient({ ...common, endpoint: sandbox.endpoint }),
    organizations: new OrganizationsClient({ ...common, endpoint: sandbox.endpoint }),
  };
  await createTable(dynamodb, TABLE);
  const queue = sandbox.queue('work');
  const base = { TABLE_NAME: TABLE, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
  return {
    sandbox,
    organization,
    recorder,
    queue,
    dynamodb,
    sts: clients.sts,
    eventBridge: clients.eventBridge,
    tableName: TABLE,
    dispatcher: (env = {}, now) =>
      createDispatcher({
        env: { ...base, WORK_QUEUE_URL: queue.url, AWS_REGION: HOME_REGION, ...env },
        clients: { dynamodb, sqs: clients.sqs, organizations: clients.organizations },
        ...(now !== undefined && { now }),
      }),
    pollFunction: (env = {}) =>
      createHandler({
        env: {
          ...base,
          EVENT_BUS_NAME: 'step-watch',
          AWS_REGION: HOME_REGION,
          SSM_DESCRIBE_TPS: '50',
          ...env,
        },
        clients: { dynamodb, eventBridge: clients.eventBridge, sts: clients.sts },
      }),
    deliver: (poll, records = queue.takeAll()) =>
      Promise.all(
        records.map((record) => poll({ Records: [record] } as unknown as SQSEvent, contextOf('poller'))),
      ),
    stop: async () => {
      for (const client of Object.values(clients)) client.destroy();
      vi.unstubAllEnvs();
      await Promise.allSettled([sandbox.stop(), recorder.stop(), dynamo.stop()]);
    },
  };
}
