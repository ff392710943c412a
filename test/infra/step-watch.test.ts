// Targeted template assertions on the StepWatch construct: IAM, table, function, schedules, bus, schemas, alarms, notifications.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput } from '../../lambda/adapters/dynamodb/create-table';
import { INDEXES, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../../lambda/adapters/dynamodb/schema';
import { FAILURE_STATUSES, TERMINAL_STATUSES } from '../../lambda/core/status';
import { StepWatchLogLevel } from '../../lib/props';
import { SCHEMA_FILES } from '../../lib/step-watch';
import { createInfraFixture, type InfraFixture } from './fixture';

const SHARD_ROLE = 'arn:aws:iam::111122223333:role/StepWatchReader';
const TABLE_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab';

type StackKey = 'defaults' | 'full' | 'emailOnly' | 'hourly' | 'oneShard';

let fixture: InfraFixture<StackKey>;

beforeAll(() => {
  fixture = createInfraFixture((app) => ({
    defaults: {},
    full: {
      env: { account: '123456789012', region: 'eu-west-1' },
      schedule: 'rate(5 minutes)',
      eventBusName: 'platform-events',
      eventSource: 'acme.step-watch',
      historyRetention: Duration.days(30),
      archiveRetention: 7,
      shards: [
        { region: 'eu-west-1' },
        { account: '111122223333', region: 'us-east-1', roleArn: SHARD_ROLE },
      ],
      ssmDescribeTps: 1,
      maxEntryBytes: 1_048_576,
      backfillDays: 30,
      logRetention: RetentionDays.ONE_WEEK,
      logLevel: StepWatchLogLevel.DEBUG,
      tableEncryptionKey: kms.Key.fromKeyArn(new Stack(app, 'Imports'), 'TableKey', TABLE_KEY),
      notifications: {
        emails: ['ops@example.com'],
        slack: {
          workspaceId: 'T0123ABCD',
          channelId: 'C0123ABCD',
          channelConfigurationName: 'step-watch-ops',
        },
      },
    },
    emailOnly: {
      notifications: {
        statuses: ['Failed'],
        emails: ['a@example.com', 'b@example.com'],
        digestInterval: Duration.minutes(5),
        perChildMessages: true,
      },
    },
    hourly: { schedule: 'rate(1 hour)' },
    oneShard: {
      env: { account: '123456789012', region: 'eu-west-1' },
      shards: [{ account: '111122223333', region: 'us-east-1', roleArn: SHARD_ROLE }],
      reservedConcurrency: 2,
      hints: false,
    },
  }));
});

afterAll(() => fixture.cleanup());

/** The intrinsic (Ref / GetAtt / Join) a token of the given stack resolves to. */
function resolve(key: StackKey, value: unknown): unknown {
  return fixture.stacks[key].resolve(value);
}

describe('Class: StepWatch', () => {
  describe('table', () => {
    it('uses the keys, TTL and indexes of dynamodb/schema.ts', () => {
      // Prepare
      const indexKeys = INDEXES.flatMap((index) => [index.partitionKey.name, index.sortKey.name]);
      const attributeNames = [...new Set([PARTITION_KEY.name, SORT_KEY.name, ...indexKeys])];

      // Assess
      fixture.templates.defaults.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: Match.arrayEquals([
          { AttributeName: PARTITION_KEY.name, KeyType: 'HASH' },
          { AttributeName: SORT_KEY.name, KeyType: 'RANGE' },
        ]),
        AttributeDefinitions: Match.arrayEquals(
          attributeNames.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        ),
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        GlobalSecondaryIndexes: Match.arrayEquals(
          INDEXES.map((index) =>
            Match.objectEquals({
              IndexName: index.indexName,
              KeySchema: [
                { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
                { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            }),
          ),
        ),
      });
    });

    it('declares the keys, indexes and billing that createTable creates locally', () => {
      // Prepare
      const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } =
        createTableInput('any');

      // Assess
      fixture.templates.defaults.hasResourceProperties('AWS::DynamoDB::Table', {
        AttributeDefinitions: Match.exact(AttributeDefinitions),
        KeySchema: Match.exact(KeySchema),
        GlobalSecondaryIndexes: Match.exact(GlobalSecondaryIndexes),
        BillingMode,
      });
    });

    it('is on-demand, point-in-time recoverable, encrypted and retained', () => {
      fixture.templates.defaults.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: Match.objectEquals({ SSEEnabled: true }),
        }),
      });
    });

    it('uses the customer managed key when one is given', () => {
      fixture.templates.full.hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: TABLE_KEY },
      });
    });
  });

  describe('function', () => {
    it('runs the bundled handler on the newest Node.js runtime on ARM', () => {
      fixture.templates.defaults.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 55,
        ReservedConcurrentExecutions: 1,
        DeadLetterConfig: {
          TargetArn: resolve('defaults', fixture.stacks.defaults.stepWatch.deadLetterQueue.queueArn),
        },
        LoggingConfig: {
          LogGroup: resolve('defaults', fixture.stacks.defaults.stepWatch.logGroup.logGroupName),
        },
      });
    });

    it('sets the environment docs/internals.md describes, with the defaults', () => {
      const { stepWatch } = fixture.stacks.defaults;
      fixture.templates.defaults.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectEquals({
            TABLE_NAME: resolve('defaults', stepWatch.table.tableName),
            EVENT_BUS_NAME: resolve('defaults', stepWatch.bus.eventBusName),
            EVENT_SOURCE: 'ssm-step-watch',
            HISTORY_RETENTION_DAYS: '365',
            MAX_ENTRY_BYTES: '262144',
            SSM_DESCRIBE_TPS: '2',
            HINTS: 'on',
            POWERTOOLS_SERVICE_NAME: 'ssm-step-watch',
            POWERTOOLS_METRICS_NAMESPACE: 'SsmStepWatch',
            POWERTOOLS_LOG_LEVEL: 'INFO',
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    });

    it('tells the poll function when hints are off, so its cycles leave the hint inbox alone', () => {
      fixture.templates.oneShard.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Environment: { Variables: Match.objectLike({ HINTS: 'off' }) },
      });
    });

    it('passes the configured values through the environment', () => {
      fixture.templates.full.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Timeout: 295,
        ReservedConcurrentExecutions: Match.absent(),
        Environment: {
          Variables: Match.objectLike({
            EVENT_BUS_NAME: 'platform-events',
            EVENT_SOURCE: 'acme.step-watch',
            HISTORY_RETENTION_DAYS: '30',
            MAX_ENTRY_BYTES: '1048576',
            SSM_DESCRIBE_TPS: '1',
            POWERTOOLS_LOG_LEVEL: 'DEBUG',
            BACKFILL_DAYS: '30',
          }),
        },
      });
    });

    it('gives BACKFILL_DAYS to the poll function only, and only with backfillDays', () => {
      fixture.templates.full.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.hintHandler',
        Environment: { Variables: Match.objectLike({ BACKFILL_DAYS: Match.absent() }) },
      });
      for (const key of ['defaults', 'oneShard', 'hourly'] as const) {
        expect(
          fixture.templates[key].findResources('AWS::Lambda::Function', {
            Properties: { Environment: { Variables: { BACKFILL_DAYS: Match.anyValue() } } },
          }),
        ).toEqual({});
      }
    });

    it('keeps the timeout within the 15 minutes Lambda allows on an hourly schedule', () => {
      fixture.templates.hourly.hasResourceProperties('AWS::Lambda::Function', { Timeout: 900 });
      fixture.templates.hourly.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 hour)',
      });
      fixture.templates.hourly.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Invocations',
        Period: 7200,
      });
    });

    it('does not retry a failed poll and drops a tick older than one period', () => {
      fixture.templates.defaults.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
      fixture.templates.full.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 300,
      });
    });

    it('keeps its logs for the configured retention', () => {
      fixture.templates.defaults.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      fixture.templates.full.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    });
  });

  describe('IAM', () => {
    it('grants the poller exactly the statements it needs', () => {
      // Prepare
      const { stepWatch } = fixture.stacks.defaults;
      const tableArn = resolve('defaults', stepWatch.table.tableArn);

      // Assess
      fixture.templates.defaults.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [resolve('defaults', stepWatch.function.role?.roleName)],
        PolicyDocument: {
          Statement: Match.arrayEquals([
            Match.objectEquals({
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Resource: resolve('defaults', stepWatch.deadLetterQueue.queueArn),
            }),
            Match.objectEquals({
              Sid: 'WriteOwnLogs',
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: resolve('defaults', stepWatch.logGroup.logGroupArn),
            }),
            Match.objectEquals({
              Sid: 'DescribeAutomations',
              Effect: 'Allow',
              Action: ['ssm:DescribeAutomationExecutions', 'ssm:DescribeAutomationStepExecutions'],
              Resource: '*',
            }),
            Match.objectEquals({
              Sid: 'ReadWriteTableItems',
              Effect: 'Allow',
              Action: [
                'dynamodb:BatchGetItem',
                'dynamodb:BatchWriteItem',
                'dynamodb:GetItem',
                'dynamodb:PutItem',
                'dynamodb:Query',
                'dynamodb:UpdateItem',
              ],
              Resource: tableArn,
            }),
            Match.objectEquals({
              Sid: 'QueryTableIndexes',
              Effect: 'Allow',
              Action: 'dynamodb:Query',
              Resource: INDEXES.map((index) => ({
                'Fn::Join': ['', [tableArn, `/index/${index.indexName}`]],
              })),
            }),
            Match.objectEquals({
              Sid: 'PublishEvents',
              Effect: 'Allow',
              Action: 'events:PutEvents',
              Resource: resolve('defaults', stepWatch.bus.eventBusArn),
            }),
          ]),
        },
      });
    });

    it('adds the table key and only the configured shard roles', () => {
      const { stepWatch } = fixture.stacks.full;
      fixture.templates.full.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [resolve('full', stepWatch.function.role?.roleName)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectEquals({
              Sid: 'PublishEvents',
              Effect: 'Allow',
              Action: 'events:PutEvents',
              Resource: {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':events:eu-west-1:123456789012:event-bus/platform-events',
                  ],
                ],
              },
            }),
            Match.objectEquals({
              Sid: 'UseTableKey',
              Effect: 'Allow',
              Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
              Resource: TABLE_KEY,
            }),
            Match.objectEquals({
              Sid: 'AssumeShardRoles',
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Resource: SHARD_ROLE,
              Condition: { StringEquals: { 'aws:ResourceAccount': ['111122223333'] } },
            }),
          ]),
        },
      });
    });

    it('never grants sts:AssumeRole without shard roles', () => {
      const policies = JSON.stringify(fixture.templates.defaults.findResources('AWS::IAM::Policy'));
      expect(policies).not.toContain('sts:AssumeRole');
    });

    it('gives the function role no managed policy', () => {
      fixture.templates.defaults.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        },
        ManagedPolicyArns: Match.absent(),
      });
    });

    it('lets the scheduler invoke only the poller and write only to the dead-letter queue', () => {
      const { stepWatch } = fixture.stacks.defaults;
      const functionArn = resolve('defaults', stepWatch.function.functionArn);
      fixture.templates.defaults.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayEquals([
            Match.objectEquals({
              Effect: 'Allow',
              Action: 'lambda:InvokeFunction',
              Resource: [functionArn, { 'Fn::Join': ['', [functionArn, ':*']] }],
            }),
            Match.objectEquals({
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Resource: resolve('defaults', stepWatch.deadLetterQueue.queueArn),
            }),
          ]),
        },
      });
    });
  });

  describe('schedule', () => {
    it('polls the own account every minute with input {}, retries and a dead-letter queue', () => {
      const { stepWatch } = fixture.stacks.defaults;
      fixture.templates.defaults.resourceCountIs('AWS::Scheduler::Schedule', 1);
      fixture.templates.defaults.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: resolve('defaults', stepWatch.function.functionArn),
          Input: '{}',
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
          DeadLetterConfig: { Arn: resolve('defaults', stepWatch.deadLetterQueue.queueArn) },
        },
      });
    });

    it('invokes the function with its one explicit shard as input, under the reserved concurrency', () => {
      const shard = { account: '111122223333', region: 'us-east-1', roleArn: SHARD_ROLE };
      fixture.templates.oneShard.resourceCountIs('AWS::Scheduler::Schedule', 1);
      fixture.templates.oneShard.hasResourceProperties('AWS::Scheduler::Schedule', {
        Target: {
          Arn: resolve('oneShard', fixture.stacks.oneShard.stepWatch.function.functionArn),
          Input: JSON.stringify({ shard }),
        },
      });
      fixture.templates.oneShard.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        ReservedConcurrentExecutions: 2,
      });
      fixture.templates.oneShard.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    });

    it('has one schedule for several shards, invoking the dispatcher with {}', () => {
      const { fanOut } = fixture.stacks.full.stepWatch;
      fixture.templates.full.resourceCountIs('AWS::Scheduler::Schedule', 1);
      fixture.templates.full.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(5 minutes)',
        Target: {
          Arn: resolve('full', fanOut?.dispatcher.functionArn),
          Input: '{}',
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
        },
      });
    });
  });

  describe('dashboard', () => {
    it('adds one dashboard with the poller metrics and the dead-letter queue', () => {
      const template = fixture.templates.defaults;
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
      for (const name of [
        'OldestExecutionStalenessSeconds',
        'StepStatusEvents',
        'FailureEvents',
        'AlarmEvents',
      ]) {
        expect(body).toContain(name);
      }
      expect(body).toContain('ApproximateNumberOfMessagesVisible');
    });
  });

  describe('dead-letter queue', () => {
    it('is encrypted and refuses plain HTTP', () => {
      const { stepWatch } = fixture.stacks.defaults;
      fixture.templates.defaults.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      fixture.templates.defaults.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [resolve('defaults', stepWatch.deadLetterQueue.queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('bus', () => {
    it('creates a bus with an archive of its own events by default', () => {
      const { stepWatch } = fixture.stacks.defaults;
      fixture.templates.defaults.resourceCountIs('AWS::Events::EventBus', 1);
      fixture.templates.defaults.hasResourceProperties('AWS::Events::Archive', {
        SourceArn: resolve('defaults', stepWatch.bus.eventBusArn),
        EventPattern: { source: ['ssm-step-watch'] },
        RetentionDays: 90,
      });
    });

    it('archives on an existing bus without creating one (the one bus made is the hint bus)', () => {
      fixture.templates.full.resourceCountIs('AWS::Events::EventBus', 1);
      fixture.templates.full.hasResourceProperties('AWS::Events::EventBus', { Name: 'ssm-step-watch-hints' });
      fixture.templates.full.hasResourceProperties('AWS::Events::Archive', {
        SourceArn: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:123456789012:event-bus/platform-events'],
          ],
        },
        EventPattern: { source: ['acme.step-watch'] },
        RetentionDays: 7,
      });
    });
  });

  describe('schema registry', () => {
    it('registers the three JSON Schemas as draft 4, content read from schemas/', () => {
      // Prepare
      const registry = resolve('defaults', fixture.stacks.defaults.stepWatch.schemaRegistry.attrRegistryName);
      const schemaDir = join(import.meta.dirname, '..', '..', 'schemas');

      // Assess
      fixture.templates.defaults.resourceCountIs('AWS::EventSchemas::Registry', 1);
      fixture.templates.defaults.resourceCountIs('AWS::EventSchemas::Schema', 3);
      for (const [detailType, file] of Object.entries(SCHEMA_FILES)) {
        fixture.templates.defaults.hasResourceProperties('AWS::EventSchemas::Schema', {
          RegistryName: registry,
          SchemaName: `ssm-step-watch@${detailType.replace(/ /g, '')}`,
          Type: 'JSONSchemaDraft4',
          Content: JSON.stringify(JSON.parse(readFileSync(join(schemaDir, file), 'utf8'))),
        });
      }
    });
  });

  describe('alarms', () => {
    it('alarms on function errors', () => {
      fixture.templates.defaults.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms on messages in the dead-letter queue', () => {
      fixture.templates.defaults.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('alarms when the oldest in-flight execution is staler than three periods', () => {
      fixture.templates.defaults.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'SsmStepWatch',
        MetricName: 'OldestExecutionStalenessSeconds',
        Dimensions: [{ Name: 'service', Value: 'ssm-step-watch' }],
        Statistic: 'Maximum',
        Threshold: 180,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      fixture.templates.full.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'OldestExecutionStalenessSeconds',
        Threshold: 900,
      });
    });

    it('alarms when the poller is not invoked at all', () => {
      fixture.templates.defaults.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Invocations',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
    });

    it('publishes every alarm to the topic when notifications are on, and nowhere otherwise', () => {
      const topicArn = resolve('full', fixture.stacks.full.stepWatch.topic?.topicArn);
      const alarms = fixture.templates.full.findResources('AWS::CloudWatch::Alarm');
      // Five alarms plus the fan-out's two (dispatcher errors, work dead letters).
      expect(Object.values(alarms).map((alarm) => alarm.Properties.AlarmActions)).toEqual(
        Array(7).fill([topicArn]),
      );
      fixture.templates.defaults.resourceCountIs('AWS::CloudWatch::Alarm', 5);
      fixture.templates.defaults.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: Match.absent(),
      });
    });
  });

  describe('notifications', () => {
    it('creates nothing to notify with when notifications are off', () => {
      for (const type of ['AWS::SNS::Topic', 'AWS::Chatbot::SlackChannelConfiguration']) {
        fixture.templates.defaults.resourceCountIs(type, 0);
      }
      // The one rule left is the hint rule on the default bus.
      const rules = Object.values(fixture.templates.defaults.findResources('AWS::Events::Rule'));
      expect(
        rules.map((rule) => [rule.Properties.EventBusName, rule.Properties.EventPattern.source]),
      ).toEqual([[undefined, ['aws.ssm']]]);
    });

    it('encrypts the topic with a rotated customer managed key and refuses plain HTTP', () => {
      const { stepWatch } = fixture.stacks.full;
      fixture.templates.full.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      fixture.templates.full.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('TopicKey'), 'Arn'] }),
      });
      fixture.templates.full.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [resolve('full', stepWatch.topic?.topicArn)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Sid: 'AllowCloudWatchAlarmsToPublish',
              Action: 'sns:Publish',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
            }),
          ]),
        },
      });
    });

    it('routes failure-like step statuses from its own source to the topic', () => {
      fixture.templates.full.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: 'platform-events',
        EventPattern: Match.objectEquals({
          source: ['acme.step-watch'],
          'detail-type': ['Automation Step Status Change'],
          detail: { step: { status: [...FAILURE_STATUSES] } },
        }),
      });
    });

    it('routes failure-like and final execution statuses on detail.executionStatus, so runs with children are summarised', () => {
      fixture.templates.full.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectEquals({
          source: ['acme.step-watch'],
          'detail-type': ['Automation Execution Status Change'],
          detail: { executionStatus: [...new Set([...FAILURE_STATUSES, ...TERMINAL_STATUSES])] },
        }),
      });
    });

    it('routes every alarm event', () => {
      fixture.templates.full.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectEquals({
          source: ['acme.step-watch'],
          'detail-type': ['Automation Step Alarm Triggered'],
        }),
      });
    });

    it('uses the configured statuses', () => {
      fixture.templates.emailOnly.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({ detail: { step: { status: ['Failed'] } } }),
      });
    });

    it('sends every notification rule to the notify function, with a dead-letter queue and retries', () => {
      const { stepWatch } = fixture.stacks.full;
      const rules = Object.values(fixture.templates.full.findResources('AWS::Events::Rule')).filter(
        (rule) => rule.Properties.EventBusName === 'platform-events',
      );
      expect(rules).toHaveLength(3);
      for (const rule of rules) {
        expect(rule.Properties.Targets).toEqual([
          expect.objectContaining({
            Arn: resolve('full', stepWatch.notifications?.function.functionArn),
            DeadLetterConfig: { Arn: resolve('full', stepWatch.deadLetterQueue.queueArn) },
            RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 8 },
          }),
        ]);
        expect(rule.Properties.Targets[0].InputTransformer).toBeUndefined();
      }
    });

    it('configures the notify function with the topic, the statuses, the digest interval and a log retention', () => {
      const { stepWatch } = fixture.stacks.full;
      fixture.templates.full.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.notifyHandler',
        Timeout: 30,
        Environment: {
          Variables: Match.objectLike({
            TABLE_NAME: resolve('full', stepWatch.table.tableName),
            TOPIC_ARN: resolve('full', stepWatch.topic?.topicArn),
            NOTIFY_STATUSES: FAILURE_STATUSES.join(','),
            DIGEST_INTERVAL_SECONDS: '900',
            PER_CHILD_MESSAGES: 'off',
          }),
        },
        DeadLetterConfig: { TargetArn: resolve('full', stepWatch.deadLetterQueue.queueArn) },
      });
      fixture.templates.emailOnly.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.notifyHandler',
        Environment: {
          Variables: Match.objectLike({ DIGEST_INTERVAL_SECONDS: '300', PER_CHILD_MESSAGES: 'on' }),
        },
      });
      fixture.templates.full.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: Match.absent(),
        RetentionInDays: 7,
      });
    });

    it('runs one notify invocation at a time, throttled events waiting up to six hours before the retries and the dead-letter queue', () => {
      const { stepWatch } = fixture.stacks.full;
      fixture.templates.full.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.notifyHandler',
        ReservedConcurrentExecutions: 1,
      });
      fixture.templates.full.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: resolve('full', stepWatch.notifications?.function.functionName),
        MaximumEventAgeInSeconds: 21600,
        MaximumRetryAttempts: 2,
      });
    });

    it('lets the notify function touch only its own items, publish to the topic and use its key', () => {
      const { stepWatch } = fixture.stacks.full;
      fixture.templates.full.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [resolve('full', stepWatch.notifications?.function.role?.roleName)],
        PolicyDocument: {
          Statement: Match.arrayEquals([
            Match.objectLike({ Sid: 'WriteOwnLogs' }),
            Match.objectEquals({
              Sid: 'ReadWriteNotificationItems',
              Effect: 'Allow',
              Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
              Resource: resolve('full', stepWatch.table.tableArn),
              Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['NOTIFY#*'] } },
            }),
            Match.objectEquals({
              Sid: 'PublishNotifications',
              Effect: 'Allow',
              Action: 'sns:Publish',
              Resource: resolve('full', stepWatch.topic?.topicArn),
            }),
            Match.objectLike({
              Sid: 'UseTopicKey',
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            }),
            Match.objectLike({ Sid: 'UseTableKey', Resource: TABLE_KEY }),
            // Lambda's own dead-letter queue, for events the function failed on after its retries.
            Match.objectLike({
              Action: 'sqs:SendMessage',
              Resource: resolve('full', stepWatch.deadLetterQueue.queueArn),
            }),
          ]),
        },
      });
    });

    it('subscribes each e-mail address', () => {
      fixture.templates.emailOnly.resourceCountIs('AWS::SNS::Subscription', 2);
      for (const email of ['a@example.com', 'b@example.com']) {
        fixture.templates.emailOnly.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'email',
          Endpoint: email,
        });
      }
    });

    it('configures the Slack channel on the topic with read-only guardrails', () => {
      const { stepWatch } = fixture.stacks.full;
      fixture.templates.full.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
        ConfigurationName: 'step-watch-ops',
        SlackWorkspaceId: 'T0123ABCD',
        SlackChannelId: 'C0123ABCD',
        SnsTopicArns: [resolve('full', stepWatch.topic?.topicArn)],
        IamRoleArn: resolve('full', stepWatch.notifications?.slackChannel?.role?.roleArn),
        GuardrailPolicies: [
          resolve(
            'full',
            iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess').managedPolicyArn,
          ),
        ],
        LoggingLevel: 'ERROR',
        UserRoleRequired: false,
      });
      fixture.templates.full.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [resolve('full', stepWatch.notifications?.slackChannel?.role?.roleName)],
        PolicyDocument: {
          Statement: Match.arrayEquals([
            Match.objectEquals({
              Effect: 'Allow',
              Action: ['cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*'],
              Resource: '*',
            }),
          ]),
        },
      });
    });

    it('has no Chatbot configuration without Slack props', () => {
      fixture.templates.emailOnly.resourceCountIs('AWS::SNS::Topic', 1);
      fixture.templates.emailOnly.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
    });
  });

  describe('outputs', () => {
    it('outputs the table, bus and topic', () => {
      const { stepWatch } = fixture.stacks.full;
      fixture.templates.full.hasOutput('TableName', { Value: resolve('full', stepWatch.table.tableName) });
      fixture.templates.full.hasOutput('EventBusName', { Value: 'platform-events' });
      fixture.templates.full.hasOutput('TopicArn', { Value: resolve('full', stepWatch.topic?.topicArn) });
      expect(fixture.templates.defaults.findOutputs('TopicArn')).toEqual({});
    });
  });

  describe('bundle', () => {
    it('writes the ESM handler bundle with its source map into the cloud assembly', () => {
      const dir = fixture.functionAssetDir('defaults');
      const bundle = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(bundle).toMatch(/createRequire/);
      expect(readFileSync(join(dir, 'index.mjs.map'), 'utf8')).toMatch(/"mappings"/);
    });
  });
});
