// The fan-out of a StepWatch with an organization or several shards: the dispatcher, its work queue and dead-letter queue, and the poll function's event source.
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEFAULT_ACCOUNT_CACHE_SECONDS } from '../lambda/core/defaults';
import { bundledFunction, pollTimeout, shardSource } from './bundled-function';
import { grantOwnLogs, grantTableKey } from './poller-policy';
import type { ResolvedStepWatchProps } from './resolved-props';

/** Receives of one work item before it goes to the work dead-letter queue. */
const WORK_MAX_RECEIVE_COUNT = 5;
/** Organizations calls the dispatcher makes to list the accounts; none supports resource-level permissions. */
const ORGANIZATIONS_LIST_ACTIONS = [
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListOrganizationalUnitsForParent',
  'organizations:DescribeOrganization',
] as const;
/** DynamoDB actions of the dispatcher: the cached account list and the shards' poller states. */
const DISPATCHER_TABLE_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'] as const;

/**
 * The fan-out of `organization` or several shards: one schedule invokes the dispatcher, which queues
 * one work item per shard; the poll function takes them from the queue, at most `maxConcurrency` at once.
 */
export interface StepWatchFanOut {
  /** Lists the shards (the organization's accounts x regions, or `shards`) and queues one item each. */
  readonly dispatcher: nodejs.NodejsFunction;
  /** The dispatcher's log group (the worst shards are logged here each run). */
  readonly dispatcherLogGroup: logs.LogGroup;
  /** The encrypted work queue: one message per shard and schedule tick. */
  readonly queue: sqs.Queue;
  /** Work items that failed five times. */
  readonly deadLetterQueue: sqs.Queue;
}

/** What {@link StepWatchShardFanOut} needs from the surrounding StepWatch. */
export interface StepWatchShardFanOutProps {
  /** The validated settings. */
  readonly settings: ResolvedStepWatchProps;
  /** The table holding the cached account list and the shards' poller states. */
  readonly table: dynamodb.ITable;
  /** The poll function the work queue invokes. */
  readonly pollFunction: lambda.Function;
  /** Receives dispatcher invocations that failed. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * The fan-out: a dispatcher the schedule invokes, which queues one work item per shard on an
 * encrypted queue; the poll function takes them through an event source of at most
 * `maxConcurrency` concurrent invocations, one item each, and reports failed items.
 *
 * Its resources are created directly in `scope` (the StepWatch), with the ids they have always had,
 * so their logical ids do not depend on this class; build one per StepWatch.
 *
 * @example
 * ```ts
 * const fanOut = new StepWatchShardFanOut(this, { settings, table, pollFunction, deadLetterQueue });
 * ```
 */
export class StepWatchShardFanOut implements StepWatchFanOut {
  /** Lists the shards (the organization's accounts x regions, or `shards`) and queues one item each. */
  public readonly dispatcher: nodejs.NodejsFunction;
  /** The dispatcher's log group (the worst shards are logged here each run). */
  public readonly dispatcherLogGroup: logs.LogGroup;
  /** The encrypted work queue: one message per shard and schedule tick. */
  public readonly queue: sqs.Queue;
  /** Work items that failed five times. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, props: StepWatchShardFanOutProps) {
    const { settings, table } = props;
    const timeout = pollTimeout(settings);
    const deadLetterQueue = new sqs.Queue(scope, 'WorkDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // AWS's guidance for SQS event sources: at least six times the function timeout.
    const visibilityTimeout = Duration.seconds(6 * timeout.toSeconds());
    const queue = new sqs.Queue(scope, 'WorkQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      // A work item is worth nothing once a fresher one is queued (the poll function drops items older
      // than two periods); the retention only has to outlast the receives before the dead-letter queue.
      retentionPeriod: Duration.seconds(
        Math.max(3600, visibilityTimeout.toSeconds() * (WORK_MAX_RECEIVE_COUNT + 1)),
      ),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: WORK_MAX_RECEIVE_COUNT },
    });
    props.pollFunction.addEventSource(
      new SqsEventSource(queue, {
        // One shard per invocation: a slow or throttled shard holds one worker only.
        batchSize: 1,
        reportBatchItemFailures: true,
        // The bound of the fan-out; nothing is reserved, so no unit of concurrency per shard.
        maxConcurrency: settings.maxConcurrency,
      }),
    );

    const shards = shardSource(scope, settings);
    const dispatcherLogGroup = new logs.LogGroup(scope, 'DispatcherLogs', {
      retention: settings.logRetention,
    });
    const role = new iam.Role(scope, 'DispatcherRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'ssm-step-watch dispatcher: lists the shards, queues their work items, reads their staleness',
    });
    this.dispatcher = bundledFunction(scope, 'Dispatcher', {
      handlerFile: 'dispatcher',
      handler: 'dispatcher',
      description: 'Queues one ssm-step-watch poll cycle per shard and reports the stalest shards',
      memorySize: 256,
      timeout: Duration.seconds(Math.min(settings.period.toSeconds() - 5, 300)),
      role,
      logGroup: dispatcherLogGroup,
      // A failed dispatch is not retried: the next tick dispatches every shard again.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(Math.max(60, settings.period.toSeconds())),
      deadLetterQueue: props.deadLetterQueue,
      environment: {
        TABLE_NAME: table.tableName,
        WORK_QUEUE_URL: queue.queueUrl,
        ...shards.environment,
        ACCOUNT_CACHE_SECONDS: String(DEFAULT_ACCOUNT_CACHE_SECONDS),
        POLL_PERIOD_SECONDS: String(settings.period.toSeconds()),
        POWERTOOLS_SERVICE_NAME: settings.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: settings.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
      commandHooks: shards.commandHooks,
    });
    grantDispatcherPermissions(role, dispatcherLogGroup, queue, props);
    this.dispatcherLogGroup = dispatcherLogGroup;
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
  }
}

/** The dispatcher's whole policy, statement by statement. */
function grantDispatcherPermissions(
  role: iam.Role,
  logGroup: logs.LogGroup,
  queue: sqs.Queue,
  { settings, table }: StepWatchShardFanOutProps,
): void {
  grantOwnLogs(role, logGroup);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'SendWorkItems',
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadWriteShardState',
      actions: [...DISPATCHER_TABLE_ACTIONS],
      resources: [table.tableArn],
    }),
  );
  grantTableKey(role, settings);
  if (settings.organization) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListOrganizationAccounts',
        actions: [...ORGANIZATIONS_LIST_ACTIONS],
        resources: ['*'],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'organizations:ListAccounts, ListAccountsForParent, ListOrganizationalUnitsForParent and DescribeOrganization are granted on * because the account and OU ids are found at run time (accounts join and leave); they are read-only calls.',
    });
  }
}
