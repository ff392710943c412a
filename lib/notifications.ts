// The optional notification path: rules on the bus feed an encrypted SNS topic, with e-mail and Slack (AWS Chatbot) on it.
import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DETAIL_TYPES } from '../lambda/core/types';
import type { ResolvedNotifications } from './resolved-props';

export type { StepWatchNotificationProps, StepWatchSlackProps } from './props';

/** What {@link StepWatchNotifications} needs from the surrounding StepWatch. */
export interface StepWatchNotificationsProps {
  /** The validated settings. */
  readonly settings: ResolvedNotifications;
  /** The bus the poller publishes to. */
  readonly bus: events.IEventBus;
  /** The `source` of the poller's events. */
  readonly eventSource: string;
  /** Receives notifications EventBridge could not deliver to the topic. */
  readonly deadLetterQueue: sqs.IQueue;
}

/** `$.detail.<path>` of a StepWatch event, for an input transformer. */
function detail(path: string): string {
  return events.EventField.fromPath(`$.detail.${path}`);
}

/** Link to the execution in the Systems Manager console. */
function consoleLink(): string {
  const region = detail('region');
  return `https://${region}.console.aws.amazon.com/systems-manager/automation/execution/${detail('executionId')}?region=${region}`;
}

/**
 * An AWS Chatbot custom notification (`version` 1.0, `source` custom, client-markdown), threaded per
 * execution. SNS e-mail subscribers receive the same JSON.
 */
function chatbotMessage(
  title: string,
  lines: readonly string[],
  keywords: readonly string[],
): events.RuleTargetInput {
  return events.RuleTargetInput.fromObject({
    version: '1.0',
    source: 'custom',
    id: detail('eventId'),
    content: {
      textType: 'client-markdown',
      title,
      description: [...lines, `*Console:* ${consoleLink()}`].join('\n'),
      keywords,
    },
    metadata: {
      threadId: detail('executionId'),
      summary: title,
      eventType: events.EventField.fromPath('$.detail-type'),
    },
  });
}

/** Chatbot message of a step status change. */
export function stepStatusMessage(): events.RuleTargetInput {
  const status = detail('step.status');
  const stepName = detail('step.stepName');
  return chatbotMessage(
    `SSM Automation step ${stepName} ${status}`,
    [
      `*Runbook:* ${detail('documentName')}`,
      `*Step:* ${stepName} (${detail('step.action')})`,
      `*Status:* ${detail('step.previousStatus')} → ${status}`,
      `*Failure:* ${detail('step.failureMessage')}`,
      `*Execution:* ${detail('executionId')} in ${detail('account')} ${detail('region')}`,
    ],
    [status, detail('documentName')],
  );
}

/** Chatbot message of an execution status change. */
export function executionStatusMessage(): events.RuleTargetInput {
  const status = detail('executionStatus');
  return chatbotMessage(
    `SSM Automation ${detail('documentName')} ${status}`,
    [
      `*Runbook:* ${detail('documentName')}`,
      `*Status:* ${detail('previousStatus')} → ${status}`,
      `*Failure:* ${detail('failureMessage')}`,
      `*Execution:* ${detail('executionId')} in ${detail('account')} ${detail('region')}`,
    ],
    [status, detail('documentName')],
  );
}

/** Chatbot message of an alarm raised during an execution (the step may be null, so it is not read). */
export function alarmMessage(): events.RuleTargetInput {
  const alarmName = detail('alarm.name');
  return chatbotMessage(
    `Alarm ${alarmName} triggered during SSM Automation ${detail('documentName')}`,
    [
      `*Runbook:* ${detail('documentName')}`,
      `*Alarm:* ${alarmName} (${detail('alarm.state')})`,
      `*Execution:* ${detail('executionId')} (${detail('executionStatus')}) in ${detail('account')} ${detail('region')}`,
    ],
    ['ALARM', detail('documentName')],
  );
}

/**
 * The notification path of a StepWatch: three rules on the bus (failure-like step statuses,
 * failure-like execution statuses, every alarm event) turn events into AWS Chatbot custom
 * notifications on a KMS-encrypted SNS topic, which fans out to e-mail and Slack.
 */
export class StepWatchNotifications extends Construct {
  /** The topic every notification and every StepWatch alarm is published to. */
  public readonly topic: sns.Topic;
  /** The rules feeding the topic, by detail type. */
  public readonly rules: {
    readonly step: events.Rule;
    readonly execution: events.Rule;
    readonly alarm: events.Rule;
  };
  /** The Slack channel configuration, when Slack is configured. */
  public readonly slackChannel?: chatbot.SlackChannelConfiguration;

  constructor(scope: Construct, id: string, props: StepWatchNotificationsProps) {
    super(scope, id);
    const { settings, bus, eventSource, deadLetterQueue } = props;
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

    const target = (message: events.RuleTargetInput) =>
      new targets.SnsTopic(this.topic, { message, deadLetterQueue, maxEventAge: Duration.hours(6) });
    const statuses = [...settings.statuses];
    this.rules = {
      step: new events.Rule(this, 'StepStatusRule', {
        description: 'Failure-like SSM Automation step statuses to the notification topic',
        eventBus: bus,
        eventPattern: {
          source: [eventSource],
          detailType: [DETAIL_TYPES.step],
          detail: { step: { status: statuses } },
        },
        targets: [target(stepStatusMessage())],
      }),
      execution: new events.Rule(this, 'ExecutionStatusRule', {
        description: 'Failure-like SSM Automation execution statuses to the notification topic',
        eventBus: bus,
        eventPattern: {
          source: [eventSource],
          detailType: [DETAIL_TYPES.execution],
          detail: { executionStatus: statuses },
        },
        targets: [target(executionStatusMessage())],
      }),
      alarm: new events.Rule(this, 'AlarmRule', {
        description: 'Alarms raised during SSM Automation executions to the notification topic',
        eventBus: bus,
        eventPattern: { source: [eventSource], detailType: [DETAIL_TYPES.alarm] },
        targets: [target(alarmMessage())],
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
}
