// Template assertions on the hint path (rule, queues, function, IAM, bus policy), its switch, and the forwarder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEXES } from '../../lambda/adapters/dynamodb/schema';
import { hintForwarderFromContext, stepWatchPropsFromContext } from '../../lib/context';
import { StepWatchConfigError } from '../../lib/errors';
import { StepWatchHintForwarder, StepWatchHintForwarderStack } from '../../lib/hint-forwarder';
import { StepWatch, type StepWatchShard } from '../../lib/step-watch';
import { createInfraFixture, type InfraFixture } from './fixture';

const SHARD_ROLE = 'arn:aws:iam::111122223333:role/StepWatchReader';
const DETAIL_TYPES = [
  'EC2 Automation Step Status-change Notification',
  'EC2 Automation Execution Status-change Notification',
];

type StackKey = 'defaults' | 'shards' | 'off';

let fixture: InfraFixture<StackKey>;

beforeAll(() => {
  fixture = createInfraFixture({
    defaults: {},
    shards: {
      env: { account: '123456789012', region: 'eu-west-1' },
      schedule: 'rate(5 minutes)',
      shards: [
        { region: 'eu-west-1' },
        { region: 'us-east-1' },
        { account: '111122223333', region: 'eu-west-1', roleArn: SHARD_ROLE },
      ],
    },
    off: { hints: false },
  });
});

afterAll(() => fixture.cleanup());

function resolve(key: StackKey, value: unknown): unknown {
  return fixture.stacks[key].resolve(value);
}

function hintsOf(key: StackKey) {
  const { hints } = fixture.stacks[key].stepWatch;
  if (!hints) throw new Error(`stack ${key} has no hints`);
  return hints;
}

describe('Class: StepWatch (hints)', () => {
  describe('rule', () => {
    it("matches SSM's two Automation detail types of the own account and region on the default bus", () => {
      fixture.templates.defaults.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: Match.absent(),
        EventPattern: Match.objectEquals({
          source: ['aws.ssm'],
          'detail-type': DETAIL_TYPES,
          account: [{ Ref: 'AWS::AccountId' }],
          region: [{ Ref: 'AWS::Region' }],
        }),
        State: 'ENABLED',
      });
    });

    it('matches every account and region the shards list on the hint bus, and only its own on the default bus', () => {
      const hints = hintsOf('shards');
      fixture.templates.shards.resourceCountIs('AWS::Events::Rule', 2);
      fixture.templates.shards.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: resolve('shards', hints.hintBus?.eventBusName),
        EventPattern: Match.objectEquals({
          source: ['aws.ssm'],
          'detail-type': DETAIL_TYPES,
          account: ['123456789012', '111122223333'],
          region: ['eu-west-1', 'us-east-1'],
        }),
      });
      fixture.templates.shards.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: Match.absent(),
        EventPattern: Match.objectEquals({
          source: ['aws.ssm'],
          'detail-type': DETAIL_TYPES,
          account: ['123456789012'],
          region: ['eu-west-1'],
        }),
      });
    });

    it('targets the hint queue, with retries and the hint dead-letter queue', () => {
      const hints = hintsOf('defaults');
      fixture.templates.defaults.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectEquals({
            Id: 'Target0',
            Arn: resolve('defaults', hints.queue.queueArn),
            DeadLetterConfig: { Arn: resolve('defaults', hints.deadLetterQueue.queueArn) },
            RetryPolicy: { MaximumEventAgeInSeconds: 300, MaximumRetryAttempts: 3 },
          }),
        ],
      });
    });
  });

  describe('queues', () => {
    it('encrypts the queue, redrives to its own dead-letter queue after five receives, and keeps six timeouts of visibility', () => {
      const hints = hintsOf('defaults');
      fixture.templates.defaults.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 180,
        MessageRetentionPeriod: 3600,
        RedrivePolicy: {
          deadLetterTargetArn: resolve('defaults', hints.deadLetterQueue.queueArn),
          maxReceiveCount: 5,
        },
      });
      expect(resolve('defaults', hints.deadLetterQueue.queueArn)).not.toEqual(
        resolve('defaults', fixture.stacks.defaults.stepWatch.deadLetterQueue.queueArn),
      );
    });

    it('lets only the hint rule send to the queue, and only over TLS', () => {
      const hints = hintsOf('defaults');
      const ruleArn = resolve('defaults', hints.rule.ruleArn);
      fixture.templates.defaults.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [resolve('defaults', hints.queue.queueUrl)],
        PolicyDocument: {
          Statement: Match.arrayEquals([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectEquals({
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
              Resource: resolve('defaults', hints.queue.queueArn),
              Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
            }),
          ]),
        },
      });
    });

    it('outputs the hint dead-letter queue, only with hints', () => {
      fixture.templates.defaults.hasOutput('HintDeadLetterQueueUrl', {
        Value: resolve('defaults', hintsOf('defaults').deadLetterQueue.queueUrl),
      });
      expect(fixture.templates.off.findOutputs('HintDeadLetterQueueUrl')).toEqual({});
    });

    it('alarms on hints in the dead-letter queue', () => {
      const hints = hintsOf('defaults');
      fixture.templates.defaults.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: resolve('defaults', hints.deadLetterQueue.queueName) }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });
  });

  describe('function', () => {
    it('consumes the queue in batches of 100 gathered for a second, reporting failed items, two at a time', () => {
      const hints = hintsOf('defaults');
      fixture.templates.defaults.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: resolve('defaults', hints.queue.queueArn),
        FunctionName: resolve('defaults', hints.function.functionName),
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
    });

    it('runs the hint handler on ARM with a 30 s timeout and the poller’s environment plus the schedule period', () => {
      const { stepWatch } = fixture.stacks.defaults;
      fixture.templates.defaults.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.hintHandler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Timeout: 30,
        ReservedConcurrentExecutions: Match.absent(),
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
            SCHEDULE_PERIOD_SECONDS: '60',
          }),
        },
      });
    });

    it('tells the function the shards it serves', () => {
      fixture.templates.shards.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.hintHandler',
        Environment: {
          Variables: Match.objectLike({
            SCHEDULE_PERIOD_SECONDS: '300',
            SHARDS: JSON.stringify([
              { region: 'eu-west-1' },
              { region: 'us-east-1' },
              { account: '111122223333', region: 'eu-west-1', roleArn: SHARD_ROLE },
            ]),
          }),
        },
      });
    });
  });

  describe('IAM', () => {
    it('grants the hint reader the poller’s statements on its own log group, plus consuming its queue', () => {
      // Prepare
      const { stepWatch } = fixture.stacks.defaults;
      const hints = hintsOf('defaults');
      const tableArn = resolve('defaults', stepWatch.table.tableArn);

      // Assess
      fixture.templates.defaults.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [resolve('defaults', hints.function.role?.roleName)],
        PolicyDocument: {
          Statement: Match.arrayEquals([
            Match.objectEquals({
              Sid: 'WriteOwnLogs',
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: resolve('defaults', hints.logGroup.logGroupArn),
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
            Match.objectEquals({
              Effect: 'Allow',
              Action: [
                'sqs:ReceiveMessage',
                'sqs:ChangeMessageVisibility',
                'sqs:GetQueueUrl',
                'sqs:DeleteMessage',
                'sqs:GetQueueAttributes',
              ],
              Resource: resolve('defaults', hints.queue.queueArn),
            }),
          ]),
        },
      });
    });

    it('lets the hint reader assume exactly the shard roles', () => {
      const hints = hintsOf('shards');
      fixture.templates.shards.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [resolve('shards', hints.function.role?.roleName)],
        PolicyDocument: {
          Statement: Match.arrayWith([
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

    it("admits only the forwarders' roles of the shard accounts to the hint bus, and only SSM's events; the default bus keeps its policy", () => {
      // Prepare
      const bus = {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':events:eu-west-1:123456789012:event-bus/ssm-step-watch-hints',
          ],
        ],
      };
      const forwarders = {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/ssm-step-watch-reader-hints-*']],
      };
      const putEvents = { Principal: { AWS: '*' }, Action: 'events:PutEvents', Resource: bus };

      // Assess
      fixture.templates.shards.hasResourceProperties('AWS::Events::EventBus', {
        Name: 'ssm-step-watch-hints',
        Policy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'OnlyForwarders',
              Effect: 'Deny',
              ...putEvents,
              Condition: { ArnNotLike: { 'aws:PrincipalArn': forwarders } },
            },
            {
              Sid: 'OnlySsmEvents',
              Effect: 'Deny',
              ...putEvents,
              Condition: { 'ForAnyValue:StringNotEquals': { 'events:source': ['aws.ssm'] } },
            },
            {
              Sid: 'ForwardersPutSsmEvents',
              Effect: 'Allow',
              ...putEvents,
              Condition: {
                StringEquals: { 'aws:PrincipalAccount': ['123456789012', '111122223333'] },
                ArnLike: { 'aws:PrincipalArn': forwarders },
                'ForAllValues:StringEquals': {
                  'events:source': ['aws.ssm'],
                  'events:detail-type': DETAIL_TYPES,
                },
              },
            },
          ],
        },
      });
      for (const key of ['defaults', 'shards'] as const) {
        fixture.templates[key].resourceCountIs('AWS::Events::EventBusPolicy', 0);
      }
      expect(hintsOf('defaults').hintBus).toBeUndefined();
    });
  });

  describe('switch', () => {
    it('creates no rule, queue, function or alarm for hints when hints is false', () => {
      const template = fixture.templates.off;
      expect(fixture.stacks.off.stepWatch.hints).toBeUndefined();
      template.resourceCountIs('AWS::Events::Rule', 0);
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
      template.resourceCountIs('AWS::Lambda::Function', 1);
      template.resourceCountIs('AWS::SQS::Queue', 1);
      template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
      expect(fixture.stacks.off.stepWatch.alarms.hintDeadLetters).toBeUndefined();
    });

    it('reads the hints context key as the prop, leaving the default when it is unset', () => {
      const read = (hints: unknown) => (key: string) => (key === 'hints' ? hints : undefined);
      expect(stepWatchPropsFromContext(read('false')).props.hints).toBe(false);
      expect(stepWatchPropsFromContext(read(false)).props.hints).toBe(false);
      expect(stepWatchPropsFromContext(read('true')).props.hints).toBe(true);
      expect(stepWatchPropsFromContext(read(undefined)).props.hints).toBeUndefined();
      expect(() => stepWatchPropsFromContext(read('off'))).toThrow(
        new StepWatchConfigError("context hints must be true or false; got 'off'."),
      );
    });
  });
});

describe('Class: StepWatch (hint bus of an environment-agnostic stack)', () => {
  function hintBusOf(shards: StepWatchShard[], stack = new Stack(unbundled(), 'Agnostic')) {
    return new StepWatch(stack, 'StepWatch', { shards }).hints?.hintBus;
  }

  /** Bundles nothing: only the constructs are read. */
  function unbundled(): App {
    return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  }

  it("creates no hint bus for one shard whose region may be the stack's own, and warns that it cannot tell", () => {
    // Prepare
    const stack = new Stack(unbundled(), 'Agnostic');

    // Act
    const hintBus = hintBusOf([{ region: 'eu-west-1' }], stack);

    // Assess
    expect(hintBus).toBeUndefined();
    const warnings = Annotations.fromStack(stack).findWarning(
      '*',
      Match.stringLikeRegexp('hint-bus-unknown-environment'),
    );
    expect(warnings).toHaveLength(1);
  });

  it.each<[string, StepWatchShard[]]>([
    ['two regions', [{ region: 'eu-west-1' }, { region: 'us-east-1' }]],
    ['a region beside the own one', [{}, { region: 'eu-west-1' }]],
    ['an account beside the own one', [{}, { account: '111122223333', roleArn: SHARD_ROLE }]],
  ])('creates the hint bus for %s, since one of them is elsewhere', (_, shards) => {
    expect(hintBusOf(shards)).toBeDefined();
  });
});

describe('Class: StepWatchHintForwarder', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'step-watch-forwarder-'));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  function forwarderStack(account = '444455556666', region = 'ap-southeast-2'): StepWatchHintForwarderStack {
    return new StepWatchHintForwarderStack(new App({ outdir }), 'Forwarder', {
      env: { account, region },
      pollerAccount: '111122223333',
      pollerRegion: 'eu-west-1',
    });
  }

  it("forwards this account and region's SSM Automation events to the poller's hint bus with a role of the name it admits", () => {
    // Prepare
    const stack = forwarderStack();
    const template = Template.fromStack(stack);
    const busArn = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:111122223333:event-bus/ssm-step-watch-hints'],
      ],
    };

    // Assess
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.absent(),
      EventPattern: Match.objectEquals({
        source: ['aws.ssm'],
        'detail-type': DETAIL_TYPES,
        account: ['444455556666'],
        region: ['ap-southeast-2'],
      }),
      Targets: [
        Match.objectEquals({
          Id: 'Target0',
          Arn: busArn,
          RoleArn: stack.resolve(stack.forwarder.role.roleArn),
        }),
      ],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax.
      RoleName: { 'Fn::Sub': 'ssm-step-watch-reader-hints-${AWS::Region}' },
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '444455556666' } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayEquals([
          Match.objectEquals({ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }),
        ]),
      },
    });
  });

  it('names its role after memberRoleName, or roleName, so two forwarders share an account and each fits the hint bus', () => {
    // Prepare
    const stack = new Stack(new App({ outdir }), 'Member', {
      env: { account: '444455556666', region: 'ap-southeast-2' },
    });
    const poller = { pollerAccount: '111122223333', pollerRegion: 'eu-west-1' };

    // Act
    new StepWatchHintForwarder(stack, 'Prod', poller);
    new StepWatchHintForwarder(stack, 'Staging', {
      ...poller,
      pollerAccount: '777788889999',
      roleName: 'ssm-step-watch-reader-hints-staging-ap-southeast-2',
    });
    new StepWatchHintForwarder(stack, 'Team', { ...poller, memberRoleName: 'team-ssm-reader' });

    // Assess
    const names = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role')).map(
      (role) => role.Properties.RoleName,
    );
    expect(names).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax.
      { 'Fn::Sub': 'ssm-step-watch-reader-hints-${AWS::Region}' },
      'ssm-step-watch-reader-hints-staging-ap-southeast-2',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax.
      { 'Fn::Sub': 'team-ssm-reader-hints-${AWS::Region}' },
    ]);
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    const report = new AwsSolutionsChecks().validateScope(forwarderStack());
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it.each([
    [
      { pollerAccount: '1111', pollerRegion: 'eu-west-1' },
      `pollerAccount must be the 12-digit account id of the StepWatch; got "1111".`,
    ],
    [
      { pollerAccount: '111122223333', pollerRegion: 'eu-middle-9' },
      `pollerRegion must be a known AWS region such as 'us-east-1'; got "eu-middle-9".`,
    ],
    [
      { pollerAccount: '111122223333', pollerRegion: 'eu-west-1', pollerHintBusName: 'default' },
      `pollerHintBusName must be the StepWatch's hint bus name (its hintBusName, never 'default'); got "default".`,
    ],
    [
      { pollerAccount: '111122223333', pollerRegion: 'eu-west-1', roleName: 'staging-hints-eu-west-1' },
      `roleName must be an IAM role name of at most 64 characters beginning with 'ssm-step-watch-reader-hints-' (the names the hint bus admits); got "staging-hints-eu-west-1".`,
    ],
    [
      {
        pollerAccount: '111122223333',
        pollerRegion: 'eu-west-1',
        memberRoleName: 'team-ssm-reader',
        roleName: 'ssm-step-watch-reader-hints-eu-west-1',
      },
      `roleName must be an IAM role name of at most 64 characters beginning with 'team-ssm-reader-hints-' (the names the hint bus admits); got "ssm-step-watch-reader-hints-eu-west-1".`,
    ],
    [
      { pollerAccount: '111122223333', pollerRegion: 'eu-west-1', memberRoleName: 'team reader' },
      `memberRoleName must be the StepWatch's organization.memberRoleName (an IAM role name); got "team reader".`,
    ],
    [
      { pollerAccount: '444455556666', pollerRegion: 'ap-southeast-2' },
      "StepWatchHintForwarder must be deployed outside the StepWatch's own account and region (its hint rule reads that bus already); got 444455556666 ap-southeast-2.",
    ],
  ])('refuses %j with one sentence', (props, message) => {
    const stack = new Stack(new App({ outdir }), 'Member', {
      env: { account: '444455556666', region: 'ap-southeast-2' },
    });
    expect(() => new StepWatchHintForwarder(stack, 'Hints', props)).toThrow(
      new StepWatchConfigError(message),
    );
  });

  it('reads hintForwarderFor as <pollerAccount>:<pollerRegion>, named after stackName', () => {
    const read = (context: Record<string, unknown>) => (key: string) => context[key];
    expect(hintForwarderFromContext(read({ hintForwarderFor: '' }))).toBeUndefined();
    expect(hintForwarderFromContext(read({ hintForwarderFor: '111122223333:eu-west-1' }))).toEqual({
      stackName: 'SsmStepWatchHintForwarder',
      pollerAccount: '111122223333',
      pollerRegion: 'eu-west-1',
      pollerHintBusName: undefined,
      memberRoleName: undefined,
    });
    expect(
      hintForwarderFromContext(
        read({ hintForwarderFor: '111122223333:eu-west-1', memberRoleName: 'team-ssm-reader' }),
      )?.memberRoleName,
    ).toBe('team-ssm-reader');
    expect(
      hintForwarderFromContext(read({ hintForwarderFor: '111122223333:eu-west-1', hintBusName: 'ops-hints' }))
        ?.pollerHintBusName,
    ).toBe('ops-hints');
    expect(
      hintForwarderFromContext(read({ hintForwarderFor: '111122223333:eu-west-1', stackName: 'Ops' }))
        ?.stackName,
    ).toBe('OpsHintForwarder');
    expect(() => hintForwarderFromContext(read({ hintForwarderFor: 'eu-west-1' }))).toThrow(
      new StepWatchConfigError(
        "context hintForwarderFor must be <pollerAccount>:<pollerRegion> such as 111122223333:eu-west-1; got 'eu-west-1'.",
      ),
    );
  });
});
