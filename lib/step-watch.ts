// The StepWatch construct: table, scheduled poller function, hints, bus + archive, schemas, alarms and optional notifications.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Names, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
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
import { NATIVE_DETAIL_TYPES, NATIVE_SOURCE } from '../lambda/core/hints';
import { DETAIL_TYPES, type DetailType } from '../lambda/core/types';
import { METRICS } from '../lambda/metrics';
import { StepWatchDashboard } from './dashboard';
import { StepWatchConfigError } from './errors';
import { type StepWatchNotificationProps, StepWatchNotifications } from './notifications';
import { type ResolvedStepWatchProps, resolveStepWatchProps } from './resolved-props';

/** Powertools log levels the handler accepts (`POWERTOOLS_LOG_LEVEL`). */
export type StepWatchLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * One (account, region) the poller watches. Each shard gets its own schedule and its own SSM
 * Describe quota; the function receives `{ "shard": { account, region, roleArn } }`.
 */
export interface StepWatchShard {
  /**
   * Account to poll (12 digits). Another account needs `roleArn`.
   *
   * @default - the function's own account
   */
  readonly account?: string;
  /**
   * Region to poll.
   *
   * @default - the function's own region
   */
  readonly region?: string;
  /**
   * Role the function assumes to read SSM in `account`; it needs `ssm:DescribeAutomationExecutions`
   * and `ssm:DescribeAutomationStepExecutions` and must trust the function's role.
   *
   * @default - no role: the function's own credentials
   */
  readonly roleArn?: string;
}

/** Props of {@link StepWatch}. Every prop is optional; the defaults deploy a working poller. */
export interface StepWatchProps {
  /**
   * How often each shard is polled: a rate expression (`rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)`)
   * or a Duration, in whole minutes from 1 minute to 1 hour. The function's timeout is the period minus
   * 5 seconds (at most 15 minutes), so one run ends before the next begins.
   *
   * @default 'rate(1 minute)'
   */
  readonly schedule?: string | Duration;
  /**
   * Name of an existing event bus to publish to.
   *
   * @default - a new event bus
   */
  readonly eventBusName?: string;
  /**
   * `source` of every emitted event; must not start with `aws.`.
   *
   * @default 'ssm-step-watch'
   */
  readonly eventSource?: string;
  /**
   * How long the bus archive keeps this poller's events for replay: a Duration of whole days or a
   * number of days, greater than 0.
   *
   * @default 90 days
   */
  readonly archiveRetention?: Duration | number;
  /**
   * How long transition records and finished executions stay in the table (TTL): a Duration of whole
   * days or a number of days, greater than 0.
   *
   * @default 365 days
   */
  readonly historyRetention?: Duration | number;
  /**
   * The (account, region) pairs to poll, one schedule each. Regions must be known to aws-cdk-lib.
   *
   * @default - one shard: the function's own account and region, invoked with `{}`
   */
  readonly shards?: readonly StepWatchShard[];
  /**
   * Token-bucket rate of the SSM Describe calls per shard (SSM allows about 3 a second).
   *
   * @default 2
   */
  readonly ssmDescribeTps?: number;
  /**
   * Size limit of one PutEvents entry in bytes, from 4096 to 1048576; larger fields are truncated.
   *
   * @default 262144
   */
  readonly maxEntryBytes?: number;
  /**
   * Reserved concurrency of the function; at least one per shard.
   *
   * @default - the number of shards
   */
  readonly reservedConcurrency?: number;
  /**
   * Retention of the function's log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Powertools log level.
   *
   * @default 'INFO'
   */
  readonly logLevel?: StepWatchLogLevel;
  /**
   * Powertools service name; also the `service` dimension of the poller's metrics.
   *
   * @default 'ssm-step-watch'
   */
  readonly serviceName?: string;
  /**
   * CloudWatch namespace of the poller's metrics; must not start with `AWS/`.
   *
   * @default 'SsmStepWatch'
   */
  readonly metricsNamespace?: string;
  /**
   * Customer managed key encrypting the table.
   *
   * @default - the AWS managed DynamoDB key
   */
  readonly tableEncryptionKey?: kms.IKey;
  /**
   * What happens to the table (the audit trail) when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * Directory holding the detail types' JSON Schemas (draft 4), read at synth time.
   *
   * @default - the project's `schemas/` directory
   */
  readonly schemaDirectory?: string;
  /**
   * Announce failure-like transitions and alarms on an SNS topic, with optional e-mail and Slack.
   * The StepWatch alarms publish to the same topic.
   *
   * @default - no topic, no notification
   */
  readonly notifications?: StepWatchNotificationProps;
  /**
   * Read an execution within seconds of a change: SSM's own `aws.ssm` Automation events on the
   * account's default bus (and those a {@link StepWatchHintForwarder} sends from other shards) feed
   * an encrypted queue, and a second function reads the executions they name, under the same shard
   * lease and SSM rate as the schedule. The schedule stays the guarantee: a lost or late hint costs
   * latency, never an event.
   *
   * @default true
   */
  readonly hints?: boolean;
}

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

/** SSM calls the poller makes; neither supports resource-level permissions. */
const SSM_DESCRIBE_ACTIONS = [
  'ssm:DescribeAutomationExecutions',
  'ssm:DescribeAutomationStepExecutions',
] as const;

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** esbuild settings of both functions' bundles. */
const BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  mainFields: ['module', 'main'],
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  minify: true,
  // Error classes name themselves from new.target.name; minified names would make logs unreadable.
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  // Bundle the SDK versions package-lock.json pins rather than whatever the runtime ships.
  externalModules: [],
};

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
  /** One schedule per shard. */
  public readonly schedules: readonly scheduler.Schedule[];
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
    this.schedules = this.createSchedules();
    if (this.settings.hints) this.hints = this.createHints();
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

    const fn = new nodejs.NodejsFunction(this, 'Function', {
      description: 'Polls SSM Automation step executions and emits their transitions to EventBridge',
      entry: join(projectRoot, 'lambda', 'handler.ts'),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // End before the next tick, within Lambda's 15-minute limit.
      timeout: Duration.seconds(Math.min(settings.period.toSeconds() - 5, 900)),
      reservedConcurrentExecutions: settings.reservedConcurrency,
      role,
      logGroup: this.logGroup,
      // A failed poll is not retried: the next tick polls again, and a retry would overlap it.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(Math.max(60, settings.period.toSeconds())),
      deadLetterQueue: this.deadLetterQueue,
      environment: this.pollerEnvironment(),
      bundling: BUNDLING,
    });

    this.grantPollerPermissions(role, this.logGroup);
    return fn;
  }

  /** What both functions read: docs/internals.md lists these variables. */
  private pollerEnvironment(): Record<string, string> {
    const { settings } = this;
    return {
      TABLE_NAME: this.table.tableName,
      EVENT_BUS_NAME: this.bus.eventBusName,
      EVENT_SOURCE: settings.eventSource,
      HISTORY_RETENTION_DAYS: String(settings.historyRetentionDays),
      MAX_ENTRY_BYTES: String(settings.maxEntryBytes),
      SSM_DESCRIBE_TPS: String(settings.ssmDescribeTps),
      POWERTOOLS_SERVICE_NAME: settings.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
      POWERTOOLS_LOG_LEVEL: settings.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    };
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

    // The shards' accounts and regions: SSM's own events, and those forwarded from other shards.
    const shardAccounts = unique(settings.shards.map((shard) => shard.account ?? stack.account));
    const shardRegions = unique(settings.shards.map((shard) => shard.region ?? stack.region));
    const rule = new events.Rule(this, 'HintRule', {
      description: 'SSM Automation status changes of the polled shards, as hints for ssm-step-watch',
      eventPattern: {
        source: [NATIVE_SOURCE],
        detailType: Object.values(NATIVE_DETAIL_TYPES),
        account: shardAccounts,
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

    const logGroup = new logs.LogGroup(this, 'HintFunctionLogs', { retention: settings.logRetention });
    const role = new iam.Role(this, 'HintFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'ssm-step-watch hint reader: SSM Describe calls, its table, its bus, its queue, its log group',
    });
    const fn = new nodejs.NodejsFunction(this, 'HintFunction', {
      description: "Reads the SSM Automation executions SSM's own events name, within seconds",
      entry: join(projectRoot, 'lambda', 'hint-handler.ts'),
      handler: 'hintHandler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: HINT_FUNCTION_TIMEOUT,
      role,
      logGroup,
      environment: {
        ...this.pollerEnvironment(),
        SCHEDULE_PERIOD_SECONDS: String(settings.period.toSeconds()),
        ...(!settings.ownShardOnly && { SHARDS: stack.toJsonString(settings.shards) }),
      },
      bundling: BUNDLING,
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
    const statement = new iam.PolicyStatement({
      sid: 'StepWatchHintsFromShardAccounts',
      principals: accounts.map((account) => new iam.AccountPrincipal(account)),
      actions: ['events:PutEvents'],
      resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
      conditions: {
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
   * A poller's whole policy (the scheduled one's and the hint reader's), written out statement by
   * statement so tests can assert it exactly.
   */
  private grantPollerPermissions(role: iam.Role, logGroup: logs.LogGroup): void {
    const { table, settings } = this;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
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
    if (settings.tableEncryptionKey) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'UseTableKey',
          actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [settings.tableEncryptionKey.keyArn],
        }),
      );
    }
    const shardRoles = settings.shards.flatMap((shard) => (shard.roleArn ? [shard.roleArn] : []));
    if (shardRoles.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'AssumeShardRoles',
          actions: ['sts:AssumeRole'],
          resources: shardRoles,
        }),
      );
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ssm:DescribeAutomationExecutions and ssm:DescribeAutomationStepExecutions support no resource-level permissions, so they can only be granted on *; every other statement names its resource.',
    });
  }

  private createSchedules(): scheduler.Schedule[] {
    const { settings } = this;
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Lets EventBridge Scheduler invoke the ssm-step-watch poller and dead-letter failed ticks',
    });
    const functionLogicalId = stack.getLogicalId(this.function.node.defaultChild as lambda.CfnFunction);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionLogicalId}.Arn>:*]`,
      reason:
        "The Scheduler Lambda target grants lambda:InvokeFunction on the function and its versions (ARN:*); it is this poller's function only.",
    });

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
    const { settings, hints } = this;
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
    };
  }
}
