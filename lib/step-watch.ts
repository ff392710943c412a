// The StepWatch construct: composes the table, bus + archive, schemas, poller and schedules, hints, fan-out, organization, alarms, notifications and dashboard.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
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
import { DETAIL_TYPES, type DetailType } from '../lambda/core/types';
import { METRICS } from '../lambda/runtime/metrics';
import { bundledFunction, pollerEnvironment, pollTimeout, shardSource } from './bundled-function';
import { StepWatchDashboard } from './dashboard';
import { omitRedundantRoleDependencies } from './depends-on';
import { StepWatchConfigError } from './errors';
import { createBusAndArchive, StepWatchSourcePolicy } from './event-bus';
import { type StepWatchFanOut, StepWatchShardFanOut } from './fan-out';
import { StepWatchHintReader, type StepWatchHints } from './hints';
import { StepWatchNotifications } from './notifications';
import { StepWatchOrganizationStackSets } from './organization';
import { grantPollerPermissions } from './poller-policy';
import type { StepWatchProps } from './props';
import { type ResolvedStepWatchProps, resolveStepWatchProps } from './resolved-props';

export { SHARDS_FILE_NAME } from './bundled-function';
export type { StepWatchFanOut } from './fan-out';
export type { StepWatchHints } from './hints';
export type {
  StepWatchLogLevel,
  StepWatchNotificationProps,
  StepWatchOrganization,
  StepWatchProps,
  StepWatchShard,
  StepWatchSlackProps,
} from './props';

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
  /**
   * Hints wait in their dead-letter queue (only with `hints`).
   *
   * @default - none, when `hints` is off
   */
  readonly hintDeadLetters?: cloudwatch.Alarm;
  /**
   * The dispatcher failed (only in the fan-out).
   *
   * @default - none, without the fan-out
   */
  readonly dispatcherErrors?: cloudwatch.Alarm;
  /**
   * Work items failed five times and wait in the work dead-letter queue (only in the fan-out).
   *
   * @default - none, without the fan-out
   */
  readonly workDeadLetters?: cloudwatch.Alarm;
}

/** File name of each detail type's JSON Schema in the schema directory. */
export const SCHEMA_FILES: Readonly<Record<DetailType, string>> = {
  [DETAIL_TYPES.step]: 'step-status-change.schema.json',
  [DETAIL_TYPES.alarm]: 'step-alarm-triggered.schema.json',
  [DETAIL_TYPES.execution]: 'execution-status-change.schema.json',
};

/**
 * A scheduled poller that turns SSM Automation step executions into complete, deduplicated
 * EventBridge events, with its audit trail in DynamoDB.
 *
 * @example
 * const watch = new StepWatch(stack, 'StepWatch', {
 *   schedule: 'rate(1 minute)',
 *   notifications: { emails: ['ops@example.com'] },
 * });
 * new events.Rule(stack, 'Failures', {
 *   eventBus: watch.bus,
 *   eventPattern: { source: ['ssm-step-watch'], detail: { step: { status: ['Failed'] } } },
 * });
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
  public readonly schedules: scheduler.Schedule[];
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
  /** The created bus's policy keeping the poller's source to its roles; undefined with `eventBusName`. */
  private readonly sourcePolicy?: StepWatchSourcePolicy;

  constructor(scope: Construct, id: string, props: StepWatchProps = {}) {
    super(scope, id);
    this.settings = resolveStepWatchProps(this, props);
    const schemas = this.readSchemas();

    this.table = this.createTable();
    this.deadLetterQueue = this.createDeadLetterQueue();
    const { bus, ownBus, archive } = createBusAndArchive(this, this.settings, this.deadLetterQueue);
    this.bus = bus;
    this.archive = archive;
    this.schemaRegistry = this.registerSchemas(schemas);
    this.logGroup = new logs.LogGroup(this, 'FunctionLogs', { retention: this.settings.logRetention });
    this.function = this.createFunction();
    if (this.settings.fanOut) {
      this.fanOut = new StepWatchShardFanOut(this, {
        settings: this.settings,
        table: this.table,
        pollFunction: this.function,
        deadLetterQueue: this.deadLetterQueue,
      });
      this.schedules = [this.createDispatchSchedule(this.fanOut.dispatcher)];
    } else {
      this.schedules = this.createSchedules();
    }
    const hintReader = this.settings.hints
      ? new StepWatchHintReader(this, { settings: this.settings, table: this.table, bus: this.bus })
      : undefined;
    this.hints = hintReader;
    if (ownBus) {
      this.sourcePolicy = new StepWatchSourcePolicy(ownBus, this.settings.eventSource);
      for (const fn of [this.function, ...(hintReader ? [hintReader.function] : [])]) {
        if (fn.role) this.sourcePolicy.admit(fn.role);
      }
    }
    if (this.settings.organization) {
      const readers = [this.function, ...(this.hints ? [this.hints.function] : [])].flatMap((fn) =>
        fn.role ? [fn.role] : [],
      );
      this.organization = StepWatchOrganizationStackSets._create(this, 'Organization', {
        organization: this.settings.organization,
        readers,
        hints: this.settings.hints,
        hintBusName: this.settings.hintBusName,
        logRetention: this.settings.logRetention,
      });
      if (this.organization.organizationId !== undefined && hintReader) {
        hintReader.allowOrganizationHints(this.organization.organizationId);
      }
    }
    this.alarms = this.createAlarms();

    if (this.settings.notifications) {
      this.notifications = StepWatchNotifications._create(this, 'Notifications', {
        settings: this.settings.notifications,
        bus: this.bus,
        eventSource: this.settings.eventSource,
        deadLetterQueue: this.deadLetterQueue,
        table: this.table,
        watch: this.settings,
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
    omitRedundantRoleDependencies(this);
  }

  /**
   * Lets `role` publish events with the poller's source to the bus StepWatch created, which otherwise
   * denies that source to all but the poller's roles: a replay tool or a test publisher. It also gets
   * `events:PutEvents` on the bus. A publisher of another source needs no exception; with
   * `eventBusName` the bus is its owner's and this grants PutEvents only.
   *
   * @example
   * watch.grantSourcePublish(testPublisherRole);
   */
  public grantSourcePublish(role: iam.IRole): iam.Grant {
    this.sourcePolicy?.admit(role);
    return iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['events:PutEvents'],
      resourceArns: [this.bus.eventBusArn],
    });
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
      deletionProtection: this.settings.tableDeletionProtection,
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
    const shards = shardSource(this, settings);
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
        // In the fan-out, the only shards a work item may name.
        ...(settings.fanOut && shards.environment),
        ...(settings.organization && { MEMBER_ROLE_NAME: settings.organization.memberRoleName }),
        ...(settings.backfillDays !== undefined && { BACKFILL_DAYS: String(settings.backfillDays) }),
      },
      ...(settings.fanOut && shards.commandHooks && { commandHooks: shards.commandHooks }),
    });

    grantPollerPermissions(role, this.logGroup, { settings, table: this.table, bus: this.bus });
    return fn;
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
