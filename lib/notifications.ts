// The optional notification path: rules on the bus feed the notify function, which digests runs with children, escapes SSM's text and publishes to an encrypted SNS topic, with e-mail and Slack (AWS Chatbot) on it.
import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NOTIFY_KEY_PREFIX } from '../lambda/adapters/dynamodb/notification-store';
import { executionRuleStatuses } from '../lambda/core/notifications/digest';
import { DETAIL_TYPES } from '../lambda/core/types';
import { bundledFunction } from './bundled-function';
import { grantOwnLogs, grantTableKey } from './poller-policy';
import type { ResolvedNotifications, ResolvedStepWatchProps } from './resolved-props';

/** Timeout of the notify function: a few table reads and writes and a publish or two. */
const NOTIFY_FUNCTION_TIMEOUT = Duration.seconds(30);

export type { StepWatchNotificationProps, StepWatchSlackProps } from './props';

/** What {@link StepWatchNotifications} needs from the surrounding StepWatch. */
export interface StepWatchNotificationsProps {
  /** The validated settings. */
  readonly settings: ResolvedNotifications;
  /** The bus the poller publishes to. */
  readonly bus: events.IEventBus;
  /** The `source` of the poller's events. */
  readonly eventSource: string;
  /** Receives events EventBridge could not deliver to the notify function, and those it failed on. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The StepWatch's table: the notify function keeps each thread's state there (`NOTIFY#` items). */
  readonly table: dynamodb.ITable;
  /** The StepWatch's settings: log retention and level, Powertools names, the table's key. */
  readonly watch: ResolvedStepWatchProps;
}

/** The rules of {@link StepWatchNotifications} feeding the notify function, one per detail type. */
export interface StepWatchNotificationRules {
  /** Failure-like step statuses. */
  readonly step: events.Rule;
  /** Failure-like and final execution statuses. */
  readonly execution: events.Rule;
  /** Every alarm event. */
  readonly alarm: events.Rule;
}

/**
 * The notification path of a StepWatch: three rules on the bus (failure-like step statuses,
 * failure-like and final execution statuses, every alarm event) invoke the notify function, which
 * turns them into messages — one per failure of a plain run, a digest for a run with child executions
 * — with SSM's text escaped, and publishes each to a KMS-encrypted SNS topic as an AWS Chatbot custom
 * notification (Slack) and a plain-text e-mail.
 */
export class StepWatchNotifications extends Construct {
  /** The topic every notification and every StepWatch alarm is published to. */
  public readonly topic: sns.Topic;
  /** The function that formats, digests and publishes notifications. */
  public readonly function: nodejs.NodejsFunction;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;
  /** The rules feeding the notify function, by detail type. */
  public readonly rules: StepWatchNotificationRules;
  /** The Slack channel configuration, when Slack is configured. */
  public readonly slackChannel?: chatbot.SlackChannelConfiguration;

  /**
   * Creates the notification path of a StepWatch. Only StepWatch makes one: its props are the StepWatch's
   * validated settings, which are no public API (and jsii cannot model them).
   *
   * @internal
   */
  public static _create(
    scope: Construct,
    id: string,
    props: StepWatchNotificationsProps,
  ): StepWatchNotifications {
    return new StepWatchNotifications(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: StepWatchNotificationsProps) {
    super(scope, id);
    const { settings, bus, eventSource, deadLetterQueue, table, watch } = props;
    const { account, region, partition } = Stack.of(this);

    const topicKey =
      settings.topicKey ??
      new kms.Key(this, 'TopicKey', {
        description: 'Encrypts the ssm-step-watch notification topic',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.DESTROY,
        pendingWindow: Duration.days(7),
      });
    // EventBridge's grant comes with the rule target below; CloudWatch alarm actions need their own.
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'SSM Automation step-watch notifications',
      masterKey: topicKey,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': account },
        },
      }),
    );

    this.logGroup = new logs.LogGroup(this, 'FunctionLogs', { retention: watch.logRetention });
    this.function = this.createFunction(settings, watch, table, topicKey, deadLetterQueue);
    const target = () =>
      new targets.LambdaFunction(this.function, {
        deadLetterQueue,
        maxEventAge: Duration.hours(6),
        retryAttempts: 8,
      });
    const statuses = [...settings.statuses];
    this.rules = {
      step: new events.Rule(this, 'StepStatusRule', {
        description: 'Failure-like SSM Automation step statuses to the notify function',
        eventBus: bus,
        eventPattern: {
          source: [eventSource],
          detailType: [DETAIL_TYPES.step],
          detail: { step: { status: statuses } },
        },
        targets: [target()],
      }),
      execution: new events.Rule(this, 'ExecutionStatusRule', {
        description:
          'Failure-like and final SSM Automation execution statuses to the notify function (a run with children is counted and summarised)',
        eventBus: bus,
        eventPattern: {
          source: [eventSource],
          detailType: [DETAIL_TYPES.execution],
          detail: { executionStatus: executionRuleStatuses(statuses) },
        },
        targets: [target()],
      }),
      alarm: new events.Rule(this, 'AlarmRule', {
        description: 'Alarms raised during SSM Automation executions to the notify function',
        eventBus: bus,
        eventPattern: { source: [eventSource], detailType: [DETAIL_TYPES.alarm] },
        targets: [target()],
      }),
    };

    for (const email of settings.emails)
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    if (settings.slack) {
      const role = new iam.Role(this, 'ChatbotRole', {
        assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
        description: 'Lets AWS Chatbot render the CloudWatch alarms it posts; nothing else',
      });
      // The statement AWS documents for notification-only channels (AWS-Chatbot-NotificationsOnly-Policy).
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*'],
          resources: ['*'],
        }),
      );
      const reason =
        'Chatbot renders alarm notifications with the read-only CloudWatch actions AWS documents for notification-only channels; CloudWatch Describe/Get/List calls for graphs and alarm lookups are not scoped to resources.';
      Validations.of(role).acknowledge(
        { id: 'AwsSolutions-IAM5[Action::cloudwatch:Describe*]', reason },
        { id: 'AwsSolutions-IAM5[Action::cloudwatch:Get*]', reason },
        { id: 'AwsSolutions-IAM5[Action::cloudwatch:List*]', reason },
        { id: 'AwsSolutions-IAM5[Resource::*]', reason },
      );
      this.slackChannel = new chatbot.SlackChannelConfiguration(this, 'SlackChannel', {
        slackChannelConfigurationName:
          settings.slack.channelConfigurationName ??
          Names.uniqueResourceName(this, { maxLength: 128, separator: '-', allowedSpecialCharacters: '-_' }),
        slackWorkspaceId: settings.slack.workspaceId,
        slackChannelId: settings.slack.channelId,
        notificationTopics: [this.topic],
        role,
        guardrailPolicies: [
          ...(settings.slack.guardrailPolicies ?? [
            iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess'),
          ]),
        ],
        loggingLevel: chatbot.LoggingLevel.ERROR,
        userRoleRequired: false,
      });
    }
  }

  /**
   * The notify function and its role: its own logs, its own table items (`NOTIFY#` partitions),
   * publishing to the topic with its key.
   */
  private createFunction(
    settings: ResolvedNotifications,
    watch: ResolvedStepWatchProps,
    table: dynamodb.ITable,
    topicKey: kms.IKey,
    deadLetterQueue: sqs.IQueue,
  ): nodejs.NodejsFunction {
    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ssm-step-watch notify function: its notification items, the topic, its log group',
    });
    grantOwnLogs(role, this.logGroup);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteNotificationItems',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${NOTIFY_KEY_PREFIX}*`] } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishNotifications',
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UseTopicKey',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [topicKey.keyArn],
      }),
    );
    grantTableKey(role, watch);
    return bundledFunction(this, 'Function', {
      handlerFile: 'notify',
      handler: 'notifyHandler',
      description: 'Turns StepWatch events into notifications: digests, escaped text, Slack and e-mail',
      memorySize: 256,
      timeout: NOTIFY_FUNCTION_TIMEOUT,
      role,
      logGroup: this.logGroup,
      // One invocation at a time: a poll cycle's burst of a run's events would otherwise race on the
      // run's one NOTIFY# item (the version check stays as the guard). EventBridge invokes the function
      // asynchronously, and Lambda keeps a throttled asynchronous event queued and retries it for up to
      // its maximum event age, so the burst waits its turn rather than being dropped.
      reservedConcurrentExecutions: 1,
      maxEventAge: Duration.hours(6),
      // A failed invocation is tried again (the thread's unsent messages go out then), then dead-lettered.
      retryAttempts: 2,
      deadLetterQueue,
      environment: {
        TABLE_NAME: table.tableName,
        TOPIC_ARN: this.topic.topicArn,
        NOTIFY_STATUSES: settings.statuses.join(','),
        DIGEST_INTERVAL_SECONDS: String(settings.digestIntervalSeconds),
        PER_CHILD_MESSAGES: settings.perChildMessages ? 'on' : 'off',
        POWERTOOLS_SERVICE_NAME: watch.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: watch.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: watch.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
  }
}
