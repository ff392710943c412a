// The StepWatch construct: table, scheduled poller function, hints, bus + archive, schemas, alarms and optional notifications.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Names, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  INDEXES,
  type KeyAttribute,
  PARTITION_KEY,
  SORT_KEY,
  TTL_ATTRIBUTE,
} from '../lambda/adapters/dynamodb/schema';
import { DEFAULT_ACCOUNT_CACHE_SECONDS } from '../lambda/core/defaults';
import { NATIVE_DETAIL_TYPES, NATIVE_SOURCE } from '../lambda/core/hints';
import { DETAIL_TYPES, type DetailType } from '../lambda/core/types';
import { METRICS } from '../lambda/runtime/metrics';
import { bundledFunction, pollerEnvironment, pollTimeout, shardSource } from './bundled-function';
import { StepWatchDashboard } from './dashboard';
import { StepWatchConfigError } from './errors';
import { StepWatchNotifications } from './notifications';
import { StepWatchOrganizationStackSets } from './organization';
import type { StepWatchProps } from './props';
import { type ResolvedStepWatchProps, resolveStepWatchProps } from './resolved-props';

export { SHARDS_FILE_NAME } from './bundled-function';
export type {
  StepWatchLogLevel,
  StepWatchNotificationProps,
  StepWatchOrganization,
  StepWatchProps,
  StepWatchShard,
  StepWatchSlackProps,
} from './props';

/** The resources of `hints`: rule, queue, dead-letter queue and the function that reads them. */
export interface StepWatchHints {
  /** The rule on the default bus matching SSM's two Automation status-change detail types. */
  readonly rule: events.Rule;
  /** The encrypted queue the rule feeds. */
  readonly queue: sqs.Queue;
  /** Hints that failed five times, and hints the rule could not deliver. */
  readonly deadLetterQueue: sqs.Queue;
  /** The function that reads the hinted executions. */
  readonly function: nodejs.NodejsFunction;
  /** Its log group. */
  readonly logGroup: logs.LogGroup;
}

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

/** The CloudWatch alarms a StepWatch creates. */
export interface StepWatchAlarms {
  /** The function failed at least once in 5 minutes. */
  readonly errors: cloudwatch.Alarm;
  /** A schedule tick, a poll or a notification could not be delivered and sits in the dead-letter queue. */
  readonly deadLetters: cloudwatch.Alarm;
  /** The least recently polled in-flight execution is older than three schedule periods. */
  readonly staleness: cloudwatch.Alarm;
  /** The function was not invoked at all for the last window (schedule off, target broken). */
  readonly heartbeat: cloudwatch.Alarm;
  /** Hints wait in their dead-letter queue (only with `hints`). */
  readonly hintDeadLetters?: cloudwatch.Alarm;
  /** The dispatcher failed (only in the fan-out). */
  readonly dispatcherErrors?: cloudwatch.Alarm;
  /** Work items failed five times and wait in the work dead-letter queue (only in the fan-out). */
  readonly workDeadLetters?: cloudwatch.Alarm;
}

/** File name of each detail type's JSON Schema in the schema directory. */
export const SCHEMA_FILES: Readonly<Record<DetailType, string>> = {
  [DETAIL_TYPES.step]: 'step-status-change.schema.json',
  [DETAIL_TYPES.alarm]: 'step-alarm-triggered.schema.json',
  [DETAIL_TYPES.execution]: 'execution-status-change.schema.json',
};

/** DynamoDB actions the poll cycle performs on the table's items. */
const TABLE_ITEM_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

/** Timeout of the hint function: a targeted cycle reads a few executions; the lease lasts this long at most. */
const HINT_FUNCTION_TIMEOUT = Duration.seconds(30);
/** Receives of one hint before it goes to the dead-letter queue. */
const HINT_MAX_RECEIVE_COUNT = 5;
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
/** Above this many other accounts, the hint bus policy names them in a condition rather than as principals. */
const MAX_HINT_PRINCIPALS = 20;
/** Above this many characters the exact shard role ARNs give way to one pattern per role name. */
const EXACT_SHARD_ROLES_MAX_CHARS = 2048;

/** SSM calls the poller makes; neither supports resource-level permissions. */
const SSM_DESCRIBE_ACTIONS = [
  'ssm:DescribeAutomationExecutions',
  'ssm:DescribeAutomationStepExecutions',
] as const;

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/**
 * A scheduled poller that turns SSM Automation step executions into complete, deduplicated
 * EventBridge events, with its audit trail in DynamoDB.
 *
 * @example
 * ```ts
 * const watch = new StepWatch(stack, 'StepWatch', {
 *   schedule: 'rate(1 minute)',
 *   notifications: { emails: ['ops@example.com'] },
 * });
 * new events.Rule(stack, 'Failures', {
 *   eventBus: watch.bus,
 *   eventPattern: { source: ['ssm-step-watch'], detail: { step: { status: ['Failed'] } } },
 * });
 * ```
 */
export class StepWatch extends Construct {
  /** Snapshots, outbox / audit trail and poller state (schema: `lambda/adapters/dynamodb/schema.ts`). */
  public readonly table: dynamodb.Table;
  /** The bus events are published to (created, or the existing one named in props). */
  public readonly bus: events.IEventBus;
  /** Archive of this poller's events on the bus, for replay. */
  public readonly archive: events.Archive;
  /** The poller. */
  public readonly function: nodejs.NodejsFunction;
  /** The poller's log group (Powertools JSON logs). */
  public readonly logGroup: logs.LogGroup;
  /** One schedule per shard, or the one schedule of the dispatcher in the fan-out. */
  public readonly schedules: readonly scheduler.Schedule[];
  /** Dispatcher and work queue, with `organization` or more than one shard. */
  public readonly fanOut?: StepWatchFanOut;
  /** The root lookup and the member accounts' StackSets, with `organization`. */
  public readonly organization?: StepWatchOrganizationStackSets;
  /** Undeliverable schedule ticks, failed polls and undeliverable notifications. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The schema registry holding the three detail types. */
  public readonly schemaRegistry: eventschemas.CfnRegistry;
  /** Alarms on errors, dead letters, staleness and missing invocations. */
  public readonly alarms: StepWatchAlarms;
  /** The notification topic, when `notifications` is set. */
  public readonly topic?: sns.Topic;
  /** The notification rules, topic and Slack channel, when `notifications` is set. */
  public readonly notifications?: StepWatchNotifications;
  /** The CloudWatch dashboard: events by type, failures, alarms, staleness, throttles, function health. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The hint rule, queues and function, when `hints` is on (the default). */
  public readonly hints?: StepWatchHints;

  private readonly settings: ResolvedStepWatchProps;

  constructor(scope: Construct, id: string, props: StepWatchProps = {}) {
    super(scope, id);
    this.settings = resolveStepWatchProps(this, props);
    const schemas = this.readSchemas();

    this.table = this.createTable();
    this.deadLetterQueue = this.createDeadLetterQueue();
    this.bus = this.settings.eventBusName
      ? events.EventBus.fromEventBusName(this, 'Bus', this.settings.eventBusName)
      : new events.EventBus(this, 'Bus', { description: 'SSM Automation step and execution transitions' });
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: this.bus,
      description: 'Events of ssm-step-watch, for replay',
      eventPattern: { source: [this.settings.eventSource] },
      retention: this.settings.archiveRetention,
    });
    this.schemaRegistry = this.registerSchemas(schemas);
    this.logGroup = new logs.LogGroup(this, 'FunctionLogs', { retention: this.settings.logRetention });
    this.function = this.createFunction();
    if (this.settings.fanOut) {
      this.fanOut = this.createFanOut();
      this.schedules = [this.createDispatchSchedule(this.fanOut.dispatcher)];
    } else {
      this.schedules = this.createSchedules();
    }
    if (this.settings.hints) this.hints = this.createHints();
    if (this.settings.organization) {
      const readers = [this.function, ...(this.hints ? [this.hints.function] : [])].flatMap((fn) =>
        fn.role ? [fn.role] : [],
      );
      this.organization = new StepWatchOrganizationStackSets(this, 'Organization', {
        organization: this.settings.organization,
        readers,
        hints: this.settings.hints,
      });
      if (this.organization.organizationId !== undefined && this.hints) {
        this.allowOrganizationHints(this.organization.organizationId);
      }
    }
    this.alarms = this.createAlarms();

    if (this.settings.notifications) {
      this.notifications = new StepWatchNotifications(this, 'Notifications', {
        settings: this.settings.notifications,
        bus: this.bus,
        eventSource: this.settings.eventSource,
        deadLetterQueue: this.deadLetterQueue,
      });
      this.topic = this.notifications.topic;
      const action = new cloudwatchActions.SnsAction(this.topic);
      for (const alarm of Object.values(this.alarms)) alarm.addAlarmAction(action);
    }
    this.dashboard = new StepWatchDashboard(this, 'Dashboard', {
      function: this.function,
      namespace: this.settings.metricsNamespace,
      serviceName: this.settings.serviceName,
      dlq: this.deadLetterQueue,
      ...(this.fanOut && {
        fanOut: {
          queue: this.fanOut.queue,
          deadLetterQueue: this.fanOut.deadLetterQueue,
          pollLogGroup: this.logGroup,
        },
      }),
      ...(this.hints && {
        hints: {
          queue: this.hints.queue,
          deadLetterQueue: this.hints.deadLetterQueue,
          function: this.hints.function,
        },
      }),
    }).dashboard;
  }

  /** Reads the three JSON Schemas before anything is built, so a missing file fails fast. */
  private readSchemas(): ReadonlyArray<{ detailType: DetailType; content: string }> {
    return Object.entries(SCHEMA_FILES).map(([detailType, file]) => {
      const path = join(this.settings.schemaDirectory, file);
      let content: string;
      try {
        content = JSON.stringify(JSON.parse(readFileSync(path, 'utf8')));
      } catch (cause) {
        throw new StepWatchConfigError(
          `schemaDirectory must hold a valid JSON Schema named ${file}; reading ${path} failed.`,
          { cause },
        );
      }
      return { detailType: detailType as DetailType, content };
    });
  }

  private createTable(): dynamodb.Table {
    // Every key attribute of the schema is a string ('S').
    const attribute = (key: KeyAttribute) => ({ name: key.name, type: dynamodb.AttributeType.STRING });
    const { tableEncryptionKey } = this.settings;
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(PARTITION_KEY),
      sortKey: attribute(SORT_KEY),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: tableEncryptionKey
        ? dynamodb.TableEncryption.CUSTOMER_MANAGED
        : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: tableEncryptionKey,
      removalPolicy: this.settings.tableRemovalPolicy,
    });
    for (const index of INDEXES) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }

  private createDeadLetterQueue(): sqs.Queue {
    return new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
  }

  private registerSchemas(
    schemas: ReadonlyArray<{ detailType: DetailType; content: string }>,
  ): eventschemas.CfnRegistry {
    const registry = new eventschemas.CfnRegistry(this, 'SchemaRegistry', {
      description: `JSON Schemas of the events ssm-step-watch emits with source ${this.settings.eventSource}`,
    });
    const sourceName = this.settings.eventSource.replace(/[^A-Za-z0-9._-]/g, '-');
    for (const { detailType, content } of schemas) {
      new eventschemas.CfnSchema(this, `Schema${detailType.replace(/ /g, '')}`, {
        registryName: registry.attrRegistryName,
        schemaName: `${sourceName}@${detailType.replace(/ /g, '')}`,
        type: 'JSONSchemaDraft4',
        description: `detail of '${detailType}' events`,
        content,
      });
    }
    return registry;
  }

  private createFunction(): nodejs.NodejsFunction {
    const { settings } = this;
    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ssm-step-watch poller: SSM Describe calls, its table, its bus, its log group',
    });

    const fn = bundledFunction(this, 'Function', {
      handlerFile: 'poll',
      handler: 'handler',
      description: 'Polls SSM Automation step executions and emits their transitions to EventBridge',
      memorySize: 512,
      timeout: pollTimeout(settings),
      reservedConcurrentExecutions: settings.reservedConcurrency,
      role,
      logGroup: this.logGroup,
      // Invoked by the schedule (one shard): a failed poll is not retried, the next tick polls again
      // and a retry would overlap it. In the fan-out the work queue invokes it instead.
      ...(!settings.fanOut && {
        retryAttempts: 0,
        maxEventAge: Duration.seconds(Math.max(60, settings.period.toSeconds())),
        deadLetterQueue: this.deadLetterQueue,
      }),
      environment: {
        ...pollerEnvironment(settings, this.table, this.bus),
        ...(settings.fanOut && { POLL_PERIOD_SECONDS: String(settings.period.toSeconds()) }),
        ...(settings.organization && { MEMBER_ROLE_NAME: settings.organization.memberRoleName }),
      },
    });

    this.grantPollerPermissions(role, this.logGroup);
    return fn;
  }

  /**
   * The fan-out: a dispatcher the schedule invokes, which queues one work item per shard on an
   * encrypted queue; the poll function takes them through an event source of at most
   * `maxConcurrency` concurrent invocations, one item each, and reports failed items.
   */
  private createFanOut(): StepWatchFanOut {
    const { settings } = this;
    const timeout = pollTimeout(settings);
    const deadLetterQueue = new sqs.Queue(this, 'WorkDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // AWS's guidance for SQS event sources: at least six times the function timeout.
    const visibilityTimeout = Duration.seconds(6 * timeout.toSeconds());
    const queue = new sqs.Queue(this, 'WorkQueue', {
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
    this.function.addEventSource(
      new SqsEventSource(queue, {
        // One shard per invocation: a slow or throttled shard holds one worker only.
        batchSize: 1,
        reportBatchItemFailures: true,
        // The bound of the fan-out; nothing is reserved, so no unit of concurrency per shard.
        maxConcurrency: settings.maxConcurrency,
      }),
    );

    const shards = shardSource(this, settings);
    const dispatcherLogGroup = new logs.LogGroup(this, 'DispatcherLogs', {
      retention: settings.logRetention,
    });
    const role = new iam.Role(this, 'DispatcherRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'ssm-step-watch dispatcher: lists the shards, queues their work items, reads their staleness',
    });
    const dispatcher = bundledFunction(this, 'Dispatcher', {
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
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        TABLE_NAME: this.table.tableName,
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
    this.grantDispatcherPermissions(role, dispatcherLogGroup, queue);
    return { dispatcher, dispatcherLogGroup, queue, deadLetterQueue };
  }

  /** The dispatcher's whole policy, statement by statement. */
  private grantDispatcherPermissions(role: iam.Role, logGroup: logs.LogGroup, queue: sqs.Queue): void {
    const { table, settings } = this;
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
    this.grantTableKey(role);
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

  /**
   * The hint path: a rule on the default bus for SSM's own Automation events of the polled shards,
   * an encrypted queue with its own dead-letter queue, and a function reading the hinted executions.
   */
  private createHints(): StepWatchHints {
    const { settings } = this;
    const stack = Stack.of(this);
    const deadLetterQueue = new sqs.Queue(this, 'HintDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const queue = new sqs.Queue(this, 'HintQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance for SQS event sources: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(6 * HINT_FUNCTION_TIMEOUT.toSeconds()),
      // A hint older than this is worth nothing: the schedule has read its execution long since.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: HINT_MAX_RECEIVE_COUNT },
    });

    // The shards' accounts and regions: SSM's own events, and those forwarded from other shards. An
    // organization's accounts are found at run time; its bus policy admits only its own accounts.
    const shardAccounts = settings.organization
      ? undefined
      : unique(settings.shards.map((shard) => shard.account ?? stack.account));
    const shardRegions = settings.organization
      ? [...settings.organization.regions]
      : unique(settings.shards.map((shard) => shard.region ?? stack.region));
    const rule = new events.Rule(this, 'HintRule', {
      description: 'SSM Automation status changes of the polled shards, as hints for ssm-step-watch',
      eventPattern: {
        source: [NATIVE_SOURCE],
        detailType: Object.values(NATIVE_DETAIL_TYPES),
        ...(shardAccounts && { account: shardAccounts }),
        region: shardRegions,
      },
    });
    // The target adds a queue policy that lets events.amazonaws.com send from this rule only.
    rule.addTarget(
      new targets.SqsQueue(queue, {
        deadLetterQueue,
        maxEventAge: Duration.minutes(5),
        retryAttempts: 3,
      }),
    );

    const otherAccounts = unique(
      settings.shards.flatMap((shard) =>
        shard.account !== undefined && shard.account !== stack.account ? [shard.account] : [],
      ),
    );
    if (otherAccounts.length > 0) this.allowForwardedHints(otherAccounts);

    const shards = shardSource(this, settings);
    const logGroup = new logs.LogGroup(this, 'HintFunctionLogs', { retention: settings.logRetention });
    const role = new iam.Role(this, 'HintFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'ssm-step-watch hint reader: SSM Describe calls, its table, its bus, its queue, its log group',
    });
    const fn = bundledFunction(this, 'HintFunction', {
      handlerFile: 'hints',
      handler: 'hintHandler',
      description: "Reads the SSM Automation executions SSM's own events name, within seconds",
      memorySize: 256,
      timeout: HINT_FUNCTION_TIMEOUT,
      role,
      logGroup,
      environment: {
        ...pollerEnvironment(settings, this.table, this.bus),
        SCHEDULE_PERIOD_SECONDS: String(settings.period.toSeconds()),
        ...(!settings.ownShardOnly && shards.environment),
      },
      commandHooks: shards.commandHooks,
    });
    this.grantPollerPermissions(role, logGroup);
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: 100,
        // Gathers a burst of events into one batch, so one read serves them all.
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        // The lease lets one cycle per shard write at a time; two readers are plenty. No reserved
        // concurrency: below five it throttles the queue's pollers, and throttled receives count
        // toward the dead-letter queue.
        maxConcurrency: 2,
      }),
    );
    return { rule, queue, deadLetterQueue, function: fn, logGroup };
  }

  /** Lets the shards' other accounts forward SSM's Automation events to this account's default bus. */
  private allowForwardedHints(accounts: readonly string[]): void {
    const stack = Stack.of(this);
    // Many accounts: their ids in a condition (15 characters each) rather than one principal ARN
    // each (about 45), so that hundreds of accounts stay within the bus policy's size.
    const many = accounts.length > MAX_HINT_PRINCIPALS;
    const statement = new iam.PolicyStatement({
      sid: 'StepWatchHintsFromShardAccounts',
      principals: many
        ? [new iam.AnyPrincipal()]
        : accounts.map((account) => new iam.AccountPrincipal(account)),
      actions: ['events:PutEvents'],
      resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
      conditions: {
        ...(many && { StringEquals: { 'aws:PrincipalAccount': [...accounts] } }),
        'ForAllValues:StringEquals': {
          'events:source': [NATIVE_SOURCE],
          'events:detail-type': Object.values(NATIVE_DETAIL_TYPES),
        },
      },
    });
    // The L2 EventBusPolicy would put the statement object itself into the template; the L1 takes its JSON.
    new events.CfnEventBusPolicy(this, 'HintBusPolicy', {
      eventBusName: 'default',
      statementId: `ssm-step-watch-hints-${Names.uniqueId(this)}`.slice(0, 64),
      statement: statement.toStatementJson(),
    });
  }

  /**
   * Lets every account of the organization forward SSM's Automation events to this account's default
   * bus: one statement on the organization id, so the policy does not grow with the accounts.
   */
  private allowOrganizationHints(organizationId: string): void {
    const stack = Stack.of(this);
    new events.CfnEventBusPolicy(this, 'HintBusPolicy', {
      eventBusName: 'default',
      statementId: `ssm-step-watch-hints-${Names.uniqueId(this)}`.slice(0, 64),
      statement: {
        Sid: 'StepWatchHintsFromOrganization',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' }),
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': organizationId },
          'ForAllValues:StringEquals': {
            'events:source': [NATIVE_SOURCE],
            'events:detail-type': Object.values(NATIVE_DETAIL_TYPES),
          },
        },
      },
    });
  }

  /** The table's customer-managed key, when there is one: what DynamoDB needs of it for reads and writes. */
  private grantTableKey(role: iam.Role): void {
    const key = this.settings.tableEncryptionKey;
    if (!key) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UseTableKey',
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
      }),
    );
  }

  /**
   * A poller's whole policy (the scheduled one's and the hint reader's), written out statement by
   * statement so tests can assert it exactly.
   */
  private grantPollerPermissions(role: iam.Role, logGroup: logs.LogGroup): void {
    const { table } = this;
    grantOwnLogs(role, logGroup);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeAutomations',
        actions: [...SSM_DESCRIBE_ACTIONS],
        resources: ['*'],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteTableItems',
        actions: [...TABLE_ITEM_ACTIONS],
        resources: [table.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'QueryTableIndexes',
        actions: ['dynamodb:Query'],
        resources: INDEXES.map((index) => `${table.tableArn}/index/${index.indexName}`),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishEvents',
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
      }),
    );
    this.grantTableKey(role);
    this.grantAssumeShardRoles(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ssm:DescribeAutomationExecutions and ssm:DescribeAutomationStepExecutions support no resource-level permissions, so they can only be granted on *; every other statement names its resource.',
    });
  }

  /**
   * `sts:AssumeRole` on the shards' roles, in a statement that does not grow past IAM's policy size:
   * the organization's member role in any account of the organization; the listed shards' role ARNs
   * while they are few, else one pattern per role name (the member roles' trust policies name the
   * poller's role, so the pattern grants nothing a member account did not allow).
   */
  private grantAssumeShardRoles(role: iam.Role): void {
    const { settings } = this;
    const stack = Stack.of(this);
    let resources: string[];
    let conditions: Record<string, Record<string, string>> | undefined;
    if (settings.organization) {
      resources = [`arn:${stack.partition}:iam::*:role/${settings.organization.memberRoleName}`];
      // An IAM policy variable, not JavaScript: the role's account is in the poller's organization.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variable syntax.
      conditions = { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } };
    } else {
      const exact = unique(settings.shards.flatMap((shard) => (shard.roleArn ? [shard.roleArn] : [])));
      resources =
        JSON.stringify(exact).length <= EXACT_SHARD_ROLES_MAX_CHARS
          ? exact
          : unique(exact.map((arn) => arn.replace(/^(arn:[^:]+:iam::)\d{12}(:role\/.+)$/, '$1*$2')));
    }
    if (resources.length === 0) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeShardRoles',
        actions: ['sts:AssumeRole'],
        resources,
        ...(conditions && { conditions }),
      }),
    );
    for (const resource of resources.filter((arn) => arn.includes('::*:'))) {
      // cdk-nag writes the partition token as <AWS::Partition>.
      const shown = settings.organization
        ? `arn:<AWS::Partition>:iam::*:role/${settings.organization.memberRoleName}`
        : resource;
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${shown}]`,
        reason: `sts:AssumeRole on every account's role of this name (${resource.split('/').pop()}): the accounts are too many to list within IAM's policy size${settings.organization ? ', and limited to the organization by aws:ResourceOrgID' : ''}; each member role's trust policy names the poller's role.`,
      });
    }
  }

  /** The scheduler's role: invokes `fn` and dead-letters failed ticks. */
  private createSchedulerRole(fn: lambda.IFunction): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Lets EventBridge Scheduler invoke the ssm-step-watch poller and dead-letter failed ticks',
    });
    const functionLogicalId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionLogicalId}.Arn>:*]`,
      reason:
        "The Scheduler Lambda target grants lambda:InvokeFunction on the function and its versions (ARN:*); it is this poller's function only.",
    });
    return role;
  }

  /** The fan-out's one schedule: it invokes the dispatcher, whatever the number of shards. */
  private createDispatchSchedule(dispatcher: nodejs.NodejsFunction): scheduler.Schedule {
    const { settings } = this;
    return new scheduler.Schedule(this, 'Schedule', {
      description: 'Runs the ssm-step-watch dispatcher, which queues one poll cycle per shard',
      schedule: scheduler.ScheduleExpression.rate(settings.period),
      target: new schedulerTargets.LambdaInvoke(dispatcher, {
        role: this.createSchedulerRole(dispatcher),
        input: scheduler.ScheduleTargetInput.fromObject({}),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.seconds(Math.max(60, settings.period.toSeconds())),
      }),
    });
  }

  private createSchedules(): scheduler.Schedule[] {
    const { settings } = this;
    const role = this.createSchedulerRole(this.function);

    return settings.shards.map((shard) => {
      const input = settings.ownShardOnly ? {} : { shard: { ...shard } };
      const label = settings.ownShardOnly
        ? ''
        : `${shard.account ?? ''}${shard.region ?? ''}`.replace(/[^A-Za-z0-9]/g, '');
      return new scheduler.Schedule(this, `Schedule${label}`, {
        description: `Runs one ssm-step-watch poll cycle for ${label === '' ? 'this account and region' : JSON.stringify(shard)}`,
        schedule: scheduler.ScheduleExpression.rate(settings.period),
        target: new schedulerTargets.LambdaInvoke(this.function, {
          role,
          input: scheduler.ScheduleTargetInput.fromObject(input),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.seconds(Math.max(60, settings.period.toSeconds())),
        }),
      });
    });
  }

  private createAlarms(): StepWatchAlarms {
    const { settings, hints, fanOut } = this;
    const fiveMinutes = Duration.minutes(5);
    const periodSeconds = settings.period.toSeconds();
    const alarm = (id: string, props: cloudwatch.AlarmProps) => new cloudwatch.Alarm(this, id, props);
    return {
      errors: alarm('ErrorsAlarm', {
        alarmDescription: 'ssm-step-watch: the poller function failed',
        metric: this.function.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      deadLetters: alarm('DeadLettersAlarm', {
        alarmDescription: 'ssm-step-watch: messages wait in the dead-letter queue',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      staleness: alarm('StalenessAlarm', {
        alarmDescription: `ssm-step-watch: an in-flight execution was not polled for over ${3 * periodSeconds} seconds`,
        metric: new cloudwatch.Metric({
          namespace: settings.metricsNamespace,
          metricName: METRICS.staleness,
          // Powertools adds the service name to every metric as the `service` dimension.
          dimensionsMap: { service: settings.serviceName },
          period: fiveMinutes,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 3 * periodSeconds,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      heartbeat: alarm('HeartbeatAlarm', {
        alarmDescription:
          'ssm-step-watch: the poller was not invoked (schedule disabled or its target broken)',
        metric: this.function.metricInvocations({
          period: Duration.seconds(Math.max(fiveMinutes.toSeconds(), 2 * periodSeconds)),
          statistic: cloudwatch.Stats.SUM,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      ...(hints && {
        hintDeadLetters: alarm('HintDeadLettersAlarm', {
          alarmDescription:
            'ssm-step-watch: hints failed five times or could not be delivered (the schedule still reads their executions)',
          metric: hints.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: fiveMinutes,
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      }),
      ...(fanOut && {
        dispatcherErrors: alarm('DispatcherErrorsAlarm', {
          alarmDescription: 'ssm-step-watch: the dispatcher failed (no shard was queued by that tick)',
          metric: fanOut.dispatcher.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        workDeadLetters: alarm('WorkDeadLettersAlarm', {
          alarmDescription:
            'ssm-step-watch: work items failed five times (their shards are polled again on the next tick)',
          metric: fanOut.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: fiveMinutes,
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      }),
    };
  }
}

/** A function's own log group: the only logs it may write. */
function grantOwnLogs(role: iam.Role, logGroup: logs.LogGroup): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
}
